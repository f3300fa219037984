"""From an Artisan lead to the fields of a new Salesforce Lead or Contact.

Pure functions: the org's field lengths arrive as an `ObjectSchema`. Lengths
are counted as Salesforce counts them, in UTF-16 code units, and a value is
only ever cut between user-perceived characters (grapheme clusters).
"""

import re
import unicodedata
from dataclasses import dataclass

from exports.config import ExportSettings, accepts, configured_picklist_values
from exports.describe import ObjectSchema

# Company is required on a Lead. A visible placeholder there misleads nobody,
# whereas a made-up person name would, so a missing last name fails the lead.
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
class MappedRecord:
    """The fields to send, what was shortened, and placeholders used."""

    sobject: str
    fields: dict[str, object]
    truncations: tuple[Truncation, ...] = ()
    notes: tuple[str, ...] = ()

    def payload(self) -> dict:
        return {"attributes": {"type": self.sobject}, **self.fields}


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


def map_lead(
    lead: LeadData, settings: ExportSettings, schema: ObjectSchema
) -> MappedRecord:
    """Build the fields of a new `schema.name` record for `lead`.

    Raises MappingError when the email or last name cannot be sent.
    """
    sobject = schema.name
    email = lead.email.strip()
    check_email(email, schema)
    last_name = lead.last_name.strip()
    if not last_name:
        raise MappingError(
            "MISSING_LAST_NAME",
            f"The lead {email} has no last name, and Salesforce requires LastName "
            f"on a {sobject}. Add the last name in Artisan and export again.",
        )

    notes = []
    company = lead.company_name.strip()
    if not company and sobject == "Lead":
        company = COMPANY_PLACEHOLDER
        notes.append(
            f'Company was empty; sent "{COMPANY_PLACEHOLDER}" because Salesforce '
            "requires Company on a Lead."
        )
    canonical_values = {
        "FirstName": lead.first_name.strip(),
        "LastName": last_name,
        "Email": email,
        "Title": lead.job_title.strip(),
        "Company": company,
        "Website": lead.website.strip(),
        "Status": settings.lead_status[lead_status_key(lead.replied, lead.sentiment)],
        "LeadSource": settings.lead_source,
    }

    fields = {}
    for canonical, api_name in settings.target_fields(sobject).items():
        value = canonical_values.get(canonical)
        if value:
            fields[api_name] = value
    if settings.attribution_field:
        fields[settings.attribution_field] = settings.attribution_value
    notes.extend(_drop_unknown_choices(fields, settings, schema))

    fields, truncations = fit_to_schema(fields, schema)
    return MappedRecord(sobject, fields, tuple(truncations), tuple(notes))


def _drop_unknown_choices(
    fields: dict[str, object], settings: ExportSettings, schema: ObjectSchema
) -> list[str]:
    # A configured choice the org lacks ("Qualified" in an org with the classic
    # four statuses) would fail every record. Leaving it out lets Salesforce
    # apply the field's default, and the note records what happened.
    notes = []
    for api_name, value in sorted(configured_picklist_values(settings, schema)):
        field_schema = schema.get(api_name)
        if (
            fields.get(api_name) == value
            and field_schema
            and not accepts(field_schema, value)
        ):
            del fields[api_name]
            notes.append(
                f"{api_name} {value!r} is not in this org's picklist, so it was left "
                "out and Salesforce applied the field's default, if any. Add the "
                "value in Salesforce or change it in the advanced configuration."
            )
    return notes


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
    """Cut text values to their field's length, reporting each cut."""
    fitted = {}
    truncations = []
    for name, value in fields.items():
        field_schema = schema.get(name)
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
    return len(value.encode("utf-16-le")) // 2


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


# NOTE: a subset of Unicode's segmentation rules (UAX #29): prepend marks and
# Indic conjuncts are not joined, so such text may be cut between them.
def grapheme_clusters(value: str) -> list[str]:
    """Split `value` into user-perceived characters (extended grapheme clusters).

    Covers marks, emoji modifiers, ZWJ sequences, tags, flags, Hangul and CR LF.
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
    if _is_extend(char) or previous == ZWJ:
        return True
    if _is_regional_indicator(char) and _is_regional_indicator(previous):
        # Flags are pairs: a third indicator starts the next flag.
        indicators = len(cluster) - len(cluster.rstrip(_REGIONAL_INDICATORS))
        return indicators % 2 == 1
    return _joins_hangul(previous, char)


def _is_extend(char: str) -> bool:
    code = ord(char)
    return (
        unicodedata.category(char) in ("Mn", "Me", "Mc")
        or code in (0x200C, 0x200D)
        or 0x1F3FB <= code <= 0x1F3FF  # emoji skin-tone modifiers
        or 0xE0020 <= code <= 0xE007F  # tag characters of subdivision flags
    )


_REGIONAL_INDICATORS = "".join(chr(code) for code in range(0x1F1E6, 0x1F200))


def _is_regional_indicator(char: str) -> bool:
    return 0x1F1E6 <= ord(char) <= 0x1F1FF


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
