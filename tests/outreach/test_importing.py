import csv
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from outreach.importing import CsvFormatError, import_leads_csv, map_headers
from outreach.models import Account, Campaign, Lead

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SAMPLE_CSV = PROJECT_ROOT / "data" / "sample-leads.csv"
SHARED_CSV = PROJECT_ROOT.parent / "shared" / "data" / "leads-100.csv"


@pytest.fixture
def campaign(db):
    account = Account.objects.create(slug="acme", name="Acme")
    return Campaign.objects.create(account=account, name="Q4 outbound")


def write_csv(tmp_path, rows):
    path = tmp_path / "leads.csv"
    with open(path, "w", newline="", encoding="utf-8") as csv_file:
        csv.writer(csv_file).writerows(rows)
    return path


@pytest.mark.parametrize(
    ("header", "lead_field"),
    [
        ("First Name", "first_name"),
        ("first_name", "first_name"),
        ("FirstName", "first_name"),
        ("Email 1", "email"),
        ("E-mail", "email"),
        ("Email Address", "email"),
        ("Job Title", "job_title"),
        ("Title", "job_title"),
        ("Company Name", "company_name"),
        ("Web Site", "website"),
    ],
)
def test_header_aliases(header, lead_field):
    mapping, ignored = map_headers([header])

    assert mapping == {header: lead_field}
    assert ignored == []


def test_first_email_column_wins():
    mapping, ignored = map_headers(["Email 1", "Email 2", "Phone"])

    assert mapping == {"Email 1": "email"}
    assert ignored == ["Email 2", "Phone"]


def test_rejected_rows_name_line_and_reason(campaign, tmp_path):
    path = write_csv(
        tmp_path,
        [
            ["First Name", "Last Name", "Email", "Company"],
            ["Ada", "Lovelace", "ada@example.com", "Engines"],
            ["No", "Email", "", "Nowhere"],
            ["Bad", "Email", "not-an-email", "Nowhere"],
            ["Ada", "Again", "ADA@example.com ", "Engines"],
        ],
    )

    report = import_leads_csv(path, campaign=campaign)

    assert report.created == 1
    assert [(row.line, row.reason) for row in report.rejected] == [
        (3, "missing email"),
        (
            4,
            "invalid email 'not-an-email': expected an address such as "
            "name@example.com (ASCII before the @)",
        ),
        (5, "duplicate email 'ADA@example.com': already on line 2"),
    ]
    assert Lead.objects.get().email == "ada@example.com"


def test_reimport_updates_changed_rows(campaign, tmp_path):
    header = ["First Name", "Last Name", "Email", "Title"]
    first = write_csv(tmp_path, [header, ["Ada", "L", "ada@example.com", "CEO"]])
    import_leads_csv(first, campaign=campaign)
    second = write_csv(
        tmp_path,
        [
            header,
            ["Ada", "L", "Ada@Example.com", "CTO"],
            ["Grace", "H", "grace@example.com", "VP"],
        ],
    )

    report = import_leads_csv(second, campaign=campaign)

    assert (report.created, report.updated, report.unchanged) == (1, 1, 0)
    assert Lead.objects.get(email="ada@example.com").job_title == "CTO"
    assert Lead.objects.count() == 2


def test_missing_email_column_is_rejected(campaign, tmp_path):
    path = write_csv(tmp_path, [["First Name", "Phone"], ["Ada", "123"]])

    with pytest.raises(CsvFormatError, match="No email column"):
        import_leads_csv(path, campaign=campaign)


def test_sample_csv_imports_every_row(campaign):
    report = import_leads_csv(SAMPLE_CSV, campaign=campaign)

    assert report.rejected == []
    assert report.created == 12
    lead = Lead.objects.get(email__iexact="yuki.tanaka+sales@sakura-tech.example")
    assert lead.company_name == "桜テクノロジー株式会社"


@pytest.mark.skipif(not SHARED_CSV.exists(), reason="shared leads-100.csv not present")
def test_shared_csv_imports_100_leads(campaign):
    report = import_leads_csv(SHARED_CSV, campaign=campaign)

    assert report.created == 100
    assert report.rejected == []
    assert Lead.objects.exclude(company_name="").count() == 100


def test_command_reports_summary_and_rejections(db, tmp_path):
    path = write_csv(
        tmp_path,
        [["Email 1", "Last Name"], ["a@example.com", "A"], ["broken", "B"]],
    )
    stdout, stderr = io.StringIO(), io.StringIO()

    call_command(
        "import_leads",
        str(path),
        "--account",
        "newco",
        "--create-account",
        "--campaign",
        "Launch",
        stdout=stdout,
        stderr=stderr,
    )

    assert "created 1, updated 0, unchanged 0, rejected 1" in stdout.getvalue()
    assert "line 3: rejected, invalid email 'broken'" in stderr.getvalue()
    assert Campaign.objects.get(account__slug="newco").name == "Launch"


def test_command_unknown_account_fails(db, tmp_path):
    path = write_csv(tmp_path, [["Email"], ["a@example.com"]])

    with pytest.raises(CommandError, match="No account with slug 'ghost'"):
        call_command("import_leads", str(path), "--account", "ghost")


@pytest.mark.parametrize(
    ("encoding", "extra_args"),
    [("utf-8-sig", {}), ("utf-16", {}), ("cp1252", {"encoding": "cp1252"})],
)
def test_encodings_decode(campaign, tmp_path, encoding, extra_args):
    path = tmp_path / "leads.csv"
    path.write_bytes("Email,Last Name\r\nzoe@example.com,Ångström\r\n".encode(encoding))

    report = import_leads_csv(path, campaign=campaign, **extra_args)

    assert report.created == 1
    assert Lead.objects.get().last_name == "Ångström"


def test_undecodable_file_names_line_and_fix(campaign, tmp_path):
    path = tmp_path / "leads.csv"
    path.write_bytes("Email,Last Name\nzoe@example.com,Ångström\n".encode("cp1252"))

    with pytest.raises(CsvFormatError) as raised:
        import_leads_csv(path, campaign=campaign)

    assert "Line 2 is not valid utf-8 (byte 0xc5)" in str(raised.value)
    assert "--encoding cp1252" in str(raised.value)
    assert Lead.objects.count() == 0


def test_semicolon_delimiter_detected(campaign, tmp_path):
    path = tmp_path / "leads.csv"
    path.write_text("First Name;Last Name;Email\nAda;Lovelace;ada@example.com\n")

    report = import_leads_csv(path, campaign=campaign)

    assert report.created == 1
    assert Lead.objects.get().first_name == "Ada"


def test_nul_character_rejects_row_only(campaign, tmp_path):
    path = write_csv(
        tmp_path,
        [
            ["Email", "Last Name"],
            ["ok@example.com", "Fine"],
            ["bad@example.com", "Null\x00Byte"],
        ],
    )

    report = import_leads_csv(path, campaign=campaign)

    assert report.created == 1
    assert report.rejected[0].line == 3
    assert report.rejected[0].reason.startswith("NUL character in last_name")


def test_missing_last_name_warns_but_stores(campaign, tmp_path):
    path = write_csv(tmp_path, [["Email", "Last Name"], ["nolast@example.com", ""]])

    report = import_leads_csv(path, campaign=campaign)

    assert report.created == 1
    assert report.warnings[0].line == 2
    assert "has no last name" in report.warnings[0].reason
