"""The accounts admin: its pages load, and "Export now" reports each account."""

import pytest
from django.contrib.auth import get_user_model
from django_q.models import OrmQ

from outreach.models import Account

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def admin_client(client):
    admin = get_user_model().objects.create_superuser("root", password="pw-for-tests")
    client.force_login(admin)
    return client


def export_now(client, *accounts):
    return client.post(
        "/admin/outreach/account/",
        {"action": "export_now", "_selected_action": [a.pk for a in accounts]},
        follow=True,
    ).content.decode()


def test_account_pages_load(admin_client, account):
    for path in [
        "/admin/outreach/account/",
        f"/admin/outreach/account/{account.pk}/change/",
        "/admin/outreach/lead/",
        "/admin/outreach/message/",
    ]:
        assert admin_client.get(path).status_code == 200, path


def test_export_now_reports_each_outcome(admin_client, connected_account):
    idle = Account.objects.create(slug="idle", name="Idle Inc.")

    first = export_now(admin_client, connected_account, idle)
    second = export_now(admin_client, connected_account)

    assert "Queued an export of 1 account(s): acme." in first
    assert (
        "Not exported, because 1 account(s) have no usable Salesforce connection: "
        "idle." in first
    )
    assert (
        "An export of 1 account(s) was already queued and will include everything "
        "stored so far: acme." in second
    )
    [queued] = OrmQ.objects.all()
    assert queued.task["args"] == (connected_account.pk, "admin")
