"""Object metadata: the standard objects, per-org custom fields and picklists.

Field lists, lengths and flags follow Salesforce's Object Reference (API 67.0)
for the objects the service uses. An org's configuration adds custom fields
and replaces picklist values; `object_schema` merges both into one view that
validation, record formatting, SOQL and describe all read.
"""

import re
from dataclasses import dataclass, field, replace

from sf_emulator import ids

STRING_TYPES = {
    "string",
    "textarea",
    "email",
    "url",
    "phone",
    "picklist",
    "multipicklist",
    "combobox",
}
NUMBER_TYPES = {"double", "int", "currency", "percent"}
SOAP_TYPES = {
    "id": "tns:ID",
    "reference": "tns:ID",
    "junctionidlist": "tns:JunctionIdListNames",
    "boolean": "xsd:boolean",
    "date": "xsd:date",
    "datetime": "xsd:dateTime",
    "double": "xsd:double",
    "currency": "xsd:double",
    "percent": "xsd:double",
    "int": "xsd:int",
}
# Long text cannot appear in a WHERE clause, ORDER BY or GROUP BY.
UNFILTERABLE_TEXTAREA_LENGTH = 255

# Custom field API names: an optional managed-package namespace, then letters,
# digits and single underscores, ending in "__c".
CUSTOM_FIELD_NAME = re.compile(
    r"^(?:[A-Za-z][A-Za-z0-9]{0,14}__)?[A-Za-z](?:[A-Za-z0-9]|_(?!_))*__c$"
)
CUSTOM_FIELD_TYPES = {
    "string": "string",
    "text": "string",
    "textarea": "textarea",
    "longtextarea": "textarea",
    "picklist": "picklist",
    "multipicklist": "multipicklist",
    "email": "email",
    "url": "url",
    "phone": "phone",
    "boolean": "boolean",
    "checkbox": "boolean",
    "date": "date",
    "datetime": "datetime",
    "double": "double",
    "number": "double",
    "int": "int",
    "currency": "currency",
    "percent": "percent",
}
DEFAULT_CUSTOM_LENGTHS = {"string": 255, "textarea": 32768, "email": 80}


@dataclass(frozen=True)
class PicklistValue:
    value: str
    label: str
    active: bool = True


@dataclass(frozen=True)
class Field:
    """One field of an object, with the flags describe reports."""

    name: str
    type: str
    label: str
    length: int = 0
    createable: bool = True
    updateable: bool = True
    nillable: bool = True
    defaulted_on_create: bool = False
    default_value: object = None
    reference_to: tuple[str, ...] = ()
    relationship_name: str | None = None
    picklist: tuple[PicklistValue, ...] = ()
    restricted: bool = False
    custom: bool = False
    calculated: bool = False
    id_lookup: bool = False
    name_field: bool = False
    html_formatted: bool = False
    precision: int = 0
    scale: int = 0

    @property
    def filterable(self) -> bool:
        if self.type == "textarea":
            return self.length <= UNFILTERABLE_TEXTAREA_LENGTH
        return self.type != "junctionidlist"

    @property
    def picklist_values(self) -> set[str]:
        return {value.value for value in self.picklist if value.active}

    def describe(self) -> dict:
        """Return the field as Salesforce's describe lists it."""
        sortable = self.filterable and self.type != "multipicklist"
        text_like = self.type in STRING_TYPES
        return {
            "aggregatable": sortable,
            "aiPredictionField": False,
            "autoNumber": False,
            "byteLength": _byte_length(self),
            "calculated": self.calculated,
            "calculatedFormula": None,
            "cascadeDelete": False,
            "caseSensitive": False,
            "compoundFieldName": None,
            "controllerName": None,
            "createable": self.createable,
            "custom": self.custom,
            "defaultValue": self.default_value,
            "defaultValueFormula": None,
            "defaultedOnCreate": self.defaulted_on_create,
            "dependentPicklist": False,
            "deprecatedAndHidden": False,
            "digits": 18 if self.type == "int" else 0,
            "displayLocationInDecimal": False,
            "encrypted": False,
            "externalId": False,
            "extraTypeInfo": _extra_type_info(self),
            "filterable": self.filterable,
            "filteredLookupInfo": None,
            "formulaTreatNullNumberAsZero": False,
            "groupable": sortable and self.type not in NUMBER_TYPES | {"datetime"},
            "highScaleNumber": False,
            "htmlFormatted": self.html_formatted,
            "idLookup": self.id_lookup,
            "inlineHelpText": None,
            "label": self.label,
            "length": self.length if text_like else 0,
            "mask": None,
            "maskType": None,
            "name": self.name,
            "nameField": self.name_field,
            "namePointing": len(self.reference_to) > 1,
            "nillable": self.nillable,
            "permissionable": self.nillable and not self.calculated,
            "picklistValues": [
                {
                    "active": value.active,
                    "defaultValue": value.value == self.default_value,
                    "label": value.label,
                    "validFor": None,
                    "value": value.value,
                }
                for value in self.picklist
            ],
            "polymorphicForeignKey": len(self.reference_to) > 1,
            "precision": self.precision,
            "queryByDistance": False,
            "referenceTargetField": None,
            "referenceTo": list(self.reference_to),
            "relationshipName": self.relationship_name,
            "relationshipOrder": None,
            "restrictedDelete": False,
            "restrictedPicklist": self.restricted,
            "scale": self.scale,
            "searchPrefilterable": False,
            "soapType": SOAP_TYPES.get(self.type, "xsd:string"),
            "sortable": sortable,
            "type": self.type,
            "unique": False,
            "updateable": self.updateable,
            "writeRequiresMasterRead": False,
        }


def _byte_length(spec: Field) -> int:
    if spec.type in ("id", "reference"):
        return 18
    if spec.type in STRING_TYPES:
        # Salesforce reports 3 bytes per character, the UTF-8 worst case.
        return spec.length * 3
    return 0


def _extra_type_info(spec: Field) -> str | None:
    if spec.type == "textarea":
        return "richtextarea" if spec.html_formatted else "plaintextarea"
    return None


@dataclass(frozen=True)
class ObjectSpec:
    """An object (sObject type) and the operations the API allows on it."""

    name: str
    label: str
    label_plural: str
    fields: tuple[Field, ...]
    createable: bool = True
    updateable: bool = True
    deletable: bool = True
    custom: bool = False
    child_relationships: tuple[tuple[str, str, str], ...] = ()

    @property
    def key_prefix(self) -> str:
        return ids.KEY_PREFIXES[self.name]


@dataclass
class ObjectSchema:
    """An object's fields as configured for one org, with case-insensitive lookup."""

    spec: ObjectSpec
    fields: dict[str, Field] = field(default_factory=dict)

    def __post_init__(self):
        self._by_lower = {name.lower(): spec for name, spec in self.fields.items()}

    @property
    def name(self) -> str:
        return self.spec.name

    def field(self, name: str) -> Field | None:
        return self._by_lower.get(name.lower())

    def describe_fields(self) -> dict[str, dict]:
        return {name: spec.describe() for name, spec in self.fields.items()}


def _picklist(*values: str | tuple[str, str]) -> tuple[PicklistValue, ...]:
    items = []
    for value in values:
        if isinstance(value, tuple):
            items.append(PicklistValue(value=value[0], label=value[1]))
        else:
            items.append(PicklistValue(value=value, label=value))
    return tuple(items)


def _system_fields(with_is_deleted: bool = True) -> list[Field]:
    read_only = {"createable": False, "updateable": False}
    fields = [
        Field(
            "Id",
            "id",
            "Record ID",
            length=18,
            nillable=False,
            defaulted_on_create=True,
            id_lookup=True,
            **read_only,
        )
    ]
    if with_is_deleted:
        fields.append(
            Field(
                "IsDeleted",
                "boolean",
                "Deleted",
                nillable=False,
                defaulted_on_create=True,
                default_value=False,
                **read_only,
            )
        )
    for prefix, label in (("Created", "Created"), ("LastModified", "Last Modified")):
        fields.append(
            Field(
                f"{prefix}Date",
                "datetime",
                f"{label} Date",
                nillable=False,
                defaulted_on_create=True,
                **read_only,
            )
        )
        fields.append(
            Field(
                f"{prefix}ById",
                "reference",
                f"{label} By ID",
                length=18,
                nillable=False,
                defaulted_on_create=True,
                reference_to=("User",),
                relationship_name=f"{prefix}By",
                **read_only,
            )
        )
    fields.append(
        Field(
            "SystemModstamp",
            "datetime",
            "System Modstamp",
            nillable=False,
            defaulted_on_create=True,
            **read_only,
        )
    )
    return fields


def _string(name: str, label: str, length: int, **flags) -> Field:
    return Field(name, "string", label, length=length, **flags)


def _textarea(name: str, label: str, length: int, **flags) -> Field:
    return Field(name, "textarea", label, length=length, **flags)


def _boolean(name: str, label: str, **flags) -> Field:
    flags.setdefault("nillable", False)
    flags.setdefault("defaulted_on_create", True)
    flags.setdefault("default_value", False)
    return Field(name, "boolean", label, **flags)


def _reference(
    name: str, label: str, targets: tuple[str, ...], relationship: str, **flags
) -> Field:
    return Field(
        name,
        "reference",
        label,
        length=18,
        reference_to=targets,
        relationship_name=relationship,
        **flags,
    )


def _owner(targets: tuple[str, ...] = ("User",)) -> Field:
    return _reference(
        "OwnerId",
        "Owner ID",
        targets,
        "Owner",
        nillable=False,
        defaulted_on_create=True,
    )


READ_ONLY = {"createable": False, "updateable": False}
SALUTATIONS = _picklist("Mr.", "Ms.", "Mrs.", "Dr.", "Prof.", "Mx.")
LEAD_STATUSES = _picklist(
    "Open - Not Contacted",
    "Working - Contacted",
    "Closed - Converted",
    "Closed - Not Converted",
)
LEAD_SOURCES = _picklist(
    "Web",
    "Phone Inquiry",
    "Partner Referral",
    "Purchased List",
    "Artisan AI",
    "Partner Outbound",
    "Other",
)
INDUSTRIES = _picklist(
    "Agriculture",
    "Apparel",
    "Banking",
    "Biotechnology",
    "Chemicals",
    "Communications",
    "Construction",
    "Consulting",
    "Education",
    "Electronics",
    "Energy",
    "Engineering",
    "Entertainment",
    "Environmental",
    "Finance",
    "Food & Beverage",
    "Government",
    "Healthcare",
    "Hospitality",
    "Insurance",
    "Machinery",
    "Manufacturing",
    "Media",
    "Not For Profit",
    "Recreation",
    "Retail",
    "Shipping",
    "Technology",
    "Telecommunications",
    "Transportation",
    "Utilities",
    "Other",
)
# Objects a human is: EmailMessage.RelatedToId and Task.WhatId must not point
# at them.
PERSON_OBJECTS = ("Contact", "Lead")
NON_HUMAN_TARGETS = ("Account", "Campaign", "Case", "Opportunity")

LEAD = ObjectSpec(
    "Lead",
    "Lead",
    "Leads",
    (
        *_system_fields()[:2],
        _string("LastName", "Last Name", 80, nillable=False),
        _string("FirstName", "First Name", 40),
        Field("Salutation", "picklist", "Salutation", length=40, picklist=SALUTATIONS),
        _string("Name", "Full Name", 121, name_field=True, **READ_ONLY),
        _string("Title", "Title", 128),
        # NOTE: describe reports Company as required here; orgs with person
        # accounts report it nillable, which this emulator does not model.
        _string("Company", "Company", 255, nillable=False),
        _textarea("Street", "Street", 255),
        _string("City", "City", 40),
        _string("State", "State/Province", 80),
        _string("PostalCode", "Zip/Postal Code", 20),
        _string("Country", "Country", 80),
        Field("Phone", "phone", "Phone", length=40),
        Field("MobilePhone", "phone", "Mobile Phone", length=40),
        Field("Email", "email", "Email", length=80, id_lookup=True),
        Field("Website", "url", "Website", length=255),
        _textarea("Description", "Description", 32000),
        Field(
            "LeadSource",
            "picklist",
            "Lead Source",
            length=255,
            picklist=LEAD_SOURCES,
        ),
        Field(
            "Status",
            "picklist",
            "Status",
            length=255,
            nillable=False,
            defaulted_on_create=True,
            picklist=LEAD_STATUSES,
            default_value="Open - Not Contacted",
            restricted=True,
        ),
        Field("Industry", "picklist", "Industry", length=255, picklist=INDUSTRIES),
        Field("NumberOfEmployees", "int", "Employees", precision=8),
        _owner(("Group", "User")),
        _boolean("HasOptedOutOfEmail", "Email Opt Out"),
        _boolean("IsConverted", "Converted", updateable=False),
        Field("ConvertedDate", "date", "Converted Date", **READ_ONLY),
        _reference(
            "ConvertedAccountId",
            "Converted Account ID",
            ("Account",),
            "ConvertedAccount",
            **READ_ONLY,
        ),
        _reference(
            "ConvertedContactId",
            "Converted Contact ID",
            ("Contact",),
            "ConvertedContact",
            **READ_ONLY,
        ),
        _reference(
            "ConvertedOpportunityId",
            "Converted Opportunity ID",
            ("Opportunity",),
            "ConvertedOpportunity",
            **READ_ONLY,
        ),
        _boolean("IsUnreadByOwner", "Unread By Owner"),
        _boolean("DoNotCall", "Do Not Call"),
        _boolean("HasOptedOutOfFax", "Fax Opt Out"),
        *_system_fields()[2:],
        Field("LastActivityDate", "date", "Last Activity", **READ_ONLY),
    ),
)

CONTACT = ObjectSpec(
    "Contact",
    "Contact",
    "Contacts",
    (
        *_system_fields()[:2],
        _reference("AccountId", "Account ID", ("Account",), "Account"),
        _string("LastName", "Last Name", 80, nillable=False),
        _string("FirstName", "First Name", 40),
        Field("Salutation", "picklist", "Salutation", length=40, picklist=SALUTATIONS),
        _string("Name", "Full Name", 121, name_field=True, **READ_ONLY),
        _textarea("MailingStreet", "Mailing Street", 255),
        _string("MailingCity", "Mailing City", 40),
        _string("MailingState", "Mailing State/Province", 80),
        _string("MailingPostalCode", "Mailing Zip/Postal Code", 20),
        _string("MailingCountry", "Mailing Country", 80),
        Field("Phone", "phone", "Business Phone", length=40),
        Field("MobilePhone", "phone", "Mobile Phone", length=40),
        Field("Email", "email", "Email", length=80, id_lookup=True),
        _string("Title", "Title", 128),
        _string("Department", "Department", 80),
        Field(
            "LeadSource",
            "picklist",
            "Lead Source",
            length=255,
            picklist=LEAD_SOURCES,
        ),
        _textarea("Description", "Contact Description", 32000),
        _owner(),
        _boolean("HasOptedOutOfEmail", "Email Opt Out"),
        _boolean("HasOptedOutOfFax", "Fax Opt Out"),
        _boolean("DoNotCall", "Do Not Call"),
        *_system_fields()[2:],
        Field("LastActivityDate", "date", "Last Activity", **READ_ONLY),
    ),
    child_relationships=(
        ("Task", "WhoId", "Tasks"),
        ("EmailMessageRelation", "RelationId", "EmailMessageRelations"),
    ),
)

ACCOUNT = ObjectSpec(
    "Account",
    "Account",
    "Accounts",
    (
        *_system_fields()[:2],
        _string("Name", "Account Name", 255, nillable=False, name_field=True),
        Field(
            "Type",
            "picklist",
            "Account Type",
            length=255,
            picklist=_picklist(
                "Prospect",
                "Customer - Direct",
                "Customer - Channel",
                "Channel Partner / Reseller",
                "Installation Partner",
                "Technology Partner",
                "Other",
            ),
        ),
        _textarea("BillingStreet", "Billing Street", 255),
        _string("BillingCity", "Billing City", 40),
        _string("BillingState", "Billing State/Province", 80),
        _string("BillingPostalCode", "Billing Zip/Postal Code", 20),
        _string("BillingCountry", "Billing Country", 80),
        Field("Phone", "phone", "Account Phone", length=40),
        Field("Website", "url", "Website", length=255),
        Field("Industry", "picklist", "Industry", length=255, picklist=INDUSTRIES),
        Field("NumberOfEmployees", "int", "Employees", precision=8),
        _textarea("Description", "Account Description", 32000),
        _owner(),
        *_system_fields()[2:],
    ),
    child_relationships=(
        ("Contact", "AccountId", "Contacts"),
        ("Task", "WhatId", "Tasks"),
    ),
)

USER = ObjectSpec(
    "User",
    "User",
    "Users",
    (
        _system_fields(with_is_deleted=False)[0],
        _string("Username", "Username", 80, nillable=False, id_lookup=True),
        _string("LastName", "Last Name", 80, nillable=False),
        _string("FirstName", "First Name", 40),
        _string("Name", "Full Name", 121, name_field=True, **READ_ONLY),
        _string("CompanyName", "Company Name", 80),
        Field("Email", "email", "Email", length=128, nillable=False),
        _string("Alias", "Alias", 8, nillable=False),
        _boolean("IsActive", "Active", default_value=True),
        Field(
            "UserType",
            "picklist",
            "User Type",
            length=40,
            picklist=_picklist("Standard"),
            **READ_ONLY,
        ),
        *_system_fields(with_is_deleted=False)[1:],
    ),
    createable=False,
    updateable=False,
    deletable=False,
)

EMAIL_STATUSES = _picklist(
    ("0", "New"),
    ("1", "Read"),
    ("2", "Replied"),
    ("3", "Sent"),
    ("4", "Forwarded"),
    ("5", "Draft"),
)
PERSON_OR_USER = ("Contact", "Lead", "User")

EMAIL_MESSAGE = ObjectSpec(
    "EmailMessage",
    "Email Message",
    "Email Messages",
    (
        _system_fields()[0],
        _reference("ParentId", "Case ID", ("Case",), "Parent", updateable=False),
        _reference(
            "ActivityId", "Activity ID", ("Task",), "Activity", updateable=False
        ),
        *_system_fields()[2:],
        _textarea("TextBody", "Text Body", 131072),
        _textarea("HtmlBody", "HTML Body", 131072, html_formatted=True),
        _textarea("Headers", "Headers", 32000),
        _string("Subject", "Subject", 3000),
        _string("Name", "Email Message Name", 255, name_field=True, **READ_ONLY),
        _string("FromName", "From Name", 1000),
        Field("FromAddress", "email", "From Address", length=1000),
        _string("ToAddress", "To Address", 4000),
        _string("CcAddress", "CC Address", 4000),
        _string("BccAddress", "BCC Address", 4000),
        _boolean("Incoming", "Is Incoming", updateable=False),
        _boolean("HasAttachment", "Has Attachment", **READ_ONLY),
        Field(
            "Status",
            "picklist",
            "Status",
            length=40,
            nillable=False,
            defaulted_on_create=True,
            default_value="0",
            picklist=EMAIL_STATUSES,
            restricted=True,
        ),
        Field("MessageDate", "datetime", "Message Date"),
        _system_fields()[1],
        _reference(
            "ReplyToEmailMessageId",
            "Email Message ID",
            ("EmailMessage",),
            "ReplyToEmailMessage",
            updateable=False,
        ),
        _boolean("IsExternallyVisible", "Is Externally Visible"),
        _string("MessageIdentifier", "Message ID", 765, id_lookup=True),
        _string("ThreadIdentifier", "Thread ID", 765, id_lookup=True),
        _string("ClientThreadIdentifier", "Client Thread ID", 765),
        _boolean("IsClientManaged", "Is Client Managed", updateable=False),
        _reference(
            "RelatedToId",
            "Related To ID",
            NON_HUMAN_TARGETS,
            "RelatedTo",
        ),
        Field(
            "ToIds",
            "junctionidlist",
            "To IDs",
            reference_to=PERSON_OR_USER,
        ),
        Field(
            "CcIds",
            "junctionidlist",
            "CC IDs",
            reference_to=PERSON_OR_USER,
        ),
        Field(
            "BccIds",
            "junctionidlist",
            "BCC IDs",
            reference_to=PERSON_OR_USER,
        ),
        _reference("FromId", "From ID", PERSON_OR_USER, "From", updateable=False),
    ),
    child_relationships=(
        ("EmailMessageRelation", "EmailMessageId", "EmailMessageRelations"),
    ),
)

# Fields of a sent (non-draft) EmailMessage that may still change.
EMAIL_FIELDS_UPDATEABLE_AFTER_SEND = {
    "IsExternallyVisible",
    "MessageIdentifier",
    "ThreadIdentifier",
    "ClientThreadIdentifier",
    "Status",
}

EMAIL_MESSAGE_RELATION = ObjectSpec(
    "EmailMessageRelation",
    "Email Message Relation",
    "Email Message Relations",
    (
        *_system_fields(),
        _reference(
            "EmailMessageId",
            "Email Message ID",
            ("EmailMessage",),
            "EmailMessage",
            nillable=False,
            updateable=False,
        ),
        _reference("RelationId", "Relation ID", PERSON_OR_USER, "Relation"),
        Field(
            "RelationType",
            "picklist",
            "Relation Type",
            length=40,
            nillable=False,
            updateable=False,
            restricted=True,
            picklist=_picklist(
                ("ToAddress", "To Address"),
                ("CcAddress", "CC Address"),
                ("BccAddress", "BCC Address"),
                ("FromAddress", "From Address"),
            ),
        ),
        _string("RelationAddress", "Relation Address", 255, updateable=False),
        _string("RelationObjectType", "Relation Object Type", 50, **READ_ONLY),
        Field(
            "DeliveryResponse",
            "picklist",
            "Delivery Response",
            length=40,
            **READ_ONLY,
        ),
    ),
)

TASK_STATUSES = _picklist(
    "Not Started",
    "In Progress",
    "Completed",
    "Waiting on someone else",
    "Deferred",
)
CLOSED_TASK_STATUSES = {"Completed"}

TASK = ObjectSpec(
    "Task",
    "Task",
    "Tasks",
    (
        *_system_fields()[:1],
        _reference("WhoId", "Name ID", PERSON_OBJECTS, "Who"),
        _reference("WhatId", "Related To ID", NON_HUMAN_TARGETS, "What"),
        Field("Subject", "combobox", "Subject", length=255),
        Field("ActivityDate", "date", "Due Date Only"),
        Field(
            "Status",
            "picklist",
            "Status",
            length=255,
            nillable=False,
            defaulted_on_create=True,
            default_value="Not Started",
            picklist=TASK_STATUSES,
        ),
        Field(
            "Priority",
            "picklist",
            "Priority",
            length=20,
            nillable=False,
            defaulted_on_create=True,
            default_value="Normal",
            picklist=_picklist("High", "Normal", "Low"),
        ),
        _boolean("IsHighPriority", "High Priority", **READ_ONLY),
        _owner(),
        _textarea("Description", "Description", 32000),
        Field(
            "Type",
            "picklist",
            "Type",
            length=255,
            picklist=_picklist("Call", "Email", "Meeting", "Other"),
        ),
        _system_fields()[1],
        _reference("AccountId", "Account ID", ("Account",), "Account", **READ_ONLY),
        _boolean("IsClosed", "Closed", calculated=True, **READ_ONLY),
        *_system_fields()[2:],
        Field(
            "TaskSubtype",
            "picklist",
            "Task Subtype",
            length=40,
            updateable=False,
            restricted=True,
            picklist=_picklist(
                "Task",
                "Email",
                ("ListEmail", "List Email"),
                "Cadence",
                "Call",
                "LinkedIn",
            ),
        ),
        Field("CompletedDateTime", "datetime", "Completed Date/Time", **READ_ONLY),
    ),
)

# LeadStatus rows are generated from the org's Lead.Status picklist.
LEAD_STATUS = ObjectSpec(
    "LeadStatus",
    "Lead Status Value",
    "Lead Status Value",
    (
        _system_fields(with_is_deleted=False)[0],
        _string("MasterLabel", "Master Label", 255, **READ_ONLY),
        _string("ApiName", "Api Name", 255, **READ_ONLY),
        Field("SortOrder", "int", "Sort Order", precision=9, **READ_ONLY),
        _boolean("IsDefault", "Is Default", **READ_ONLY),
        _boolean("IsConverted", "Is Converted", **READ_ONLY),
        *_system_fields(with_is_deleted=False)[1:],
    ),
    createable=False,
    updateable=False,
    deletable=False,
)

STANDARD_OBJECTS = {
    spec.name: spec
    for spec in (
        ACCOUNT,
        CONTACT,
        EMAIL_MESSAGE,
        EMAIL_MESSAGE_RELATION,
        LEAD,
        LEAD_STATUS,
        TASK,
        USER,
    )
}
OBJECT_NAMES_BY_LOWER = {name.lower(): name for name in STANDARD_OBJECTS}


def canonical_object_name(name: str) -> str | None:
    """Return the object's API name for any letter case, or None if unknown."""
    return OBJECT_NAMES_BY_LOWER.get(name.lower())


def object_schema(object_name: str, org_config: dict) -> ObjectSchema | None:
    """Return one object's fields with the org's picklists and custom fields."""
    spec = STANDARD_OBJECTS.get(object_name)
    if spec is None:
        return None
    fields = {standard.name: standard for standard in spec.fields}
    for custom in org_config.get("custom_fields", {}).get(object_name, []):
        custom_spec = custom_field(custom)
        fields[custom_spec.name] = custom_spec
    picklists = org_config.get("picklists", {})
    for name, spec_field in fields.items():
        override = picklists.get(f"{object_name}.{name}")
        if override:
            fields[name] = _apply_picklist(spec_field, override)
    return ObjectSchema(spec=spec, fields=fields)


def _apply_picklist(standard: Field, override: dict) -> Field:
    values = tuple(_picklist_value(value) for value in override["values"])
    return replace(
        standard,
        picklist=values,
        default_value=override.get("default", standard.default_value),
        restricted=override.get("restricted", standard.restricted),
    )


def _picklist_value(value: str | dict) -> PicklistValue:
    if isinstance(value, dict):
        return PicklistValue(
            value=value["value"],
            label=value.get("label", value["value"]),
            active=value.get("active", True),
        )
    return PicklistValue(value=value, label=value)


def custom_field(config: dict) -> Field:
    """Build a custom field from its control-API configuration (already valid)."""
    field_type = CUSTOM_FIELD_TYPES[config.get("type", "string")]
    label = config.get("label") or config["name"].removesuffix("__c").replace("_", " ")
    picklist = tuple(
        _picklist_value(value) for value in config.get("picklist_values", [])
    )
    default = config.get("default")
    if field_type == "boolean":
        default = bool(default)
    return Field(
        name=config["name"],
        type=field_type,
        label=label,
        length=config.get("length", DEFAULT_CUSTOM_LENGTHS.get(field_type, 255)),
        createable=config.get("createable", True),
        updateable=config.get("updateable", True),
        nillable=field_type != "boolean" and not config.get("required", False),
        defaulted_on_create=field_type == "boolean" or default is not None,
        default_value=default,
        picklist=picklist,
        restricted=config.get("restricted", False),
        custom=True,
        precision=config.get("precision", 18 if field_type in NUMBER_TYPES else 0),
        scale=config.get("scale", 0),
    )


def validate_custom_field_config(object_name: str, config: object) -> str | None:
    """Return why a custom field definition is invalid, or None when it is valid."""
    if not isinstance(config, dict) or not isinstance(config.get("name"), str):
        return f"each custom field of {object_name} needs a string 'name'"
    name = config["name"]
    if not CUSTOM_FIELD_NAME.match(name):
        return f"invalid custom field API name {name!r}: it must end in '__c'"
    if config.get("type", "string") not in CUSTOM_FIELD_TYPES:
        allowed = ", ".join(sorted(CUSTOM_FIELD_TYPES))
        return f"unknown type {config.get('type')!r} for {name}; use one of {allowed}"
    length = config.get("length", 255)
    if not isinstance(length, int) or not 1 <= length <= 131072:
        return f"invalid length {length!r} for {name}: use 1 to 131072"
    values = config.get("picklist_values", [])
    if not isinstance(values, list):
        return f"picklist_values of {name} must be a list"
    return None


def lead_status_records(org_config: dict) -> list[dict]:
    """Return LeadStatus rows for the org's Lead.Status picklist."""
    status = object_schema("Lead", org_config).fields["Status"]
    converted = converted_lead_status(org_config)
    rows = []
    for order, value in enumerate(status.picklist, start=1):
        record_id = ids.to_18("01J" + f"{order:012d}")
        rows.append(
            {
                "Id": record_id,
                "MasterLabel": value.label,
                "ApiName": value.value,
                "SortOrder": order,
                "IsDefault": value.value == status.default_value,
                "IsConverted": value.value == converted,
            }
        )
    return rows


def converted_lead_status(org_config: dict) -> str:
    """Return the Lead Status value that conversion sets.

    The org's "Lead.Status" picklist may name it with the "converted" key.
    Otherwise it is the first value containing "converted" but not "not
    converted", and failing that the last value.
    """
    override = org_config.get("picklists", {}).get("Lead.Status", {})
    if override.get("converted"):
        return override["converted"]
    values = [
        value.value
        for value in object_schema("Lead", org_config).fields["Status"].picklist
    ]
    for value in values:
        lowered = value.lower()
        if "converted" in lowered and "not converted" not in lowered:
            return value
    return values[-1]
