"""The pure plan: create or link, the matching rule and its explanations."""

import pytest

from exports.config import ExportSettings
from exports.mapping import LeadData
from exports.planning import (
    Action,
    Candidate,
    Origin,
    choose_candidate,
    linked_records_to_compare,
    normalize_email,
    plan_leads,
    plan_linked_updates,
    records_to_compare,
)
from tests.exports.schemas import CONTACT, LEAD


def lead(lead_id, email, **values):
    values.setdefault("last_name", "Lovelace")
    values.setdefault("company_name", "Engines")
    return LeadData(lead_id=lead_id, email=email, **values)


LEAD_A = Candidate(
    "Lead", "00Q000000000001AAA", "ada@example.com", "2024-01-01T00:00:00.000+0000"
)
LEAD_B = Candidate(
    "Lead", "00Q000000000002AAA", "ADA@example.com", "2023-06-01T00:00:00.000+0000"
)
CONVERTED = Candidate(
    "Lead",
    "00Q000000000003AAA",
    "ada@example.com",
    "2020-01-01T00:00:00.000+0000",
    is_converted=True,
    converted_contact_id="003000000000009AAA",
)
CONTACT_A = Candidate(
    "Contact", "003000000000001AAA", "Ada@Example.com", "2019-01-01T00:00:00.000+0000"
)
CONTACT_B = Candidate(
    "Contact", "003000000000002AAA", "ada@example.com", "2019-01-01T00:00:00.000+0000"
)


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("  Ada@Example.COM ", "ada@example.com"),
        ("first+Tag@x.io", "first+tag@x.io"),
        ("O'Brien@x.io\t", "o'brien@x.io"),
        ("STRASSE@x.de", "strasse@x.de"),
    ],
)
def test_emails_are_compared_trimmed_and_casefolded(raw, normalized):
    assert normalize_email(raw) == normalized


def test_no_match_creates_by_the_object_mapping():
    for settings, schema in [
        (ExportSettings(), LEAD),
        (ExportSettings(object_mapping="contact"), CONTACT),
    ]:
        [decision] = plan_leads(
            settings, {schema.name: schema}, [lead(1, "ada@example.com")], {}
        )

        assert decision.action == Action.CREATE
        assert decision.sobject == schema.name
        assert decision.payload["attributes"] == {"type": schema.name}
        assert decision.origin == Origin.CREATED
        assert decision.candidate_count == 0
        assert f"so a new {schema.name} was created" in decision.explanation


@pytest.mark.parametrize(
    ("candidates", "sobject", "salesforce_id", "origin"),
    [
        ([LEAD_A], "Lead", LEAD_A.salesforce_id, Origin.MATCHED_LEAD),
        ([CONTACT_A], "Contact", CONTACT_A.salesforce_id, Origin.MATCHED_CONTACT),
        ([CONVERTED], "Contact", "003000000000009AAA", Origin.MATCHED_CONVERTED_LEAD),
        ([CONTACT_A, LEAD_A], "Lead", LEAD_A.salesforce_id, Origin.MATCHED_LEAD),
        ([CONVERTED, LEAD_A], "Lead", LEAD_A.salesforce_id, Origin.MATCHED_LEAD),
        (
            [CONTACT_A, CONVERTED],
            "Contact",
            "003000000000009AAA",
            Origin.MATCHED_CONVERTED_LEAD,
        ),
        # The oldest of the same kind wins, then the smallest id.
        ([LEAD_A, LEAD_B], "Lead", LEAD_B.salesforce_id, Origin.MATCHED_LEAD),
        (
            [CONTACT_B, CONTACT_A],
            "Contact",
            CONTACT_A.salesforce_id,
            Origin.MATCHED_CONTACT,
        ),
    ],
)
def test_matching_rule(candidates, sobject, salesforce_id, origin):
    for settings in (ExportSettings(), ExportSettings(object_mapping="contact")):
        [decision] = plan_leads(
            settings,
            {"Lead": LEAD},
            [lead(1, " Ada@Example.com")],
            {"ada@example.com": candidates},
        )

        assert decision.action == Action.LINK
        assert (decision.sobject, decision.salesforce_id) == (sobject, salesforce_id)
        assert decision.origin == origin
        assert decision.candidate_count == len(candidates)
        assert decision.payload is None


def test_matching_rule_ignores_result_order():
    candidates = [CONTACT_B, LEAD_A, CONVERTED, LEAD_B, CONTACT_A]

    assert choose_candidate(candidates) == choose_candidate(candidates[::-1]) == LEAD_B


def test_explanation_of_a_single_lead_match():
    [decision] = plan_leads(
        ExportSettings(),
        {"Lead": LEAD},
        [lead(1, "ada@example.com")],
        {"ada@example.com": [LEAD_A]},
    )

    assert decision.explanation == (
        "Matched Lead 00Q000000000001AAA by email ada@example.com, compared trimmed "
        "and case-insensitively."
    )


def test_explanation_names_other_contact():
    [decision] = plan_leads(
        ExportSettings(),
        {"Lead": LEAD},
        [lead(1, "ada@example.com")],
        {"ada@example.com": [CONTACT_A, LEAD_A]},
    )

    assert decision.explanation == (
        "Matched Lead 00Q000000000001AAA by email ada@example.com, compared trimmed "
        "and case-insensitively. 1 other record carries the same email: Contact "
        "003000000000001AAA, created 2019-01-01T00:00:00.000+0000. Chose Lead "
        "00Q000000000001AAA because Leads are checked before Contacts."
    )


def test_explanation_of_a_converted_lead():
    [decision] = plan_leads(
        ExportSettings(),
        {"Lead": LEAD},
        [lead(1, "ada@example.com")],
        {"ada@example.com": [CONVERTED]},
    )

    assert "That Lead was converted, so the link goes to its Contact " in (
        decision.explanation
    )
    assert "003000000000009AAA: a converted Lead cannot be updated." in (
        decision.explanation
    )


@pytest.mark.parametrize(
    ("candidates", "reason"),
    [
        ([LEAD_A, CONVERTED], "unconverted Leads are preferred over converted ones"),
        ([LEAD_A, LEAD_B], "it is the oldest of the matching records of its kind"),
        (
            [CONTACT_B, CONTACT_A],
            "it has the smallest id among equally old matching records of its kind",
        ),
    ],
)
def test_explanation_gives_the_reason_for_the_choice(candidates, reason):
    [decision] = plan_leads(
        ExportSettings(),
        {"Lead": LEAD},
        [lead(1, "ada@example.com")],
        {"ada@example.com": candidates},
    )

    assert decision.explanation.endswith(f"because {reason}.")
    assert "1 other record carries the same email" in decision.explanation


def test_converted_lead_without_contact_fails():
    broken = Candidate(
        "Lead", "00Q000000000004AAA", "ada@example.com", is_converted=True
    )

    [decision] = plan_leads(
        ExportSettings(),
        {"Lead": LEAD},
        [lead(1, "ada@example.com")],
        {"ada@example.com": [broken]},
    )

    assert decision.action == Action.FAIL
    assert decision.error_code == "CONVERTED_LEAD_WITHOUT_CONTACT"
    assert "00Q000000000004AAA" in decision.error_message


def test_shared_email_one_decision():
    leads = [
        lead(1, "ada@example.com", first_name="Quiet"),
        lead(2, "other@example.com"),
        lead(3, " ADA@example.com", first_name="Replied", replied=True),
        lead(4, "Ada@Example.com", first_name="Positive", replied=True, sentiment=3),
    ]

    decisions = plan_leads(ExportSettings(), {"Lead": LEAD}, leads, {})

    assert [d.lead_ids for d in decisions] == [(4, 3, 1), (2,)]
    assert decisions[0].representative_id == 4
    assert decisions[0].payload["FirstName"] == "Positive"
    assert decisions[0].payload["Status"] == "Qualified"


def test_bad_lead_fails_alone():
    leads = [
        lead(1, "good@example.com"),
        lead(2, "bad@example.com", last_name=""),
        lead(3, "not an email"),
        lead(4, "also-good@example.com"),
    ]

    decisions = plan_leads(ExportSettings(), {"Lead": LEAD}, leads, {})

    assert [(d.lead_ids, d.action, d.error_code) for d in decisions] == [
        ((1,), Action.CREATE, ""),
        ((2,), Action.FAIL, "MISSING_LAST_NAME"),
        ((3,), Action.FAIL, "INVALID_EMAIL"),
        ((4,), Action.CREATE, ""),
    ]


def test_invalid_email_still_links():
    # Validity matters only for creating; an existing record is linked as is.
    decisions = plan_leads(
        ExportSettings(),
        {"Lead": LEAD},
        [lead(1, "a\\b@example.com")],
        {
            "a\\b@example.com": [
                Candidate("Lead", "00Q000000000005AAA", "A\\b@example.com")
            ]
        },
    )

    assert decisions[0].action == Action.LINK


def test_decision_carries_notes_and_truncations():
    [decision] = plan_leads(
        ExportSettings(),
        {"Lead": LEAD},
        [lead(1, "ada@example.com", company_name="", first_name="F" * 60)],
        {},
    )

    assert decision.payload["Company"] == "[not provided]"
    assert [n for n in decision.notes if "[not provided]" in n]
    assert [
        (t.field, t.original_length, t.sent_length) for t in decision.truncations
    ] == [("FirstName", 60, 40)]


OVERWRITE = ExportSettings(
    lead_source="Partner Outbound",
    lead_source_configured=True,
    overwrite_fields=("LeadSource", "Status"),
)
SCHEMAS = {"Lead": LEAD, "Contact": CONTACT}


def test_match_with_differing_values_is_updated():
    current = {LEAD_A.salesforce_id: {"LeadSource": "Web", "Status": "Qualified"}}

    [decision] = plan_leads(
        OVERWRITE,
        SCHEMAS,
        [lead(1, "ada@example.com")],
        {"ada@example.com": [LEAD_A]},
        current,
    )

    assert decision.action == Action.UPDATE
    assert decision.update_payload == {
        "attributes": {"type": "Lead"},
        "id": LEAD_A.salesforce_id,
        "LeadSource": "Partner Outbound",
        "Status": "Open - Not Contacted",
    }
    assert [c.field for c in decision.changes] == ["LeadSource", "Status"]
    assert decision.notes[-1] == (
        "overwrite_fields updated LeadSource, Status on Lead 00Q000000000001AAA."
    )


def test_match_with_equal_values_is_only_linked():
    current = {
        LEAD_A.salesforce_id: {
            "LeadSource": "Partner Outbound",
            "Status": "Open - Not Contacted",
        }
    }

    [decision] = plan_leads(
        OVERWRITE,
        SCHEMAS,
        [lead(1, "ada@example.com")],
        {"ada@example.com": [LEAD_A]},
        current,
    )

    assert decision.action == Action.LINK
    assert decision.update_payload is None
    assert "already held Artisan's values" in decision.notes[-1]


def test_converted_lead_updates_its_contact_never_the_lead():
    [decision] = plan_leads(
        OVERWRITE,
        SCHEMAS,
        [lead(1, "ada@example.com")],
        {"ada@example.com": [CONVERTED]},
        {"003000000000009AAA": {"LeadSource": "Web"}},
    )

    assert decision.action == Action.UPDATE
    assert decision.update_payload == {
        "attributes": {"type": "Contact"},
        "id": "003000000000009AAA",
        "LeadSource": "Partner Outbound",
    }


def test_records_to_compare_names_the_chosen_records():
    leads = [lead(1, "ada@example.com"), lead(2, "new@example.com")]
    matches = {"ada@example.com": [CONTACT_A, CONVERTED]}

    wanted = records_to_compare(OVERWRITE, SCHEMAS, leads, matches)

    assert wanted == {"Contact": {"003000000000009AAA": ["LeadSource"]}}
    assert records_to_compare(ExportSettings(), SCHEMAS, leads, matches) == {}


def test_update_uses_the_most_engaged_lead():
    leads = [
        lead(1, "ada@example.com"),
        lead(2, "ADA@example.com", replied=True, sentiment=3),
    ]

    [decision] = plan_leads(
        OVERWRITE, SCHEMAS, leads, {"ada@example.com": [LEAD_A]}, {}
    )

    assert decision.lead_ids == (2, 1)
    assert decision.update_payload["Status"] == "Qualified"


def test_linked_records_are_updated_once_per_record():
    leads = [
        lead(1, "ada@example.com"),
        lead(2, "ada@other.example", replied=True, sentiment=1),
        lead(3, "grace@example.com"),
    ]
    person_ids = {
        1: "00Q000000000001AAA",
        2: "00Q000000000001AAA",
        3: "003000000000001AAA",
    }
    current = {
        "00Q000000000001AAA": {"LeadSource": "Web", "Status": "Open - Not Contacted"},
        "003000000000001AAA": {"LeadSource": "Partner Outbound"},
    }

    decisions = plan_linked_updates(OVERWRITE, SCHEMAS, leads, person_ids, current)

    assert [(d.lead_ids, d.sobject, d.action) for d in decisions] == [
        ((2, 1), "Lead", Action.UPDATE),
        ((3,), "Contact", Action.LINK),
    ]
    assert decisions[0].update_payload == {
        "attributes": {"type": "Lead"},
        "id": "00Q000000000001AAA",
        "LeadSource": "Partner Outbound",
        "Status": "Unqualified",
    }
    assert linked_records_to_compare(OVERWRITE, SCHEMAS, person_ids) == {
        "Lead": {"00Q000000000001AAA": ["LeadSource", "Status"]},
        "Contact": {"003000000000001AAA": ["LeadSource"]},
    }
