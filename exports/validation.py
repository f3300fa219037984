"""The check of an account's export settings against its connected org.

The JSON itself is checked when it is saved (`exports.config`). This check
needs the org's describe and runs on demand from the admin and before every
export that has leads to send. Its errors reject the export; its warnings
describe what the export will do instead, and are logged and shown.

Picklist values, decided here and applied by `exports.mapping`:
- a value given as a picklist label is sent as the entry's API value;
- a configured value missing from a restricted picklist is an error;
- an Artisan default that the account did not configure (lead_source, or a
  lead_status key) missing from a restricted picklist is a warning: records
  get the org's default for that field instead. So the default Status mapping
  works against an org with the classic four Lead statuses;
- a value missing from an unrestricted picklist is a warning, because
  Salesforce stores it as it is, outside the picklist's list of values.
"""

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from django.utils import timezone

from exports.config import (
    ATTRIBUTION,
    ExportSettings,
    configured_values,
    picklist_api_value,
)
from exports.describe import TEXT_TYPES, ObjectSchema, load_schema
from exports.mapping import utf16_length

logger = logging.getLogger(__name__)

# A rejected configuration is checked again on a fresh describe only when the
# stored one is older than this, so the periodic sweep retrying an account
# with a broken configuration does not describe its objects every time.
RECHECK_AFTER = timedelta(minutes=5)


@dataclass(frozen=True)
class OrgCheck:
    """The outcome of checking settings against one org's describe."""

    org_id: str
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    schemas: Mapping[str, ObjectSchema] = field(default_factory=dict)

    @property
    def is_valid(self) -> bool:
        return not self.errors


def objects_to_check(settings: ExportSettings) -> tuple[str, ...]:
    """Return the objects whose describe the export needs for these settings.

    Matched records may be Leads or Contacts whatever the object mapping, so
    both are needed when `overwrite_fields` updates them.
    """
    if settings.overwrite_fields:
        return tuple(dict.fromkeys([settings.target_object, "Lead", "Contact"]))
    return (settings.target_object,)


def check_against_org(
    client, org_id: str, settings: ExportSettings, *, refresh: bool = False
) -> OrgCheck:
    """Check `settings` against the org's describe, stored or (`refresh`) fresh.

    A check that fails on a describe older than RECHECK_AFTER is repeated on a
    fresh one, so a fix made in Salesforce since then is seen before rejecting.
    """
    schemas = {
        name: load_schema(client, org_id, name, refresh=refresh)
        for name in objects_to_check(settings)
    }
    errors, warnings = check_settings(settings, schemas)
    cutoff = timezone.now() - RECHECK_AFTER
    stale = any(
        schema.described_at is None or schema.described_at < cutoff
        for schema in schemas.values()
    )
    if errors and stale and not refresh:
        logger.info(
            "Export settings invalid for org %s on its stored describe; "
            "describing again before rejecting them",
            org_id,
            extra={"org_id": org_id},
        )
        return check_against_org(client, org_id, settings, refresh=True)
    return OrgCheck(org_id, tuple(errors), tuple(warnings), schemas)


def check_settings(
    settings: ExportSettings, schemas: Mapping[str, ObjectSchema]
) -> tuple[list[str], list[str]]:
    """Return (errors, warnings) of `settings` against these object schemas."""
    errors: list[str] = []
    warnings: list[str] = []
    target = schemas[settings.target_object]
    _check_created_fields(settings, target, errors)
    _check_required_fields(settings, target, errors)
    for sobject in ("Lead", "Contact"):
        if sobject in schemas and settings.overwrite_fields:
            _check_overwritten_fields(settings, schemas[sobject], errors, warnings)
    for schema in schemas.values():
        _check_values(settings, schema, errors, warnings)
    return list(dict.fromkeys(errors)), list(dict.fromkeys(warnings))


def _config_key(settings: ExportSettings, source: str) -> str:
    if source == ATTRIBUTION:
        return "custom_attribution_property"
    if source in settings.field_name_mappings:
        return f"field_name_mappings.{source}"
    return f"{source} (Artisan's default field for it)"


def _check_created_fields(
    settings: ExportSettings, schema: ObjectSchema, errors: list[str]
) -> None:
    for api_name, source in settings.field_sources(schema.name).items():
        key = _config_key(settings, source)
        field_schema = schema.get(api_name)
        if field_schema is None:
            errors.append(
                f"{key}: {schema.name} has no field {api_name} that the connected "
                "Salesforce user can see. Create the field in Salesforce (or grant "
                "the user access to it), or correct the name."
            )
        elif not field_schema.createable:
            errors.append(
                f"{key}: {schema.name}.{api_name} cannot be set on new records by "
                "the connected Salesforce user. Grant edit access to the field, or "
                "send the value to another field."
            )
        elif field_schema.type not in TEXT_TYPES:
            errors.append(
                f"{key}: {schema.name}.{api_name} is a {field_schema.type} field "
                "and cannot hold the text Artisan sends. Use a text or picklist "
                "field."
            )


def _check_required_fields(
    settings: ExportSettings, schema: ObjectSchema, errors: list[str]
) -> None:
    sent = {name.lower() for name in settings.field_sources(schema.name)}
    for field_schema in schema.fields.values():
        required = (
            field_schema.createable
            and not field_schema.nillable
            and not field_schema.defaulted_on_create
        )
        if required and field_schema.name.lower() not in sent:
            errors.append(
                f"field_name_mappings: {schema.name}.{field_schema.name} is required "
                "in this org, and Artisan sends no value for it, so every new "
                f"{schema.name} would be rejected. Map a canonical field to it, or "
                "make it optional or give it a default in Salesforce."
            )


def _check_overwritten_fields(
    settings: ExportSettings,
    schema: ObjectSchema,
    errors: list[str],
    warnings: list[str],
) -> None:
    created = schema.name == settings.target_object
    for api_name in settings.overwrite_targets(schema.name):
        field_schema = schema.get(api_name)
        if field_schema is None:
            if not created:
                # Records of this object are only matched, never created, so
                # the rest of the export is unaffected.
                warnings.append(
                    f"overwrite_fields: {schema.name} has no field {api_name}, so "
                    f"matched {schema.name}s keep their own value there."
                )
        elif not field_schema.updateable:
            errors.append(
                f"overwrite_fields: {schema.name}.{api_name} cannot be updated by "
                "the connected Salesforce user. Grant edit access to the field, or "
                "remove it from overwrite_fields."
            )
        elif field_schema.type not in TEXT_TYPES:
            errors.append(
                f"overwrite_fields: {schema.name}.{api_name} is a "
                f"{field_schema.type} field and cannot hold the text Artisan sends."
            )


def _check_values(
    settings: ExportSettings,
    schema: ObjectSchema,
    errors: list[str],
    warnings: list[str],
) -> None:
    if schema.name == settings.target_object:
        written = {name.lower() for name in settings.field_sources(schema.name)}
    else:
        written = {name.lower() for name in settings.overwrite_targets(schema.name)}
    for choice in configured_values(settings, schema.name):
        field_schema = schema.get(choice.field)
        if field_schema is None or choice.field.lower() not in written:
            continue
        where = f"{schema.name}.{field_schema.name}"
        if not field_schema.is_picklist:
            length = utf16_length(choice.value)
            if field_schema.is_truncatable and length > field_schema.length:
                warnings.append(
                    f"{choice.key}: {choice.value!r} is {length} characters long "
                    f"and {where} holds {field_schema.length}, so it is cut on every "
                    "record."
                )
            continue
        api_value = picklist_api_value(field_schema, choice.value)
        if api_value is not None:
            if api_value != choice.value:
                warnings.append(
                    f"{choice.key}: {choice.value!r} is how {where} labels the "
                    f"value {api_value!r}; Artisan sends {api_value!r}."
                )
            continue
        choices = ", ".join(repr(value) for value in field_schema.picklist_values)
        if not field_schema.restricted_picklist:
            warnings.append(
                f"{choice.key}: {choice.value!r} is not among the values of {where}. "
                "The picklist is unrestricted, so Salesforce stores it as it is, "
                "but it is missing from the picklist's list until an admin adds it."
            )
        elif choice.configured:
            errors.append(
                f"{choice.key}: {choice.value!r} is not a value of the restricted "
                f"picklist {where}. Use one of {choices}, or add the value in "
                "Salesforce."
            )
        else:
            default = (
                repr(field_schema.default_value)
                if field_schema.default_value
                else "its default"
            )
            warnings.append(
                f"{choice.key}: Artisan's default {choice.value!r} is not a value "
                f"of {where}, so those records get the org's default {default}. "
                f"Set {choice.key} to one of {choices} to choose another."
            )
