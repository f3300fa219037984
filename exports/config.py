"""The export settings of one account as plain data, and their check against an org.

`ExportSettings` is what planning reads. It carries every knob of the advanced
JSON configuration with the documented defaults, so a key added to the JSON
changes data here, never a code path in the planner.
"""

from dataclasses import dataclass, field
from types import MappingProxyType

from exports.describe import ObjectSchema

DEFAULT_LEAD_SOURCE = "Artisan AI"
DEFAULT_ATTRIBUTION_VALUE = "Artisan AI"
DEFAULT_LEAD_STATUS = MappingProxyType(
    {
        "not_engaged": "Open - Not Contacted",
        "engaged": "Working - Contacted",
        "3": "Qualified",
        "2": "Working - Contacted",
        "1": "Unqualified",
    }
)
LEAD_STATUS_KEYS = frozenset(DEFAULT_LEAD_STATUS)

# Artisan's canonical field names are the Lead object's API names.
CANONICAL_FIELDS = (
    "FirstName",
    "LastName",
    "Email",
    "Title",
    "Company",
    "Website",
    "Status",
    "LeadSource",
)
# Where each canonical field goes unless the configuration maps it elsewhere.
# Contacts have no Company, Website or Status: the company name goes to
# Department, the website to Description, and the status nowhere.
DEFAULT_TARGET_FIELDS = MappingProxyType(
    {
        "Lead": MappingProxyType({name: name for name in CANONICAL_FIELDS}),
        "Contact": MappingProxyType(
            {
                "FirstName": "FirstName",
                "LastName": "LastName",
                "Email": "Email",
                "Title": "Title",
                "Company": "Department",
                "Website": "Description",
                "LeadSource": "LeadSource",
            }
        ),
    }
)


class ExportConfigError(ValueError):
    """The account's export configuration cannot be used as it is."""


@dataclass(frozen=True)
class ExportSettings:
    """The mapping and creation settings; the defaults are the documented behaviour."""

    object_mapping: str = "lead"
    apply_assignment_rules: bool = True
    lead_source: str = DEFAULT_LEAD_SOURCE
    attribution_field: str | None = None
    attribution_value: str = DEFAULT_ATTRIBUTION_VALUE
    field_name_mappings: MappingProxyType = field(
        default_factory=lambda: MappingProxyType({})
    )
    lead_status: MappingProxyType = field(default_factory=lambda: DEFAULT_LEAD_STATUS)
    overwrite_fields: tuple[str, ...] = ()

    @property
    def target_object(self) -> str:
        """The object new records are created as: "Lead" or "Contact"."""
        return "Contact" if self.object_mapping == "contact" else "Lead"

    def target_fields(self, sobject: str) -> dict[str, str]:
        """Canonical field name → API field name on `sobject`."""
        targets = dict(DEFAULT_TARGET_FIELDS[sobject])
        targets.update(self.field_name_mappings)
        return targets


def settings_from_config(config) -> ExportSettings:
    """Read an `ExportConfig` row (saved or not) into `ExportSettings`.

    Raises ExportConfigError naming the key when the advanced JSON is malformed.
    """
    advanced = config.advanced_config or {}
    if not isinstance(advanced, dict):
        raise ExportConfigError(
            "The advanced configuration must be a JSON object; "
            f"got {type(advanced).__name__}. Fix it in the account's export config."
        )

    lead_status = dict(DEFAULT_LEAD_STATUS)
    overlay = _typed(advanced, "lead_status", dict, {})
    unknown = sorted(set(overlay) - LEAD_STATUS_KEYS)
    if unknown:
        raise ExportConfigError(
            f"lead_status has unknown keys {unknown}; "
            f"use only {sorted(LEAD_STATUS_KEYS)}."
        )
    lead_status.update(overlay)

    return ExportSettings(
        object_mapping=config.object_mapping,
        apply_assignment_rules=config.apply_assignment_rules,
        lead_source=_typed(advanced, "lead_source", str, DEFAULT_LEAD_SOURCE),
        attribution_field=_typed(advanced, "custom_attribution_property", str, None),
        attribution_value=_typed(
            advanced, "attribution_value", str, DEFAULT_ATTRIBUTION_VALUE
        ),
        field_name_mappings=MappingProxyType(
            _typed(advanced, "field_name_mappings", dict, {})
        ),
        lead_status=MappingProxyType(lead_status),
        overwrite_fields=tuple(_typed(advanced, "overwrite_fields", list, [])),
    )


def _typed(advanced: dict, key: str, expected: type, default):
    value = advanced.get(key, default)
    if value is not default and not isinstance(value, expected):
        raise ExportConfigError(
            f"{key} must be a {expected.__name__}, got {value!r}; "
            "fix it in the account's advanced configuration."
        )
    return value


def settings_problems(settings: ExportSettings, schema: ObjectSchema) -> list[str]:
    """Say which mapped fields the org lacks or will not let the user set.

    Any of these would fail every record, so a run stops on them.
    """
    problems = []
    for canonical, api_name in sorted(_configured_fields(settings, schema).items()):
        field_schema = schema.get(api_name)
        if field_schema is None:
            problems.append(
                f"{schema.name} has no field {api_name} (mapped from {canonical}); "
                "create it in Salesforce or change the field mapping."
            )
        elif not field_schema.createable:
            problems.append(
                f"{schema.name}.{api_name} (mapped from {canonical}) cannot be set "
                "by the connected user; grant field access or change the mapping."
            )
    return problems


def picklist_problems(settings: ExportSettings, schema: ObjectSchema) -> list[str]:
    """Say which configured Status or LeadSource values the org's picklists lack.

    Records are still created without such a value (Salesforce then applies
    the field's default), so these are warnings rather than reasons to stop.
    """
    problems = []
    for api_name, value in sorted(configured_picklist_values(settings, schema)):
        field_schema = schema.get(api_name)
        if field_schema is not None and not accepts(field_schema, value):
            problems.append(
                f"{schema.name}.{api_name} has no picklist value {value!r}; add it "
                "in Salesforce or change the configuration."
            )
    return problems


def configured_picklist_values(
    settings: ExportSettings, schema: ObjectSchema
) -> set[tuple[str, str]]:
    """(field, value) pairs that come from configuration, not from lead data."""
    targets = settings.target_fields(schema.name)
    pairs = set()
    if "LeadSource" in targets:
        pairs.add((targets["LeadSource"], settings.lead_source))
    if "Status" in targets:
        pairs.update((targets["Status"], v) for v in settings.lead_status.values())
    if settings.attribution_field:
        pairs.add((settings.attribution_field, settings.attribution_value))
    return pairs


def accepts(field_schema, value: str) -> bool:
    """Return whether a picklist field accepts `value` (unrestricted ones accept any)."""
    return not field_schema.restricted_picklist or value in field_schema.picklist_values


def _configured_fields(settings: ExportSettings, schema: ObjectSchema) -> dict:
    targets = settings.target_fields(schema.name)
    if settings.attribution_field:
        targets["attribution"] = settings.attribution_field
    return targets
