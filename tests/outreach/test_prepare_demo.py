from django.contrib.auth import authenticate
from django.core.management import call_command

from outreach.models import Account


def test_demo_user_gets_account_and_password(db):
    call_command("prepare_demo", "--username=demo", "--password=-starts-with-dash")

    user = authenticate(username="demo", password="-starts-with-dash")
    assert user is not None
    assert user.is_staff
    account = Account.objects.get(slug="demo")
    assert list(account.members.all()) == [user]
    assert account.campaigns.get().name == "Demo campaign"
