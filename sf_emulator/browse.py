"""Read-only HTML pages that show what each emulator org holds.

They let a person check an export by eye, as they would in Salesforce's own
UI: `/_emulator/` lists the orgs, `/_emulator/orgs/{org_id}/records/{Type}`
shows one object's records. Like the control API they serve loopback only.
"""

from html import escape

from werkzeug.wrappers import Response

BROWSABLE_OBJECTS = ("Lead", "Contact", "Account", "EmailMessage", "Task")

# Columns shown per object; every record has more, visible through the REST API.
COLUMNS = {
    "Lead": (
        "Id",
        "FirstName",
        "LastName",
        "Email",
        "Company",
        "Title",
        "Status",
        "LeadSource",
        "IsConverted",
    ),
    "Contact": (
        "Id",
        "FirstName",
        "LastName",
        "Email",
        "Department",
        "Title",
        "LeadSource",
        "AccountId",
    ),
    "Account": ("Id", "Name", "Type", "Industry"),
    "EmailMessage": (
        "Id",
        "Subject",
        "Incoming",
        "MessageDate",
        "Status",
        "MessageIdentifier",
        "FromAddress",
        "ToAddress",
    ),
    "Task": ("Id", "Subject", "Status", "TaskSubtype", "WhoId", "ActivityDate"),
}

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem; color: #1b1b1b; }}
table {{ border-collapse: collapse; font-size: 0.9rem; }}
th, td {{ border: 1px solid #ccc; padding: 0.3rem 0.5rem; text-align: left; }}
th {{ background: #f3f3f3; }}
</style></head>
<body><h1>{title}</h1>{body}</body></html>"""


def html_page(title: str, body: str) -> Response:
    return Response(
        PAGE.format(title=escape(title), body=body),
        content_type="text/html; charset=utf-8",
    )


def org_index(storage) -> Response:
    items = []
    for org_id in storage.org_ids():
        org = storage.org(org_id)
        links = " ".join(
            f'<a href="/_emulator/orgs/{escape(org_id)}/records/{sobject}">{sobject}</a>'
            for sobject in BROWSABLE_OBJECTS
        )
        items.append(
            f"<li><strong>{escape(org['name'])}</strong> <code>{escape(org_id)}</code>"
            f" ({org['api_used']} API calls): {links}</li>"
        )
    return html_page("Salesforce emulator: orgs", f"<ul>{''.join(items)}</ul>")


def record_table(storage, org: dict, sobject: str) -> Response:
    columns = COLUMNS[sobject]
    records = storage.records(org["org_id"], sobject)
    header = "".join(f"<th>{escape(column)}</th>" for column in columns)
    rows = "".join(
        "<tr>"
        + "".join(
            f"<td>{escape(_display(record.get(column)))}</td>" for column in columns
        )
        + "</tr>"
        for record in records
    )
    body = (
        f'<p><a href="/_emulator/">All orgs</a> · {len(records)} records</p>'
        f"<table><tr>{header}</tr>{rows}</table>"
    )
    return html_page(f"{org['name']}: {sobject}", body)


def _display(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
