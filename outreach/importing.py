"""Import Artisan leads from a CSV file into a campaign.

Headers are matched loosely ("First Name", "first_name", "FirstName" are the
same column) so exports from common tools load without editing. A row that
cannot become a lead is reported with its line number and reason; the others
are stored.
"""

import codecs
import csv
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from outreach.models import Campaign, Lead

logger = logging.getLogger(__name__)

# Normalised header spelling -> Lead field. A header is normalised by
# lowercasing it and dropping everything but letters and digits.
HEADER_ALIASES = {
    "email": "email",
    "email1": "email",
    "emailaddress": "email",
    "workemail": "email",
    "firstname": "first_name",
    "givenname": "first_name",
    "lastname": "last_name",
    "surname": "last_name",
    "familyname": "last_name",
    "title": "job_title",
    "jobtitle": "job_title",
    "company": "company_name",
    "companyname": "company_name",
    "organization": "company_name",
    "organisation": "company_name",
    "account": "company_name",
    "website": "website",
    "companywebsite": "website",
    "url": "website",
    "web": "website",
}

LEAD_FIELDS = ("first_name", "last_name", "job_title", "company_name", "website")


@dataclass
class RejectedRow:
    line: int
    reason: str


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)
    ignored_headers: list[str] = field(default_factory=list)
    # Stored rows that an export will not accept as they are, with the reason.
    warnings: list[RejectedRow] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"created {self.created}, updated {self.updated}, "
            f"unchanged {self.unchanged}, rejected {len(self.rejected)}"
        )


class CsvFormatError(ValueError):
    """The file as a whole cannot be imported (no header, no email column)."""


def normalise_header(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", header.lower())


def map_headers(headers: Iterable[str]) -> tuple[dict[str, str], list[str]]:
    """Return {csv header: Lead field} for the first column of each field, and the ignored headers."""
    mapping: dict[str, str] = {}
    ignored: list[str] = []
    for header in headers:
        lead_field = HEADER_ALIASES.get(normalise_header(header or ""))
        if lead_field and lead_field not in mapping.values():
            mapping[header] = lead_field
        else:
            ignored.append(header)
    return mapping, ignored


DELIMITERS = ",;\t|"


def import_leads_csv(
    path: Path, *, campaign: Campaign, encoding: str = "utf-8"
) -> ImportReport:
    """Create or update the campaign's leads from the CSV at `path`.

    Raises CsvFormatError when the file cannot be decoded, has no header row
    or no email column.
    """
    raw = path.read_bytes()
    text = _decode(raw, encoding)
    lines = text.splitlines(keepends=True)
    reader = csv.DictReader(lines, dialect=_dialect(lines[0] if lines else ""))
    return import_leads_rows(reader, campaign=campaign)


def _decode(raw: bytes, encoding: str) -> str:
    # A byte-order mark names the encoding for certain: Excel writes one for
    # "Unicode text" (UTF-16) and for "CSV UTF-8".
    for bom, bom_encoding in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if raw.startswith(bom):
            encoding = bom_encoding
            break
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise CsvFormatError(
            f"Line {line} is not valid {encoding} (byte {raw[error.start]:#04x}). "
            "Save the file as UTF-8 (in Excel: CSV UTF-8), or pass its encoding, "
            "for example --encoding cp1252 for a Windows Excel export."
        ) from None
    except LookupError:
        raise CsvFormatError(
            f"Unknown encoding {encoding!r}. Use a Python codec name such as "
            "utf-8, cp1252 or latin-1."
        ) from None


def _dialect(header_line: str) -> type[csv.Dialect]:
    """Return the dialect of the file, guessing the delimiter from its header row."""
    try:
        return csv.Sniffer().sniff(header_line, delimiters=DELIMITERS)
    except csv.Error:
        return csv.excel


def import_leads_rows(reader: csv.DictReader, *, campaign: Campaign) -> ImportReport:
    if not reader.fieldnames:
        raise CsvFormatError("The file is empty or has no header row.")
    mapping, ignored = map_headers(reader.fieldnames)
    if "email" not in mapping.values():
        raise CsvFormatError(
            f"No email column among the headers {reader.fieldnames!r}. "
            "Name one 'Email' (or 'Email 1', 'Email Address')."
        )
    report = ImportReport(ignored_headers=ignored)
    rows = _valid_rows(reader, mapping, report)
    _store_rows(rows, campaign, report)
    logger.info(
        "Imported leads into campaign %s: %s",
        campaign.pk,
        report.summary(),
        extra={"campaign_id": campaign.pk, "account_id": campaign.account_id},
    )
    return report


def _valid_rows(
    reader: csv.DictReader, mapping: dict[str, str], report: ImportReport
) -> dict[str, dict[str, str]]:
    """Return the valid rows keyed by case-folded email; later duplicates are rejected."""
    rows: dict[str, dict[str, str]] = {}
    first_line_of: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        values = {
            lead_field: (row.get(header) or "").strip()
            for header, lead_field in mapping.items()
        }
        email = values["email"]
        with_nul = [name for name, value in values.items() if "\x00" in value]
        if with_nul:
            report.rejected.append(
                RejectedRow(
                    line,
                    f"NUL character in {', '.join(with_nul)}: the file is probably "
                    "damaged or not text; remove the character and import again",
                )
            )
            continue
        if not email:
            report.rejected.append(RejectedRow(line, "missing email"))
            continue
        try:
            validate_email(email)
        except ValidationError:
            report.rejected.append(
                RejectedRow(
                    line,
                    f"invalid email {email!r}: expected an address such as "
                    "name@example.com (ASCII before the @)",
                )
            )
            continue
        key = email.casefold()
        if key in rows:
            report.rejected.append(
                RejectedRow(
                    line,
                    f"duplicate email {email!r}: already on line {first_line_of[key]}",
                )
            )
            continue
        rows[key] = values
        first_line_of[key] = line
        if not values.get("last_name"):
            report.warnings.append(
                RejectedRow(
                    line,
                    f"{email} has no last name: Salesforce requires one on Leads "
                    "and Contacts, so its export fails until a last name is added",
                )
            )
    return rows


@transaction.atomic
def _store_rows(
    rows: dict[str, dict[str, str]], campaign: Campaign, report: ImportReport
) -> None:
    existing = {
        lead.email.strip().casefold(): lead
        for lead in Lead.objects.filter(campaign=campaign)
    }
    to_create: list[Lead] = []
    to_update: list[Lead] = []
    now = timezone.now()
    for key, values in rows.items():
        lead = existing.get(key)
        if lead is None:
            to_create.append(Lead(campaign=campaign, **values))
            continue
        changed = [
            name for name in LEAD_FIELDS if values.get(name, "") != getattr(lead, name)
        ]
        if not changed:
            report.unchanged += 1
            continue
        for name in changed:
            setattr(lead, name, values.get(name, ""))
        lead.updated_at = now
        to_update.append(lead)
    Lead.objects.bulk_create(to_create, batch_size=500)
    Lead.objects.bulk_update(to_update, [*LEAD_FIELDS, "updated_at"], batch_size=500)
    report.created = len(to_create)
    report.updated = len(to_update)
