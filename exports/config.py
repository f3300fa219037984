"""The export settings of one account as plain data, and the check of its JSON.

`ExportSettings` is what planning reads. It carries every knob of the advanced
JSON configuration with the documented defaults, so a key added to the JSON
changes data here, never a code path in the planner.

The JSON is checked in two steps that need no org. The JSON Schema in
`exports/schemas/advanced_config.schema.json` checks keys, types, API name
syntax and status keys. Then come the rules a schema cannot express: an
`overwrite_fields` entry that Artisan has no value for, or two values sent to
one field. The check against the connected org is in `exports.validation`.
"""

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import MappingProxyType

from jsonschema import Draft202012Validator

SCHEMA_PATH = Path(__file__).parent / "schemas" / "advanced_config.schema.json"

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
# The source name of the attribution value among the canonical fields.
ATTRIBUTION = "attribution"
# The field each canonical field goes to unless the configuration maps it.
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
# Salesforce requires Company on a Lead. When the configuration maps the
# company name to another field, the name goes to both, so creates still pass.
REQUIRED_ON_CREATE = MappingProxyType({"Lead": ("Company",)})

# An example of every key, shown in the admin's help and accepted as is.
EXAMPLE_ADVANCED_CONFIG = MappingProxyType(
    {
        "lead_source": "Partner Outbound",
        "field_name_mappings": {
            "Status": "Custom_Status__c",
            "Website": "Company_Website__c",
        },
        "lead_status": {
            "not_engaged": "Open - Not Contacted",
            "engaged": "Working - Contacted",
            "3": "Qualified",
            "2": "Working - Contacted",
            "1": "Unqualified",
        },
        "custom_attribution_property": "artisanai__data_source_c__c",
        "attribution_value": "Artisan AI Platform",
        "overwrite_fields": ["LeadSource", "artisanai__data_source_c__c", "Status"],
    }
)


class ExportConfigError(ValueError):
    """The account's export configuration cannot be used as it is.

    `problems` lists every reason, each naming the key and the fix.
    """

    def __init__(self, problems: list[str] | str):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__(" ".join(self.problems))


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
    # Which values the account set itself. A default value that the org's
    # restricted picklist lacks is left to the org's default; a configured one
    # makes the configuration invalid for that org.
    lead_source_configured: bool = False
    configured_status_keys: frozenset[str] = frozenset()

    @property
    def target_object(self) -> str:
        """The object new records are created as: "Lead" or "Contact"."""
        return "Contact" if self.object_mapping == "contact" else "Lead"

    def target_fields(self, sobject: str) -> dict[str, str]:
        """Canonical field name → API field name on `sobject`.

        Contacts have no Status, so a mapped Status applies to Leads only.
        """
        targets = dict(DEFAULT_TARGET_FIELDS[sobject])
        for canonical, api_name in self.field_name_mappings.items():
            if canonical == "Status" and sobject != "Lead":
                continue
            targets[canonical] = api_name
        return targets

    def field_sources(self, sobject: str) -> dict[str, str]:
        """API field name on `sobject` → the canonical field (or ATTRIBUTION) it gets."""
        sources = {
            api: canonical for canonical, api in self.target_fields(sobject).items()
        }
        for canonical in REQUIRED_ON_CREATE.get(sobject, ()):
            sources.setdefault(canonical, canonical)
        if self.attribution_field:
            sources[self.attribution_field] = ATTRIBUTION
        return sources

    def overwrite_sources(self) -> tuple[str, ...]:
        """Return the canonical fields (or ATTRIBUTION) that `overwrite_fields` names."""
        resolved = (
            resolve_overwrite_entry(self, entry) for entry in self.overwrite_fields
        )
        return tuple(dict.fromkeys(source for source in resolved if source))

    def overwrite_targets(self, sobject: str) -> dict[str, str]:
        """API field name → source, of the fields overwritten on a matched `sobject`."""
        targets = self.target_fields(sobject)
        chosen = {}
        for source in self.overwrite_sources():
            if source == ATTRIBUTION:
                chosen[self.attribution_field] = ATTRIBUTION
            elif source in targets:
                chosen[targets[source]] = source
        return chosen


def resolve_overwrite_entry(settings: ExportSettings, entry: str) -> str | None:
    """Return the canonical field (or ATTRIBUTION) an overwrite_fields entry names.

    An entry may name a canonical field, the attribution field, or the field a
    canonical one goes to on Leads or Contacts. Letter case does not matter.
    """
    lowered = entry.lower()
    for canonical in CANONICAL_FIELDS:
        if canonical.lower() == lowered:
            return canonical
    if settings.attribution_field and settings.attribution_field.lower() == lowered:
        return ATTRIBUTION
    for canonical, api_name in settings.field_name_mappings.items():
        if api_name.lower() == lowered:
            return canonical
    for sobject in ("Lead", "Contact"):
        for canonical, api_name in DEFAULT_TARGET_FIELDS[sobject].items():
            if (
                api_name.lower() == lowered
                and canonical not in settings.field_name_mappings
            ):
                return canonical
    return None


def settings_from_config(config) -> ExportSettings:
    """Read an `ExportConfig` row (saved or not) into `ExportSettings`.

    Raises ExportConfigError listing every problem when the advanced JSON is invalid.
    """
    advanced = config.advanced_config
    if advanced is None:
        advanced = {}
    problems = advanced_config_problems(advanced)
    if problems:
        raise ExportConfigError(problems)

    lead_status = dict(DEFAULT_LEAD_STATUS)
    lead_status.update(advanced.get("lead_status", {}))
    return ExportSettings(
        object_mapping=config.object_mapping,
        apply_assignment_rules=config.apply_assignment_rules,
        lead_source=advanced.get("lead_source", DEFAULT_LEAD_SOURCE),
        attribution_field=advanced.get("custom_attribution_property"),
        attribution_value=advanced.get("attribution_value", DEFAULT_ATTRIBUTION_VALUE),
        field_name_mappings=MappingProxyType(advanced.get("field_name_mappings", {})),
        lead_status=MappingProxyType(lead_status),
        overwrite_fields=tuple(advanced.get("overwrite_fields", ())),
        lead_source_configured="lead_source" in advanced,
        configured_status_keys=frozenset(advanced.get("lead_status", {})),
    )


@cache
def advanced_config_schema() -> dict:
    """Return the JSON Schema of the advanced configuration, read once."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def advanced_config_problems(advanced: object) -> list[str]:
    """Return every problem of an advanced configuration, each naming its key.

    Empty when the JSON is valid. Needs no org: fields are checked by name only.
    """
    validator = Draft202012Validator(advanced_config_schema())
    errors = sorted(validator.iter_errors(advanced), key=_error_order)
    problems = [_describe_schema_error(error) for error in errors]
    if problems or not isinstance(advanced, dict):
        return problems
    return _meaning_problems(advanced)


def _error_order(error) -> tuple:
    return tuple(str(part) for part in error.absolute_path), error.validator


def _path(error) -> str:
    path = ""
    for part in error.absolute_path:
        if isinstance(part, int):
            path += f"[{part}]"
        elif path:
            path += f".{part}"
        else:
            path = str(part)
    return path or "The configuration"


def _describe_schema_error(error) -> str:
    """Turn one JSON Schema error into a sentence that names the key and the fix."""
    path = _path(error)
    value = json.dumps(error.instance, ensure_ascii=False)
    if error.validator == "additionalProperties" and not error.absolute_path:
        return _unknown_keys(error.instance)
    if error.validator == "type":
        return (
            f"{path}: must be {_type_name(path, error.validator_value)}, not {value}."
        )
    if error.validator == "pattern":
        return _api_name_problem(path, value, error.schema.get("title", ""))
    if error.validator == "enum":
        return _enum_problem(path, value, error)

    if error.validator == "minLength":
        return f"{path}: must not be empty."
    if error.validator == "maxLength":
        return (
            f"{path}: {value} is longer than {error.validator_value} characters, "
            "the maximum of a Salesforce picklist value or text field."
        )
    if error.validator == "uniqueItems":
        return f"{path}: names a field more than once; list each field once."
    return f"{path}: {error.message}."


def _unknown_keys(advanced: dict) -> str:
    known = list(advanced_config_schema()["properties"])
    unknown = sorted(set(advanced) - set(known))
    names = ", ".join(json.dumps(key) for key in unknown)
    noun = "an unknown key" if len(unknown) == 1 else "unknown keys"
    return (
        f"{names}: {noun} of the advanced configuration. The known keys are "
        f"{', '.join(known)}."
    )


def _type_name(path: str, json_type: str) -> str:
    if path == "overwrite_fields":
        return 'a list of field API names, for example ["LeadSource", "Status"]'
    names = {"object": "a JSON object", "array": "a list", "string": "a string"}
    return names.get(json_type, json_type)


def _api_name_problem(path: str, value: str, kind: str) -> str:
    if kind == "custom field API name":
        return (
            f"{path}: {value} is not a custom field API name. Use the field's API "
            "name from Setup, not its label: letters, digits and single "
            "underscores, ending in __c, with an optional namespace prefix (for "
            "example Data_Source__c or artisanai__data_source_c__c)."
        )
    return (
        f"{path}: {value} is not a field API name. Use the API name from "
        "Setup, not the label: letters, digits and single underscores, and "
        "custom fields end in __c (for example Website or Company_Website__c)."
    )


def _enum_problem(path: str, value: str, error) -> str:
    if path == "lead_status":
        return (
            f"lead_status: unknown key {value}. Use not_engaged, engaged, or the "
            'sentiments "1" (negative), "2" (neutral) and "3" (positive).'
        )
    allowed = ", ".join(error.validator_value)
    return (
        f"{path}: {value} cannot be mapped. Map only {allowed}. Email is how "
        "Artisan finds a record again and Salesforce requires LastName, so both "
        "always go to their own fields."
    )


def _meaning_problems(advanced: dict) -> list[str]:
    settings = ExportSettings(
        attribution_field=advanced.get("custom_attribution_property"),
        field_name_mappings=MappingProxyType(advanced.get("field_name_mappings", {})),
        overwrite_fields=tuple(advanced.get("overwrite_fields", ())),
    )
    problems = []
    if "attribution_value" in advanced and not settings.attribution_field:
        problems.append(
            "attribution_value: is set, but custom_attribution_property is not, so "
            "the value would go nowhere. Add custom_attribution_property or remove "
            "attribution_value."
        )
    for index, entry in enumerate(settings.overwrite_fields):
        if resolve_overwrite_entry(settings, entry) is None:
            problems.append(
                f"overwrite_fields[{index}]: Artisan sets no field {entry!r}, so it "
                "has no value to overwrite it with. Name a canonical field ("
                f"{', '.join(CANONICAL_FIELDS)}), a field from field_name_mappings "
                "or the custom_attribution_property."
            )
    for sobject in ("Lead", "Contact"):
        problems.extend(_shared_target_problems(settings, sobject))
    return list(dict.fromkeys(problems))


def _shared_target_problems(settings: ExportSettings, sobject: str) -> list[str]:
    # Two values sent to one field would overwrite each other at random.
    senders = list(settings.target_fields(sobject).items())
    for canonical in REQUIRED_ON_CREATE.get(sobject, ()):
        if canonical in settings.field_name_mappings:
            senders.append((canonical, canonical))
    if settings.attribution_field:
        senders.append(("custom_attribution_property", settings.attribution_field))

    by_field: dict[str, tuple[str, list[str]]] = {}
    for sender, api_name in senders:
        shown, names = by_field.setdefault(api_name.lower(), (api_name, []))
        if sender not in names:
            names.append(sender)
    return [
        f"field_name_mappings: {' and '.join(names)} would both go to "
        f"{sobject}.{shown}. Map each of them to a field of its own."
        for shown, names in by_field.values()
        if len(names) > 1
    ]


def accepts(field_schema, value: str) -> bool:
    """Return whether a picklist field accepts `value` (unrestricted ones accept any)."""
    return not field_schema.restricted_picklist or value in field_schema.picklist_values


def picklist_api_value(field_schema, value: str) -> str | None:
    """Return the picklist's API value that `value` names, by value or by label.

    An exact value wins over a label; then letter case is ignored. None when
    no active entry matches.
    """
    if value in field_schema.picklist_values:
        return value
    for label, api_value in field_schema.picklist_labels:
        if label == value:
            return api_value
    lowered = value.casefold()
    for api_value in field_schema.picklist_values:
        if api_value.casefold() == lowered:
            return api_value
    for label, api_value in field_schema.picklist_labels:
        if label.casefold() == lowered:
            return api_value
    return None


@dataclass(frozen=True)
class ConfiguredValue:
    """A value the configuration (or its default) sends to one field of an object."""

    field: str
    value: str
    key: str
    configured: bool


def configured_values(settings: ExportSettings, sobject: str) -> list[ConfiguredValue]:
    """List the values that come from configuration, not lead data, for `sobject`."""
    targets = settings.target_fields(sobject)
    values = []
    if "LeadSource" in targets:
        values.append(
            ConfiguredValue(
                targets["LeadSource"],
                settings.lead_source,
                "lead_source",
                settings.lead_source_configured,
            )
        )
    if "Status" in targets:
        for key in sorted(LEAD_STATUS_KEYS):
            values.append(
                ConfiguredValue(
                    targets["Status"],
                    settings.lead_status[key],
                    f"lead_status.{key}",
                    key in settings.configured_status_keys,
                )
            )
    if settings.attribution_field:
        values.append(
            ConfiguredValue(
                settings.attribution_field,
                settings.attribution_value,
                "attribution_value",
                True,
            )
        )
    return values
