"""Field-level validation of sObject bodies, as Salesforce performs it on save.

`check_body` rejects the request as a whole (unknown or read-only fields,
values JSON cannot hold in the field), as Salesforce does while deserialising.
`clean_values` then checks each value (length, email format, restricted
picklists, references) and returns every problem at once, and
`missing_required` lists required fields left empty.
"""

import re
from datetime import UTC, date, datetime

from sf_emulator import ids, schema
from sf_emulator.errors import ApiError, ErrorItem, converted_lead, invalid_field

# Salesforce rejects addresses without a dotted domain ("a@213213213213213com")
# and addresses with characters such as "&" in the domain.
EMAIL_PATTERN = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+"
    r"@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}$"
)
DATETIME_OUTPUT = "%Y-%m-%dT%H:%M:%S.{millis:03d}+0000"
IGNORED_KEYS = {"attributes"}


def utf16_length(value: str) -> int:
    """Return the length as Salesforce counts it: UTF-16 code units."""
    return len(value.encode("utf-16-le")) // 2


def format_datetime(moment: datetime) -> str:
    """Format a datetime the way the REST API returns it, in UTC."""
    moment = moment.astimezone(UTC)
    return moment.strftime(DATETIME_OUTPUT).format(millis=moment.microsecond // 1000)


def now() -> str:
    return format_datetime(datetime.now(UTC))


def parser_error(field_type: str, value: object) -> ApiError:
    return ApiError.single(
        "JSON_PARSER_ERROR",
        f"Cannot deserialize instance of {field_type} from VALUE_STRING value "
        f"{value} or request may be missing a required field",
    )


def check_body(
    object_schema: schema.ObjectSchema, body: object, *, creating: bool
) -> dict[str, object]:
    """Return the body keyed by canonical field names, or raise ApiError.

    Raises INVALID_FIELD for unknown fields and an Id on create, and
    INVALID_FIELD_FOR_INSERT_UPDATE for fields the operation cannot set.
    """
    if not isinstance(body, dict):
        raise ApiError.single(
            "JSON_PARSER_ERROR",
            "Cannot deserialize instance of sObject from a value that is not "
            "a JSON object",
        )
    values: dict[str, object] = {}
    for key, value in body.items():
        if key in IGNORED_KEYS:
            continue
        spec = object_schema.field(key)
        if spec is None:
            raise invalid_field(object_schema.name, key)
        if spec.name == "Id":
            if creating:
                raise ApiError.single(
                    "INVALID_FIELD",
                    "The Id field should not be specified in the sobject data.",
                )
            continue
        values[spec.name] = value
    not_writable = [
        name
        for name in values
        if not (
            object_schema.fields[name].createable
            if creating
            else object_schema.fields[name].updateable
        )
    ]
    if not_writable:
        raise read_only_fields(not_writable)
    return values


def read_only_fields(names: list[str]) -> ApiError:
    return ApiError.single(
        "INVALID_FIELD_FOR_INSERT_UPDATE",
        f"Unable to create/update fields: {', '.join(names)}. Please check the "
        "security settings of this field and verify that it is read/write for "
        "your role or profile.",
        names,
    )


def clean_values(
    object_schema: schema.ObjectSchema,
    values: dict[str, object],
    lookup_record,
) -> tuple[dict[str, object], list[ErrorItem]]:
    """Convert values to their stored form and check them.

    lookup_record(id) returns (object name, record) for an existing record of
    the org, or None. Returns the converted values and the errors found.
    Raises ApiError when a value cannot be read as the field's type.
    """
    cleaned: dict[str, object] = {}
    errors: list[ErrorItem] = []
    for name, value in values.items():
        spec = object_schema.fields[name]
        value = _coerce(spec, value)
        if value is None:
            cleaned[name] = None
            continue
        error = _check_value(spec, value, lookup_record)
        if error is not None:
            errors.append(error)
            continue
        if spec.type == "reference":
            value = ids.normalize(value)
        elif spec.type == "junctionidlist":
            value = [ids.normalize(item) for item in value]
        cleaned[name] = value
    return cleaned, errors


def _coerce(spec: schema.Field, value: object) -> object:
    """Convert a JSON value to the field's stored form, or raise ApiError."""
    if spec.type == "boolean":
        if value is None:
            return False
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise parser_error("boolean", value)
    if value is None:
        return None
    if spec.type == "junctionidlist":
        if isinstance(value, str):
            value = [item.strip() for item in value.split(",") if item.strip()]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise parser_error("JunctionIdList", value)
        return value or None
    if spec.type in schema.NUMBER_TYPES:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise parser_error(spec.type, value)
        try:
            number = float(value)
        except ValueError:
            raise parser_error(spec.type, value) from None
        if spec.type == "int":
            if not number.is_integer():
                raise parser_error("int", value)
            return int(number)
        return number
    if isinstance(value, dict | list) or isinstance(value, bool):
        raise parser_error(spec.type, value)
    text = str(value)
    if spec.type == "date":
        return _parse_date(text)
    if spec.type == "datetime":
        return _parse_datetime(text)
    # Salesforce stores an empty string as null.
    return text or None


def _parse_date(text: str) -> str:
    try:
        return date.fromisoformat(text[:10]).isoformat()
    except ValueError:
        raise parser_error("date", text) from None


def _parse_datetime(text: str) -> str:
    # A space instead of "T" is rejected, as Salesforce does.
    if "T" not in text:
        raise parser_error("datetime", text)
    normalized = text.replace("Z", "+00:00")
    if re.search(r"[+-]\d{4}$", normalized):
        normalized = normalized[:-2] + ":" + normalized[-2:]
    try:
        moment = datetime.fromisoformat(normalized)
    except ValueError:
        raise parser_error("datetime", text) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return format_datetime(moment)


def _check_value(spec: schema.Field, value: object, lookup_record) -> ErrorItem | None:
    if spec.type in schema.STRING_TYPES:
        if spec.length and utf16_length(value) > spec.length:
            return ErrorItem(
                "STRING_TOO_LONG",
                f"{spec.label}: data value too large: {value} "
                f"(max length={spec.length})",
                [spec.name],
            )
        if spec.type == "email" and not EMAIL_PATTERN.match(value):
            return ErrorItem(
                "INVALID_EMAIL_ADDRESS",
                f"{spec.label}: invalid email address: {value}",
                [spec.name],
            )
        if spec.type in ("picklist", "multipicklist") and spec.restricted:
            chosen = value.split(";") if spec.type == "multipicklist" else [value]
            if any(item not in spec.picklist_values for item in chosen):
                return ErrorItem(
                    "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                    f"{spec.label}: bad value for restricted picklist field: {value}",
                    [spec.name],
                )
        return None
    if spec.type == "reference":
        return check_reference(spec, value, lookup_record)
    if spec.type == "junctionidlist":
        for item in value:
            error = check_reference(spec, item, lookup_record)
            if error is not None:
                return error
    return None


def check_reference(spec: schema.Field, value: str, lookup_record) -> ErrorItem | None:
    """Check that a lookup value is an id of an allowed, existing record."""
    record_id = ids.normalize(value)
    if record_id is None:
        return ErrorItem(
            "MALFORMED_ID",
            f"{spec.label}: id value of incorrect type: {value}",
            [spec.name],
        )
    if ids.object_type(record_id) not in spec.reference_to:
        return ErrorItem(
            "FIELD_INTEGRITY_EXCEPTION",
            f"{spec.label}: id value of incorrect type: {value}",
            [spec.name],
        )
    found = lookup_record(record_id)
    if found is None or found[1].get("IsDeleted"):
        return ErrorItem(
            "INVALID_CROSS_REFERENCE_KEY",
            "invalid cross reference id",
            [spec.name],
        )
    object_name, record = found
    if object_name == "Lead" and record.get("IsConverted"):
        return converted_lead()
    return None


def missing_required(
    object_schema: schema.ObjectSchema, record: dict, names: list[str] | None = None
) -> ErrorItem | None:
    """Return one REQUIRED_FIELD_MISSING error naming every empty required field.

    Required means createable, not nillable and not defaulted on create; names
    limits the check to fields being written.
    """
    missing = [
        spec.name
        for spec in object_schema.fields.values()
        if spec.createable
        and not spec.nillable
        and not spec.defaulted_on_create
        and (names is None or spec.name in names)
        and record.get(spec.name) in (None, "")
    ]
    if not missing:
        return None
    return ErrorItem(
        "REQUIRED_FIELD_MISSING",
        f"Required fields are missing: [{', '.join(missing)}]",
        missing,
    )
