"""Fixtures shared by the whole suite: an Artisan account, the emulator, a connection."""

import pytest
from django.contrib.auth import get_user_model

from outreach.models import Account, Campaign


@pytest.fixture
def account(db):
    """An Artisan account with one campaign and one member, `account.member`."""
    account = Account.objects.create(slug="acme", name="Acme Inc.")
    Campaign.objects.create(account=account, name="Q3 outbound")
    member = get_user_model().objects.create_user(
        username="alice", password="correct horse battery staple"
    )
    account.members.add(member)
    account.member = member
    return account
