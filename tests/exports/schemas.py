"""Describe-shaped schemas of the standard objects, as an org reports them."""

from exports.describe import ObjectSchema


def _field(name, type_="string", length=0, **flags):
    return {"name": name, "type": type_, "length": length, **flags}


def _picklist(name, values, restricted=False):
    return {
        "name": name,
        "type": "picklist",
        "length": 255,
        "restrictedPicklist": restricted,
        "picklistValues": [{"value": value, "active": True} for value in values],
    }


LEAD_STATUSES = [
    "Open - Not Contacted",
    "Working - Contacted",
    "Qualified",
    "Unqualified",
    "Closed - Converted",
]

LEAD_DESCRIBE = {
    "name": "Lead",
    "fields": [
        _field("Id", "id", 18, createable=False),
        _field("FirstName", length=40),
        _field("LastName", length=80, nillable=False),
        _field("Company", length=255, nillable=False),
        _field("Email", "email", 80),
        _field("Title", length=128),
        _field("Website", "url", 255),
        _field("Description", "textarea", 32000),
        _picklist("Status", LEAD_STATUSES, restricted=True),
        _picklist("LeadSource", ["Web", "Artisan AI"]),
    ],
}

CONTACT_DESCRIBE = {
    "name": "Contact",
    "fields": [
        _field("Id", "id", 18, createable=False),
        _field("FirstName", length=40),
        _field("LastName", length=80, nillable=False),
        _field("Email", "email", 80),
        _field("Title", length=128),
        _field("Department", length=80),
        _field("Description", "textarea", 32000),
        _picklist("LeadSource", ["Web", "Artisan AI"]),
    ],
}

EMAIL_MESSAGE_DESCRIBE = {
    "name": "EmailMessage",
    "fields": [
        _field("Subject", length=3000),
        _field("TextBody", "textarea", 131072),
        _field("HtmlBody", "textarea", 131072),
        _field("MessageIdentifier", length=765),
        _field("FromAddress", "email", 1000),
        _field("ToAddress", length=4000),
        _picklist("Status", ["0", "1", "2", "3", "4", "5"], restricted=True),
    ],
}

TASK_DESCRIBE = {
    "name": "Task",
    "fields": [
        _field("WhoId", "reference", 18),
        _field("Subject", "combobox", 255),
        _field("Description", "textarea", 32000),
        _field("ActivityDate", "date"),
        _picklist("Status", ["Not Started", "Completed"]),
        _picklist("TaskSubtype", ["Task", "Email", "LinkedIn"], restricted=True),
    ],
}

LEAD = ObjectSchema.from_describe(LEAD_DESCRIBE)
CONTACT = ObjectSchema.from_describe(CONTACT_DESCRIBE)
EMAIL_MESSAGE = ObjectSchema.from_describe(EMAIL_MESSAGE_DESCRIBE)
TASK = ObjectSchema.from_describe(TASK_DESCRIBE)
