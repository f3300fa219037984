"""From an Artisan lead to the fields of a new or a matched Salesforce record.

Pure functions: the org's field lengths and picklists arrive as an
`ObjectSchema`. Lengths are counted as Salesforce counts them, in UTF-16 code
units, and a value is only ever cut between user-perceived characters
(grapheme clusters).

Configured values (LeadSource, the Status of each engagement, the attribution
value) that name a picklist entry by its label are sent as the entry's API
value. A default the account did not configure that the org's restricted
picklist lacks is left out, so Salesforce applies the field's default, and a
note records it. A configured one raises MappingError, but validation against the
org rejects such a configuration before an export starts.
"""

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from exports.config import (
    ATTRIBUTION,
    REQUIRED_ON_CREATE,
    ExportSettings,
    configured_values,
    picklist_api_value,
)
from exports.describe import ObjectSchema

# Company is required on a Lead. A visible placeholder there is not mistaken
# for real data, whereas a made-up person name would be, so a missing last
# name fails the lead.
COMPANY_PLACEHOLDER = "[not provided]"

# Close to what Salesforce accepts: a dot-atom local part and a dotted domain
# of letters, digits and hyphens. Salesforce rejects backslashes, spaces and
# "&" in the domain, so such values fail here with a readable error instead of
# one INVALID_EMAIL_ADDRESS per record.
EMAIL_PATTERN = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+"
    r"@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}$"
)
# Halves of UTF-16 surrogate pairs. Python strings hold them only when the
# input carried a broken escape such as "\ud83d"; JSON to Salesforce cannot.
LONE_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class LeadData:
    """The fields of an Artisan lead that an export reads."""

    lead_id: int
    email: str
    first_name: str = ""
    last_name: str = ""
    job_title: str = ""
    company_name: str = ""
    website: str = ""
    replied: bool = False
    sentiment: int | None = None


@dataclass(frozen=True)
class Truncation:
    field: str
    original_length: int
    sent_length: int

    def as_dict(self) -> dict:
        return {
            "field": self.field,
            "original_length": self.original_length,
            "sent_length": self.sent_length,
        }


@dataclass(frozen=True)
class FieldChange:
    """A field that an overwrite changes on a matched record."""

    field: str
    before: object
    after: object

    def as_dict(self) -> dict:
        return {"field": self.field, "from": self.before, "to": self.after}


@dataclass(frozen=True)
class MappedRecord:
    """The fields to send, what was shortened, and placeholders used."""

    sobject: str
    fields: dict[str, object]
    truncations: tuple[Truncation, ...] = ()
    notes: tuple[str, ...] = ()

    def payload(self) -> dict:
        return {"attributes": {"type": self.sobject}, **self.fields}


@dataclass(frozen=True)
class MappedUpdate:
    """The overwritten fields whose value differs from the record's, with notes."""

    sobject: str
    changes: tuple[FieldChange, ...]
    truncations: tuple[Truncation, ...] = ()
    notes: tuple[str, ...] = ()

    def payload(self, salesforce_id: str) -> dict:
        fields = {change.field: change.after for change in self.changes}
        return {"attributes": {"type": self.sobject}, "id": salesforce_id, **fields}


class MappingError(ValueError):
    """A lead value that no truncation or placeholder can make valid."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def lead_status_key(replied: bool, sentiment: int | None) -> str:
    """Return the `lead_status` key for a lead's engagement and latest sentiment."""
    if not replied:
        return "not_engaged"
    if sentiment is None:
        return "engaged"
    return str(sentiment)


def clean_text(value: str) -> str:
    """Trim `value` and replace broken UTF-16 halves, which no field accepts."""
    return LONE_SURROGATE.sub("\ufffd", value.strip())


def artisan_values(lead: LeadData, settings: ExportSettings) -> dict[str, str]:
    """Return the value of every canonical field (and ATTRIBUTION) for `lead`."""
    values = {
        "FirstName": clean_text(lead.first_name),
        "LastName": clean_text(lead.last_name),
        "Email": lead.email.strip(),
        "Title": clean_text(lead.job_title),
        "Company": clean_text(lead.company_name),
        "Website": clean_text(lead.website),
        "Status": settings.lead_status[lead_status_key(lead.replied, lead.sentiment)],
        "LeadSource": settings.lead_source,
    }
    if settings.attribution_field:
        values[ATTRIBUTION] = settings.attribution_value
    return values


def map_lead(
    lead: LeadData, settings: ExportSettings, schema: ObjectSchema
) -> MappedRecord:
    """Build the fields of a new `schema.name` record for `lead`.

    Raises MappingError when the email or last name cannot be sent.
    """
    sobject = schema.name
    email = lead.email.strip()
    check_email(email, schema)
    values = artisan_values(lead, settings)
    if not values["LastName"]:
        raise _missing_last_name(email, sobject)

    fields = {
        api_name: values[source]
        for api_name, source in settings.field_sources(sobject).items()
        if values.get(source)
    }
    notes = _resolve_choices(fields, settings, schema, lead, overwriting=False)
    fields, truncations = fit_to_schema(fields, schema)
    if not fields.get("LastName"):
        raise _missing_last_name(email, sobject)
    if "Company" in REQUIRED_ON_CREATE.get(sobject, ()) and not fields.get("Company"):
        fields["Company"] = COMPANY_PLACEHOLDER
        notes.append(
            f'Company was empty; sent "{COMPANY_PLACEHOLDER}" because Salesforce '
            "requires Company on a Lead."
        )
    return MappedRecord(sobject, fields, tuple(truncations), tuple(notes))


def _missing_last_name(email: str, sobject: str) -> MappingError:
    return MappingError(
        "MISSING_LAST_NAME",
        f"The lead {email} has no last name, and Salesforce requires LastName "
        f"on a {sobject}. Add the last name in Artisan and export again.",
    )


def map_update(
    lead: LeadData,
    settings: ExportSettings,
    schema: ObjectSchema,
    current: Mapping[str, object] | None,
) -> MappedUpdate:
    """Compare the `overwrite_fields` values Artisan would set with `current` ones.

    `current` contains the matched record's values by field name; None means they
    were not read, so every overwritten field counts as changed.
    """
    values = artisan_values(lead, settings)
    wanted = {}
    notes = []
    for api_name, source in settings.overwrite_targets(schema.name).items():
        field_schema = schema.get(api_name)
        if field_schema is None:
            notes.append(
                f"{schema.name} has no field {api_name}, so it was not overwritten."
            )
        elif values.get(source):
            # An empty Artisan value never blanks a field in Salesforce.
            wanted[field_schema.name] = values[source]
    notes.extend(_resolve_choices(wanted, settings, schema, lead, overwriting=True))
    wanted, truncations = fit_to_schema(wanted, schema)

    changes = tuple(
        FieldChange(name, (current or {}).get(name), value)
        for name, value in wanted.items()
        if current is None or current.get(name) != value
    )
    changed = {change.field for change in changes}
    kept_truncations = tuple(t for t in truncations if t.field in changed)
    return MappedUpdate(schema.name, changes, kept_truncations, tuple(notes))


def _resolve_choices(
    fields: dict[str, object],
    settings: ExportSettings,
    schema: ObjectSchema,
    lead: LeadData,
    *,
    overwriting: bool,
) -> list[str]:
    """Turn configured picklist values into API values in place; return notes."""
    status_key = f"lead_status.{lead_status_key(lead.replied, lead.sentiment)}"
    notes = []
    for choice in configured_values(settings, schema.name):
        if choice.key.startswith("lead_status.") and choice.key != status_key:
            continue
        field_schema = schema.get(choice.field)
        if field_schema is None or not field_schema.is_picklist:
            continue
        name = field_schema.name
        if fields.get(name) != choice.value:
            continue
        api_value = picklist_api_value(field_schema, choice.value)
        if api_value is not None:
            fields[name] = api_value
        elif not field_schema.restricted_picklist:
            # Salesforce stores any value in an unrestricted picklist.
            continue
        elif choice.configured:
            raise MappingError(
                "VALUE_NOT_IN_PICKLIST",
                f"{choice.key} is {choice.value!r}, which the org's restricted "
                f"{schema.name}.{name} picklist does not contain. Add the value "
                "in Salesforce or change it in the advanced configuration.",
            )
        else:
            del fields[name]
            notes.append(_fallback_note(name, choice, field_schema, overwriting))
    return notes


def _fallback_note(name, choice, field_schema, overwriting: bool) -> str:
    missing = f"{name} {choice.value!r} is not in this org's picklist"
    fix = (
        f"It is Artisan's default for {choice.key}; set a value the org has in the "
        "advanced configuration, or add this one in Salesforce."
    )
    if overwriting:
        return f"{missing}, so {name} was not overwritten. {fix}"
    default = f" ({field_schema.default_value!r})" if field_schema.default_value else ""
    return (
        f"{missing}, so it was left out and Salesforce applied the field's "
        f"default{default}. {fix}"
    )


def check_email(email: str, schema: ObjectSchema) -> None:
    """Raise MappingError unless `email` fits the Email field and looks valid."""
    if not email:
        raise MappingError(
            "MISSING_EMAIL",
            "The lead has no email, and the email is how Artisan finds it in "
            "Salesforce. Add the email in Artisan and export again.",
        )
    email_field = schema.get("Email")
    limit = email_field.length if email_field and email_field.length else 80
    length = utf16_length(email)
    if length > limit:
        raise MappingError(
            "EMAIL_TOO_LONG",
            f"The email {email} is {length} characters long; Salesforce's Email "
            f"field holds {limit}. Correct the lead's email in Artisan.",
        )
    if not EMAIL_PATTERN.match(email):
        raise MappingError(
            "INVALID_EMAIL",
            f"{email!r} is not an email address Salesforce accepts. "
            "Correct the lead's email in Artisan and export again.",
        )


def fit_to_schema(
    fields: dict[str, object], schema: ObjectSchema
) -> tuple[dict[str, object], list[Truncation]]:
    """Cut text values to their field's length, reporting each cut.

    Fields found in the schema are keyed by the org's spelling of their name.
    """
    fitted = {}
    truncations = []
    for name, value in fields.items():
        field_schema = schema.get(name)
        if field_schema is not None:
            name = field_schema.name
        if (
            isinstance(value, str)
            and field_schema is not None
            and field_schema.is_truncatable
        ):
            cut = truncate_utf16(value, field_schema.length)
            if cut != value:
                truncations.append(
                    Truncation(name, utf16_length(value), utf16_length(cut))
                )
            value = cut
        fitted[name] = value
    return fitted, truncations


def utf16_length(value: str) -> int:
    """Length in UTF-16 code units, the unit of Salesforce's field lengths."""
    # "surrogatepass" counts a lone surrogate as the one unit it would be.
    return len(value.encode("utf-16-le", "surrogatepass")) // 2


def truncate_utf16(value: str, limit: int) -> str:
    """Return the longest prefix of whole grapheme clusters within `limit` units."""
    if utf16_length(value) <= limit:
        return value
    kept = []
    used = 0
    for cluster in grapheme_clusters(value):
        size = utf16_length(cluster)
        if used + size > limit:
            break
        kept.append(cluster)
        used += size
    return "".join(kept)


ZWJ = "\u200d"
# Grapheme_Cluster_Break=Prepend (Unicode 15.1): these attach to what follows.
PREPEND = frozenset(
    [chr(code) for code in range(0x0600, 0x0606)]
    + [chr(code) for code in (0x06DD, 0x070F, 0x0890, 0x0891, 0x08E2, 0x0D4E)]
    + [chr(code) for code in (0x110BD, 0x110CD, 0x111C2, 0x111C3, 0x1193F)]
    + [chr(code) for code in (0x11941, 0x11A3A, 0x11D46, 0x11F02)]
    + [chr(code) for code in range(0x11A84, 0x11A8A)]
)
# Letters that Unicode counts as spacing marks although their category is Lo.
SPACING_LETTERS = frozenset("\u0e33\u0eb3")
# Indic_Conjunct_Break=Linker: the viramas that join two consonants into one
# conjunct, and the blocks of the scripts they belong to.
CONJUNCT_LINKERS = frozenset("\u094d\u09cd\u0acd\u0b4d\u0c4d\u0d4d")
CONJUNCT_BLOCKS = (
    (0x0900, 0x097F),
    (0x0980, 0x09FF),
    (0x0A80, 0x0AFF),
    (0x0B00, 0x0B7F),
    (0x0C00, 0x0C7F),
    (0x0D00, 0x0D7F),
)


# NOTE: Python 3.11's character database is Unicode 14.0, so a combining mark
# added later counts as a character of its own and may be cut off its base.
def grapheme_clusters(value: str) -> list[str]:
    """Split `value` into user-perceived characters (extended grapheme clusters).

    Follows UAX #29, joining more rather than less where it is approximate.
    """
    clusters: list[str] = []
    for char in value:
        if clusters and _continues_cluster(clusters[-1], char):
            clusters[-1] += char
        else:
            clusters.append(char)
    return clusters


def _continues_cluster(cluster: str, char: str) -> bool:
    previous = cluster[-1]
    if previous == "\r" and char == "\n":
        return True
    if _is_control(previous) or _is_control(char):
        return False
    # Any character after a ZWJ joins, which covers every emoji ZWJ sequence.
    # UAX #29 joins only pictographs there, so a cut may come one letter early.
    if _is_extend(char) or previous == ZWJ or previous in PREPEND:
        return True
    if _is_regional_indicator(char) and _is_regional_indicator(previous):
        # Flags are pairs: a third indicator starts the next flag.
        indicators = len(cluster) - len(cluster.rstrip(_REGIONAL_INDICATORS))
        return indicators % 2 == 1
    return _joins_hangul(previous, char) or _joins_conjunct(cluster, char)


def _is_control(char: str) -> bool:
    return char in "\r\n" or unicodedata.category(char) in ("Cc", "Zl", "Zp")


def _is_extend(char: str) -> bool:
    code = ord(char)
    return (
        unicodedata.category(char) in ("Mn", "Me", "Mc")
        or char in SPACING_LETTERS
        or code in (0x200C, 0x200D)
        or 0x1F3FB <= code <= 0x1F3FF  # emoji skin-tone modifiers
        or 0xE0020 <= code <= 0xE007F  # tag characters of subdivision flags
    )


_REGIONAL_INDICATORS = "".join(chr(code) for code in range(0x1F1E6, 0x1F200))


def _is_regional_indicator(char: str) -> bool:
    return 0x1F1E6 <= ord(char) <= 0x1F1FF


def _is_conjunct_consonant(char: str) -> bool:
    code = ord(char)
    return unicodedata.category(char) == "Lo" and any(
        low <= code <= high for low, high in CONJUNCT_BLOCKS
    )


def _joins_conjunct(cluster: str, char: str) -> bool:
    # Consonant, then marks including a virama, then a consonant: one conjunct.
    if not _is_conjunct_consonant(char):
        return False
    linked = False
    for previous in reversed(cluster):
        if previous in CONJUNCT_LINKERS:
            linked = True
        elif not _is_extend(previous):
            return linked and _is_conjunct_consonant(previous)
    return False


def _hangul_kind(char: str) -> str:
    code = ord(char)
    if 0x1100 <= code <= 0x115F or 0xA960 <= code <= 0xA97C:
        return "L"
    if 0x1160 <= code <= 0x11A7 or 0xD7B0 <= code <= 0xD7C6:
        return "V"
    if 0x11A8 <= code <= 0x11FF or 0xD7CB <= code <= 0xD7FB:
        return "T"
    if 0xAC00 <= code <= 0xD7A3:
        return "LV" if (code - 0xAC00) % 28 == 0 else "LVT"
    return ""


def _joins_hangul(previous: str, char: str) -> bool:
    before, after = _hangul_kind(previous), _hangul_kind(char)
    if before == "L":
        return after in ("L", "V", "LV", "LVT")
    if before in ("LV", "V"):
        return after in ("V", "T")
    if before in ("LVT", "T"):
        return after == "T"
    return False
