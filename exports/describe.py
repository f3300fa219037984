"""The fields, lengths and picklists of an org's objects, read from describe.

`ObjectSchema` is plain data, so planning stays pure. `load_schema` is the one
place that calls describe. Results are kept per org and object in the
database (`ObjectDescribe`) for SCHEMA_MAX_AGE, so the periodic sweep does not
spend an API call per object on every run. Because the copy is shared, the
admin's "Refresh org metadata" reaches every worker at once.
"""

import logging
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from django.utils import timezone

from exports.models import ObjectDescribe

logger = logging.getLogger(__name__)

# A field added or a picklist value changed in Salesforce shows up at the
# latest after this long, or at once after "Refresh org metadata". Validation
# also describes again before it rejects a configuration on a cached copy.
SCHEMA_MAX_AGE = timedelta(hours=1)

# Types whose values are free text that can be shortened to fit. Picklists are
# left out on purpose: a shortened choice would not be a valid choice.
TRUNCATABLE_TYPES = frozenset(
    {"string", "textarea", "url", "phone", "combobox", "encryptedstring"}
)
# Types that accept the text values Artisan sends (names, URLs, choices).
TEXT_TYPES = TRUNCATABLE_TYPES | {"email", "picklist", "multipicklist"}


@dataclass(frozen=True)
class FieldSchema:
    name: str
    type: str
    length: int
    createable: bool = True
    updateable: bool = True
    nillable: bool = True
    defaulted_on_create: bool = False
    restricted_picklist: bool = False
    picklist_values: tuple[str, ...] = ()
    filterable: bool = True
    # For reference fields: the objects it may point to and the name a SOQL
    # path uses to reach them (AccountId -> "Account").
    reference_to: tuple[str, ...] = ()
    relationship_name: str | None = None
    label: str = ""
    # (label, value) of each active picklist entry, for configured values
    # that name an entry by its label instead of its API value.
    picklist_labels: tuple[tuple[str, str], ...] = ()
    default_value: str | None = None

    @property
    def is_truncatable(self) -> bool:
        return self.type in TRUNCATABLE_TYPES and self.length > 0

    @property
    def is_picklist(self) -> bool:
        return self.type in ("picklist", "multipicklist")


@dataclass(frozen=True)
class ObjectSchema:
    name: str
    fields: dict[str, FieldSchema] = field(default_factory=dict)
    # When Salesforce was asked, for schemas loaded by `load_schema`.
    described_at: datetime | None = field(default=None, compare=False)

    @classmethod
    def from_describe(cls, describe: dict) -> "ObjectSchema":
        fields = {}
        for item in describe.get("fields", []):
            fields[item["name"]] = FieldSchema(
                name=item["name"],
                type=item.get("type", "string"),
                length=item.get("length") or 0,
                createable=item.get("createable", True),
                updateable=item.get("updateable", True),
                nillable=item.get("nillable", True),
                defaulted_on_create=item.get("defaultedOnCreate", False),
                restricted_picklist=item.get("restrictedPicklist", False),
                picklist_values=tuple(
                    value["value"]
                    for value in item.get("picklistValues") or ()
                    if value.get("active", True)
                ),
                filterable=item.get("filterable", True),
                reference_to=tuple(item.get("referenceTo") or ()),
                relationship_name=item.get("relationshipName"),
                label=item.get("label") or item["name"],
                picklist_labels=tuple(
                    (value.get("label") or value["value"], value["value"])
                    for value in item.get("picklistValues") or ()
                    if value.get("active", True)
                ),
                default_value=_default_value(item),
            )
        return cls(name=describe.get("name", ""), fields=fields)

    def get(self, field_name: str) -> FieldSchema | None:
        """Return the field named `field_name`, in any letter case as Salesforce does."""
        found = self.fields.get(field_name)
        if found is None:
            lowered = field_name.lower()
            found = next(
                (f for name, f in self.fields.items() if name.lower() == lowered), None
            )
        return found


def _default_value(item: dict) -> str | None:
    for value in item.get("picklistValues") or ():
        if value.get("defaultValue") and value.get("active", True):
            return value["value"]
    default = item.get("defaultValue")
    return default if isinstance(default, str) else None


def load_schema(
    client, org_id: str, sobject: str, *, refresh: bool = False
) -> ObjectSchema:
    """Return the org's schema of `sobject`, from describe or a recent stored copy.

    `refresh` describes again even when the stored copy is recent.
    """
    if not refresh:
        stored = ObjectDescribe.objects.filter(
            org_id=org_id,
            sobject=sobject,
            described_at__gte=timezone.now() - SCHEMA_MAX_AGE,
        ).first()
        if stored is not None:
            schema = ObjectSchema.from_describe(stored.describe)
            return replace(schema, described_at=stored.described_at)

    describe = client.describe(sobject)
    kept = {
        "name": describe.get("name") or sobject,
        "fields": describe.get("fields") or [],
    }
    described_at = timezone.now()
    ObjectDescribe.objects.update_or_create(
        org_id=org_id,
        sobject=sobject,
        defaults={"describe": kept, "described_at": described_at},
    )
    logger.info(
        "Loaded describe of %s for org %s",
        sobject,
        org_id,
        extra={"org_id": org_id, "sobject": sobject},
    )
    return replace(ObjectSchema.from_describe(kept), described_at=described_at)


def refresh_org_schemas(
    client, org_id: str, sobjects: tuple[str, ...] = ("Lead", "Contact")
) -> dict[str, ObjectSchema]:
    """Describe `sobjects` and every other object stored for the org again."""
    stored = ObjectDescribe.objects.filter(org_id=org_id).values_list(
        "sobject", flat=True
    )
    names = dict.fromkeys([*sobjects, *sorted(stored)])
    return {name: load_schema(client, org_id, name, refresh=True) for name in names}


def clear_schema_cache(org_id: str | None = None) -> None:
    """Forget the stored describes of one org, or of every org."""
    stored = ObjectDescribe.objects.all()
    if org_id is not None:
        stored = stored.filter(org_id=org_id)
    stored.delete()
