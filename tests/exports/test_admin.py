"""The admin as the account team's tool: every page, history, preview, actions."""

import json

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialApp
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django.urls import reverse

from api.keys import create_api_key
from contact_checks.models import ContactCheckSettings
from exports.config import EXAMPLE_ADVANCED_CONFIG
from exports.config_changes import config_diff, update_export_config
from exports.engine import run_export
from exports.models import ExportConfig, ExportConfigChange, ExportRun, ObjectDescribe
from tests.exports.conftest import add_email, add_lead
from tests.exports.test_advanced_config import EXAMPLE_ORG

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def superuser():
    return get_user_model().objects.create_superuser("root", password="pw-for-tests")


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def test_every_admin_page_loads(connected_account, admin_client, superuser):
    lead = add_lead(connected_account, "ada@example.com")
    add_lead(connected_account, "nolast@example.com", last_name="")
    add_email(lead, "<m-1@artisan.example>")
    update_export_config(
        connected_account,
        changes={"advanced_config": {"lead_source": "Partner Outbound"}},
        user=superuser,
    )
    run_export(connected_account, trigger="test")
    _add_rows_of_other_apps(connected_account, superuser)
    checked = []

    for model, model_admin in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        pages = [reverse("admin:{}_{}_changelist".format(*info))]
        if model_admin.has_add_permission(_request(superuser)):
            pages.append(reverse("admin:{}_{}_add".format(*info)))
        instance = model._default_manager.first()
        if instance is not None:
            pages.append(
                reverse("admin:{}_{}_change".format(*info), args=[instance.pk])
            )
        for page in pages:
            response = admin_client.get(page)
            assert response.status_code == 200, page
            checked.append(page)

    assert "/admin/exports/exportconfigchange/" in checked
    assert "/admin/exports/objectdescribe/" in checked
    assert "/admin/exports/exporttask/" in checked
    assert len(checked) >= 3 * 8


def _add_rows_of_other_apps(account, user):
    # One row each, so that their change pages are loaded too.
    Group.objects.create(name="support")
    create_api_key(account, name="engine", created_by=user)
    EmailAddress.objects.create(user=user, email="root@example.com", verified=True)
    SocialApp.objects.create(provider="salesforce", name="Salesforce", client_id="x")
    ContactCheckSettings.objects.create(account=account)


def _request(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def test_change_form_shows_help_and_history(connected_account, admin_client, superuser):
    config = update_export_config(
        connected_account,
        changes={"advanced_config": {"lead_status": {"3": "Qualified"}}},
        user=superuser,
    )
    update_export_config(
        connected_account,
        changes={"advanced_config": {"lead_status": {"3": "Working - Contacted"}}},
    )

    html = admin_client.get(f"/admin/exports/exportconfig/{config.pk}/change/").content
    html = html.decode()

    assert "&quot;artisanai__data_source_c__c&quot;" in html  # the example
    assert "History of changes" in html
    assert "<code>advanced_config.lead_status.3</code> changed" in html
    assert "<code>advanced_config.lead_status</code> added" in html
    assert "Preview what an export would do" in html
    org_id = connected_account.salesforce_connection.org_id
    assert f"{org_id} (connected; metadata not read yet)" in html


def test_saving_in_admin_records_who_changed_what(
    connected_account, admin_client, superuser
):
    config = ExportConfig.objects.create(account=connected_account)

    response = admin_client.post(
        f"/admin/exports/exportconfig/{config.pk}/change/",
        {
            "account": connected_account.pk,
            "object_mapping": "contact",
            "export_trigger": "all",
            "apply_assignment_rules": "on",
            "advanced_config": json.dumps({"lead_source": "Partner Outbound"}),
            "changes-TOTAL_FORMS": "0",
            "changes-INITIAL_FORMS": "0",
        },
        follow=True,
    )

    assert response.status_code == 200
    [change] = ExportConfigChange.objects.all()
    assert change.changed_by == superuser
    assert change.source == ExportConfigChange.Source.ADMIN
    assert change.changes == [
        {
            "path": "object_mapping",
            "change": "changed",
            "from": "lead",
            "to": "contact",
        },
        {
            "path": "advanced_config.lead_source",
            "change": "added",
            "from": None,
            "to": "Partner Outbound",
        },
    ]
    # The org check runs after saving: Contact mapping and LeadSource are fine.
    assert "the configuration is valid for org" in response.content.decode()


def test_settings_page_changes_are_recorded(connected_account, client):
    client.force_login(connected_account.member)

    client.post(
        "/settings/integrations/salesforce/export/",
        {"account": "acme", "object_mapping": "contact", "export_trigger": "engaged"},
    )

    [change] = ExportConfigChange.objects.all()
    assert change.changed_by == connected_account.member
    assert change.source == ExportConfigChange.Source.SETTINGS_PAGE
    assert [entry["path"] for entry in change.changes] == [
        "object_mapping",
        "export_trigger",
    ]


def test_unchanged_save_writes_no_history(account):
    update_export_config(account, changes={"export_trigger": "engaged"})
    update_export_config(account, changes={"export_trigger": "engaged"})

    assert ExportConfigChange.objects.count() == 1


def test_invalid_change_is_not_saved(account):
    with pytest.raises(ValidationError) as raised:
        update_export_config(account, changes={"advanced_config": {"lead_source": 1}})

    assert raised.value.message_dict["advanced_config"] == [
        "lead_source: must be a string, not 1."
    ]
    assert not ExportConfigChange.objects.exists()


def test_config_diff_goes_key_by_key():
    before = {"lead_status": {"3": "A", "1": "B"}, "overwrite_fields": ["Status"]}
    after = {"lead_status": {"3": "C", "2": "D"}, "lead_source": "X"}

    assert config_diff(before, after) == [
        {"path": "lead_status.3", "change": "changed", "from": "A", "to": "C"},
        {"path": "lead_status.1", "change": "removed", "from": "B", "to": None},
        {"path": "lead_status.2", "change": "added", "from": None, "to": "D"},
        {
            "path": "overwrite_fields",
            "change": "removed",
            "from": ["Status"],
            "to": None,
        },
        {"path": "lead_source", "change": "added", "from": None, "to": "X"},
    ]
    assert config_diff({"a": 1}, {"a": 1.0}) != []
    assert config_diff(before, before) == []


class TestWithExampleOrg:
    @pytest.fixture
    def org_config(self):
        return EXAMPLE_ORG

    def test_preview_shows_plan_without_writing(
        self, connected_account, admin_client, sf
    ):
        config = ExportConfig.objects.create(
            account=connected_account, advanced_config=dict(EXAMPLE_ADVANCED_CONFIG)
        )
        existing = sf.Lead.create(
            {
                "LastName": "Hopper",
                "Company": "Navy",
                "Email": "grace@navy.example",
                "LeadSource": "Web",
            }
        )
        before = sf.Lead.get(existing["id"])
        add_lead(connected_account, "grace@navy.example")
        add_lead(connected_account, "ada@example.com", company_name="C" * 300)
        add_lead(connected_account, "bad@example", last_name="")

        response = admin_client.get(
            f"/admin/exports/exportconfig/{config.pk}/preview/", {"run": "Preview"}
        )

        html = response.content.decode()
        assert response.status_code == 200
        assert "writes nothing to" in html
        assert f"grace@navy.example: update Lead {existing['id']}" in html
        assert (
            "<td>LeadSource</td><td>&quot;Web&quot;</td>"
            "<td>&quot;Partner Outbound&quot;</td>"
        ) in html
        assert "ada@example.com: create Lead" in html
        assert "Company: 300 → 255 characters" in html
        assert "INVALID_EMAIL" in html
        assert sf.Lead.get(existing["id"]) == before
        assert len(sf.query_all("SELECT Id FROM Lead")["records"]) == 1
        assert not ExportRun.objects.exists()

    def test_refresh_reads_metadata_again(self, connected_account, admin_client):
        config = ExportConfig.objects.create(account=connected_account)
        org_id = connected_account.salesforce_connection.org_id
        ObjectDescribe.objects.create(
            org_id=org_id,
            sobject="Lead",
            describe={"name": "Lead", "fields": []},
            described_at="2026-01-01T00:00:00Z",
        )

        response = admin_client.post(
            "/admin/exports/exportconfig/",
            {"action": "refresh_org_metadata", "_selected_action": [config.pk]},
            follow=True,
        )

        assert f"read the metadata of org {org_id} again: Lead (" in (
            response.content.decode()
        )
        lead = ObjectDescribe.objects.get(org_id=org_id, sobject="Lead")
        names = {item["name"] for item in lead.describe["fields"]}
        assert "artisanai__data_source_c__c" in names
        assert ObjectDescribe.objects.filter(sobject="Contact").exists()

    def test_validate_reports_a_valid_example(self, connected_account, admin_client):
        config = ExportConfig.objects.create(
            account=connected_account, advanced_config=dict(EXAMPLE_ADVANCED_CONFIG)
        )

        response = admin_client.post(
            "/admin/exports/exportconfig/",
            {"action": "validate_against_org", "_selected_action": [config.pk]},
            follow=True,
        )

        html = response.content.decode()
        assert "Acme: the configuration is valid for org" in html
        assert "(Lead, Contact checked)" in html


def test_adding_in_admin_records_the_first_change(account, admin_client):
    response = admin_client.post(
        "/admin/exports/exportconfig/add/",
        {
            "account": account.pk,
            "object_mapping": "lead",
            "export_trigger": "engaged",
            "apply_assignment_rules": "on",
            "advanced_config": json.dumps({"lead_status": {"3": "Qualified"}}),
            "changes-TOTAL_FORMS": "0",
            "changes-INITIAL_FORMS": "0",
        },
        follow=True,
    )

    config = ExportConfig.objects.get(account=account)
    [change] = config.changes.all()
    assert response.status_code == 200
    assert [entry["path"] for entry in change.changes] == [
        "export_trigger",
        "advanced_config.lead_status",
    ]
    page = admin_client.get(f"/admin/exports/exportconfig/{config.pk}/change/")
    assert 'name="account"' not in page.content.decode()
