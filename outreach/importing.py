"""Import Artisan leads from a CSV file into a campaign.

Headers are matched loosely ("First Name", "first_name", "FirstName" are the
same column) so exports from common tools load without editing. A row that
cannot become a lead is reported with its line number and reason; the others
are stored.
"""

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


def import_leads_csv(path: Path, *, campaign: Campaign) -> ImportReport:
    """Create or update the campaign's leads from the CSV at `path`.

    Raises CsvFormatError when the file has no header row or no email column.
    """
    with open(path, newline="", encoding="utf-8-sig") as csv_file:
        return import_leads_rows(csv.DictReader(csv_file), campaign=campaign)


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
        if not email:
            report.rejected.append(RejectedRow(line, "missing email"))
            continue
        try:
            validate_email(email)
        except ValidationError:
            report.rejected.append(
                RejectedRow(line, f"invalid email {email!r}: expected name@domain")
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
