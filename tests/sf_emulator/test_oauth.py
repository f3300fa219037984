"""OAuth endpoints driven over HTTPS as django-allauth and scripts use them."""

import base64
import hashlib
import hmac
import re
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest

from sf_emulator.server import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET

CALLBACK = "http://localhost:8000/accounts/salesforce/login/callback/"


class FormParser(HTMLParser):
    """Collect the consent form's action and hidden inputs."""

    def __init__(self):
        super().__init__()
        self.action = None
        self.hidden = {}

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            self.action = attributes["action"]
        if tag == "input" and attributes.get("type") == "hidden":
            self.hidden[attributes["name"]] = attributes.get("value", "")


def authorize_page(http, emulator, **params):
    query = {
        "response_type": "code",
        "client_id": DEFAULT_CLIENT_ID,
        "redirect_uri": CALLBACK,
        "scope": "api refresh_token id",
        "state": "xyz",
        **params,
    }
    return http.get(
        f"{emulator.base_url}/services/oauth2/authorize", params=query, timeout=10
    )


def submit_consent(http, emulator, page, **fields):
    parser = FormParser()
    parser.feed(page.text)
    return http.post(
        f"{emulator.base_url}{parser.action}",
        data={**parser.hidden, **fields},
        allow_redirects=False,
        timeout=10,
    )


def redirect_params(response) -> dict:
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(CALLBACK)
    return {
        key: values[0] for key, values in parse_qs(urlsplit(location).query).items()
    }


def login_code(http, emulator, org, **params) -> str:
    page = authorize_page(http, emulator, **params)
    response = submit_consent(
        http,
        emulator,
        page,
        username=org["username"],
        password=org["password"],
        action="allow",
    )
    return redirect_params(response)["code"]


def exchange(http, emulator, code, **extra):
    return http.post(
        f"{emulator.base_url}/services/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "client_id": DEFAULT_CLIENT_ID,
            "client_secret": DEFAULT_CLIENT_SECRET,
            "redirect_uri": CALLBACK,
            **extra,
        },
        timeout=10,
    )


def test_code_flow_issues_tokens(http, emulator, org):
    code = login_code(http, emulator, org)
    response = exchange(http, emulator, code)

    assert response.status_code == 200
    body = response.json()
    assert body["access_token"].startswith(org["org_id"][:15] + "!")
    assert body["refresh_token"]
    assert body["instance_url"] == emulator.base_url
    assert body["id"] == f"{emulator.base_url}/id/{org['org_id']}/{org['user_id']}"
    assert body["token_type"] == "Bearer"
    assert body["scope"] == "api refresh_token id"
    assert re.fullmatch(r"\d{13}", body["issued_at"])
    assert "expires_in" not in body
    expected = hmac.new(
        DEFAULT_CLIENT_SECRET.encode(),
        (body["id"] + body["issued_at"]).encode(),
        hashlib.sha256,
    ).digest()
    assert body["signature"] == base64.b64encode(expected).decode()


def test_consent_page_keeps_state(http, emulator, org):
    page = authorize_page(http, emulator)
    response = submit_consent(
        http,
        emulator,
        page,
        username=org["username"],
        password=org["password"],
        action="allow",
    )
    assert redirect_params(response)["state"] == "xyz"


def test_code_is_single_use(http, emulator, org):
    code = login_code(http, emulator, org)
    assert exchange(http, emulator, code).status_code == 200

    second = exchange(http, emulator, code)

    assert second.status_code == 400
    assert second.json() == {
        "error": "invalid_grant",
        "error_description": "expired authorization code",
    }


def test_no_refresh_token_without_scope(http, emulator, org):
    code = login_code(http, emulator, org, scope="id openid")
    body = exchange(http, emulator, code).json()
    assert "refresh_token" not in body


def test_offline_access_grants_refresh_token(http, emulator, org):
    code = login_code(http, emulator, org, scope="api offline_access")
    assert "refresh_token" in exchange(http, emulator, code).json()


def test_wrong_credentials_rerender_form(http, emulator, org):
    page = authorize_page(http, emulator)
    response = submit_consent(
        http,
        emulator,
        page,
        username=org["username"],
        password="wrong",
        action="allow",
    )
    assert response.status_code == 200
    assert "check your username and password" in response.text
    assert "<form" in response.text


def test_deny_redirects_with_access_denied(http, emulator, org):
    page = authorize_page(http, emulator)
    response = submit_consent(http, emulator, page, action="deny")
    assert redirect_params(response) == {
        "error": "access_denied",
        "error_description": "end-user denied authorization",
        "state": "xyz",
    }


def test_unknown_client_shows_error_page(http, emulator):
    response = authorize_page(http, emulator, client_id="nobody")
    assert response.status_code == 400
    assert "invalid_client_id" in response.text
    assert "client identifier invalid" in response.text


def test_unregistered_callback_shows_error_page(http, emulator):
    response = authorize_page(http, emulator, redirect_uri="https://evil.example/cb")
    assert response.status_code == 400
    assert "redirect_uri_mismatch" in response.text


def test_uninstalled_app_is_rejected(http, emulator, org):
    emulator.control.set_faults(org["org_id"], app_installed=False)
    page = authorize_page(http, emulator)
    response = submit_consent(
        http,
        emulator,
        page,
        username=org["username"],
        password=org["password"],
        action="allow",
    )
    assert redirect_params(response) == {
        "error": "invalid_client",
        "error_description": "app must be installed into org",
        "state": "xyz",
    }


def pkce_pair() -> tuple[str, str]:
    verifier = "v" * 43
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def test_pkce_verifier_is_checked(http, emulator, org):
    verifier, challenge = pkce_pair()
    params = {"code_challenge": challenge, "code_challenge_method": "S256"}

    good = exchange(
        http,
        emulator,
        login_code(http, emulator, org, **params),
        code_verifier=verifier,
    )
    wrong = exchange(
        http,
        emulator,
        login_code(http, emulator, org, **params),
        code_verifier="x" * 43,
    )
    missing = exchange(http, emulator, login_code(http, emulator, org, **params))

    assert good.status_code == 200
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_request"
    assert missing.status_code == 400
    assert missing.json()["error"] == "invalid_grant"


def test_redirect_uri_must_match_code(http, emulator, org):
    code = login_code(http, emulator, org)
    response = exchange(
        http,
        emulator,
        code,
        redirect_uri="http://localhost:9/accounts/salesforce/login/callback/",
    )
    assert response.status_code == 400
    assert response.json()["error"] == "redirect_uri_mismatch"


def refresh(http, emulator, refresh_token, **extra):
    return http.post(
        f"{emulator.base_url}/services/oauth2/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": DEFAULT_CLIENT_ID,
            "client_secret": DEFAULT_CLIENT_SECRET,
            **extra,
        },
        timeout=10,
    )


def test_refresh_returns_no_new_refresh_token(http, emulator, org):
    tokens = exchange(http, emulator, login_code(http, emulator, org)).json()

    response = refresh(http, emulator, tokens["refresh_token"])

    assert response.status_code == 200
    body = response.json()
    assert "refresh_token" not in body
    assert body["access_token"] != tokens["access_token"]
    assert body["instance_url"] == emulator.base_url


def test_refresh_survives_expired_sessions(http, emulator, org):
    tokens = exchange(http, emulator, login_code(http, emulator, org)).json()
    userinfo = f"{emulator.base_url}/services/oauth2/userinfo"
    emulator.control.set_faults(org["org_id"], expire_sessions=True)

    expired = http.get(
        userinfo, headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    renewed = refresh(http, emulator, tokens["refresh_token"]).json()
    fresh = http.get(
        userinfo, headers={"Authorization": f"Bearer {renewed['access_token']}"}
    )

    assert expired.status_code == 403
    assert fresh.status_code == 200


def test_token_errors(http, emulator, org):
    url = f"{emulator.base_url}/services/oauth2/token"
    cases = [
        (
            {"grant_type": "magic"},
            {
                "error": "unsupported_grant_type",
                "error_description": "grant type not supported",
            },
        ),
        (
            {"grant_type": "password", "client_id": "nobody", "client_secret": "x"},
            {
                "error": "invalid_client_id",
                "error_description": "client identifier invalid",
            },
        ),
        (
            {
                "grant_type": "password",
                "client_id": DEFAULT_CLIENT_ID,
                "client_secret": "bad",
            },
            {
                "error": "invalid_client",
                "error_description": "invalid client credentials",
            },
        ),
        (
            {
                "grant_type": "password",
                "client_id": DEFAULT_CLIENT_ID,
                "client_secret": DEFAULT_CLIENT_SECRET,
                "username": org["username"],
                "password": "wrong",
            },
            {"error": "invalid_grant", "error_description": "authentication failure"},
        ),
        (
            {
                "grant_type": "refresh_token",
                "client_id": DEFAULT_CLIENT_ID,
                "refresh_token": "not-a-token",
            },
            {
                "error": "invalid_grant",
                "error_description": "expired access/refresh token",
            },
        ),
    ]
    for form, expected in cases:
        response = http.post(url, data=form, timeout=10)
        assert response.status_code == 400, form
        assert response.json() == expected


def test_password_grant_has_no_refresh_token(emulator, org):
    body = emulator.control.password_token(org["username"], org["password"])
    assert body["access_token"]
    assert "refresh_token" not in body


def test_userinfo_fields(http, emulator, org, token):
    response = http.get(
        f"{emulator.base_url}/services/oauth2/userinfo",
        params={"oauth_token": token["access_token"]},
    )

    assert response.status_code == 200
    info = response.json()
    assert info["user_id"] == org["user_id"]
    assert info["organization_id"] == org["org_id"]
    assert info["sub"] == token["id"]
    assert info["preferred_username"] == org["username"]
    assert info["email"] == org["username"]
    assert info["email_verified"] is True
    assert info["urls"]["rest"] == f"{emulator.base_url}/services/data/v{{version}}/"
    assert info["is_app_installed"] is True


def test_revoke_refresh_token_kills_its_access_tokens(http, emulator, org):
    tokens = exchange(http, emulator, login_code(http, emulator, org)).json()
    revoke = f"{emulator.base_url}/services/oauth2/revoke"

    response = http.post(revoke, data={"token": tokens["refresh_token"]})
    again = http.post(revoke, data={"token": tokens["refresh_token"]})
    api = http.get(
        f"{emulator.base_url}/services/data/v62.0/limits",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    )

    assert response.status_code == 200
    assert response.content == b""
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_token"
    assert api.status_code == 401
    assert refresh(http, emulator, tokens["refresh_token"]).status_code == 400


@pytest.mark.parametrize(
    "callback",
    [
        "http://127.0.0.1:8123/accounts/salesforce/login/callback/",
        "http://testserver/accounts/salesforce/login/callback/",
    ],
)
def test_local_callbacks_are_allowed(http, emulator, callback):
    response = authorize_page(http, emulator, redirect_uri=callback)
    assert response.status_code == 200


def test_identity_url(http, token, org):
    response = http.get(
        token["id"], headers={"Authorization": f"Bearer {token['access_token']}"}
    )

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == token["id"]
    assert body["user_id"] == org["user_id"]
    assert body["organization_id"] == org["org_id"]
    assert body["username"] == org["username"]
