"""API keys: the command that creates them, and Bearer authentication over HTTP."""

import io
import logging
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from api.keys import hash_key, revoke_api_keys
from api.models import ApiKey

LEAD = {"email": "ada@example.com"}


def post_leads(client, authorization=None):
    headers = {"Authorization": authorization} if authorization is not None else {}
    return client.post(
        "/api/v1/leads",
        {"campaign": "Q3 outbound", "leads": [LEAD]},
        content_type="application/json",
        headers=headers,
    )


def create_key_with_command(*args) -> tuple[str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command("create_api_key", *args, stdout=stdout, stderr=stderr)
    return stdout.getvalue().strip(), stderr.getvalue()


def test_command_prints_a_key_that_authenticates(account, client):
    key, note = create_key_with_command(
        "--account", "acme", "--name", "outreach engine", "--created-by", "alice"
    )

    response = post_leads(client, f"Bearer {key}")

    assert response.status_code == 200
    assert response.json()["totals"]["created"] == 1
    stored = ApiKey.objects.get()
    assert key.startswith(f"ask_{stored.prefix}_")
    assert stored.account == account
    assert stored.name == "outreach engine"
    assert stored.created_by == account.member
    assert f"Created API key {stored.prefix} for account acme" in note
    assert key not in note


def test_command_stores_only_the_hash(account):
    key, _ = create_key_with_command("--account", "acme")

    stored = ApiKey.objects.get()
    assert stored.key_hash == hash_key(key)
    assert stored.key_hash != key
    secret = key.split("_", 2)[2]
    assert len(secret) >= 43
    for field in ApiKey._meta.fields:
        value = str(getattr(stored, field.attname))
        assert secret not in value, field.name


def test_command_keys_are_distinct(account):
    first, _ = create_key_with_command("--account", "acme")
    second, _ = create_key_with_command("--account", "acme")

    assert first != second
    assert ApiKey.objects.count() == 2


def test_command_rejects_unknown_account(account):
    with pytest.raises(CommandError, match="No account with slug 'nope'. Known"):
        create_key_with_command("--account", "nope")
    assert not ApiKey.objects.exists()


def test_command_rejects_unknown_creator(account):
    with pytest.raises(CommandError, match="No user with username 'bob'"):
        create_key_with_command("--account", "acme", "--created-by", "bob")


def test_command_never_logs_the_key(account, caplog):
    caplog.set_level(logging.DEBUG)

    key, _ = create_key_with_command("--account", "acme")

    assert "Created API key" in caplog.text
    assert key not in caplog.text
    assert key.split("_", 2)[2] not in caplog.text


def test_missing_header_is_401(account, client):
    response = post_leads(client)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert response.json()["detail"].startswith(
        "Missing API key: send 'Authorization: Bearer <key>'"
    )


@pytest.mark.parametrize(
    ("authorization", "detail"),
    [
        ("Bearer", "Missing API key"),
        ("Token ask_00000000_abc", "Missing API key"),
        ("Bearer not-a-key", "The API key is malformed"),
        ("Bearer ask_00000000_abc", "The API key with prefix 00000000 is not valid"),
    ],
)
def test_bad_header_is_401(api_key, client, authorization, detail):
    response = post_leads(client, authorization)

    assert response.status_code == 401
    assert response.json()["detail"].startswith(detail)
    assert "create_api_key" in response.json()["detail"]


def test_wrong_secret_with_known_prefix_is_401(api_key, client):
    prefix = ApiKey.objects.get().prefix

    response = post_leads(client, f"Bearer ask_{prefix}_{'x' * 43}")

    assert response.status_code == 401
    assert f"prefix {prefix} is not valid" in response.json()["detail"]


def test_revoked_key_is_401(api_key, client):
    assert post_leads(client, f"Bearer {api_key}").status_code == 200

    assert revoke_api_keys(ApiKey.objects.all()) == 1
    response = post_leads(client, f"Bearer {api_key}")

    assert response.status_code == 401
    prefix = ApiKey.objects.get().prefix
    assert (
        f"The API key with prefix {prefix} was revoked at"
        in (response.json()["detail"])
    )


def test_revoke_skips_keys_already_revoked(api_key):
    assert revoke_api_keys(ApiKey.objects.all()) == 1
    revoked_at = ApiKey.objects.get().revoked_at

    assert revoke_api_keys(ApiKey.objects.all()) == 0
    assert ApiKey.objects.get().revoked_at == revoked_at


def test_rejected_key_is_not_logged(api_key, client, caplog):
    prefix = ApiKey.objects.get().prefix
    wrong_key = f"ask_{prefix}_{'s' * 43}"

    post_leads(client, f"Bearer {wrong_key}")
    post_leads(client, f"Token {api_key}")

    assert "API request to /api/v1/leads rejected" in caplog.text
    assert "s" * 43 not in caplog.text
    assert api_key not in caplog.text


def test_use_sets_last_used_at(api_key, client):
    assert ApiKey.objects.get().last_used_at is None

    post_leads(client, f"Bearer {api_key}")

    first_use = ApiKey.objects.get().last_used_at
    assert first_use is not None
    post_leads(client, f"Bearer {api_key}")
    assert ApiKey.objects.get().last_used_at == first_use


def test_use_after_a_minute_moves_last_used_at(api_key, client):
    long_ago = timezone.now() - timedelta(minutes=5)
    ApiKey.objects.update(last_used_at=long_ago)

    post_leads(client, f"Bearer {api_key}")

    assert ApiKey.objects.get().last_used_at > long_ago


def test_bearer_request_needs_no_csrf_token(api_key):
    # The outreach engine is a server with no session cookie or CSRF token.
    client = Client(enforce_csrf_checks=True)

    response = post_leads(client, f"Bearer {api_key}")

    assert response.status_code == 200
