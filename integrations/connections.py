"""Connecting an Artisan account to a Salesforce org, and disconnecting it.

The OAuth callback, the settings page and the test fixtures all store a
connection through `store_authorization`, so a connection looks the same
however it was obtained.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction

from integrations.client import SalesforceError, revoke_token
from integrations.models import TOKEN_FIELDS, SalesforceConnection

logger = logging.getLogger(__name__)

PRODUCTION_LOGIN_URL = "https://login.salesforce.com"
SANDBOX_LOGIN_URL = "https://test.salesforce.com"
MY_DOMAIN_SUFFIX = ".my.salesforce.com"
# Hosts a customer may copy from the browser, and the My Domain suffix each maps to.
PASTED_HOST_SUFFIXES = {
    ".lightning.force.com": MY_DOMAIN_SUFFIX,
    ".my.salesforce-setup.com": MY_DOMAIN_SUFFIX,
    MY_DOMAIN_SUFFIX: MY_DOMAIN_SUFFIX,
}
# A My Domain name, optionally "--sandbox", then an optional edition label
# such as "sandbox", "develop" or "scratch".
MY_DOMAIN_PREFIX = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z]+)?")
SALESFORCE_ID = re.compile(r"^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$")


class LoginHost:
    """The login host choices offered on the settings page."""

    CONFIGURED = "configured"
    PRODUCTION = "production"
    SANDBOX = "sandbox"
    MY_DOMAIN = "my_domain"


class InvalidLoginHostError(ValueError):
    """A pasted login host that is not a Salesforce login or My Domain host."""


class AuthorizationError(ValueError):
    """A token response that cannot become a working connection."""


def login_host_choices() -> list[tuple[str, str]]:
    """Return (value, label) pairs for the login host field, default first."""
    choices = [
        (LoginHost.PRODUCTION, f"Production ({PRODUCTION_LOGIN_URL})"),
        (LoginHost.SANDBOX, f"Sandbox ({SANDBOX_LOGIN_URL})"),
        (LoginHost.MY_DOMAIN, "My Domain"),
    ]
    configured = settings.SALESFORCE_LOGIN_URL.rstrip("/")
    if configured not in (PRODUCTION_LOGIN_URL, SANDBOX_LOGIN_URL):
        choices.insert(
            0, (LoginHost.CONFIGURED, f"This deployment's login host ({configured})")
        )
    return choices


def default_login_host_choice() -> str:
    configured = settings.SALESFORCE_LOGIN_URL.rstrip("/")
    if configured == SANDBOX_LOGIN_URL:
        return LoginHost.SANDBOX
    if configured == PRODUCTION_LOGIN_URL:
        return LoginHost.PRODUCTION
    return LoginHost.CONFIGURED


def login_host_choice_for(login_url: str) -> tuple[str, str]:
    """Return the (choice, My Domain) pair that leads back to login_url."""
    login_url = login_url.rstrip("/")
    if login_url == PRODUCTION_LOGIN_URL:
        return LoginHost.PRODUCTION, ""
    if login_url == SANDBOX_LOGIN_URL:
        return LoginHost.SANDBOX, ""
    if login_url == settings.SALESFORCE_LOGIN_URL.rstrip("/"):
        return LoginHost.CONFIGURED, ""
    return LoginHost.MY_DOMAIN, login_url


def normalise_login_url(choice: str, my_domain: str = "") -> str:
    """Return the login URL for a login host choice, as https://host.

    A pasted Lightning or setup URL becomes its My Domain host. Raises
    InvalidLoginHostError with the reason when the value cannot be a login host.
    """
    if choice == LoginHost.PRODUCTION:
        return PRODUCTION_LOGIN_URL
    if choice == LoginHost.SANDBOX:
        return SANDBOX_LOGIN_URL
    if choice == LoginHost.CONFIGURED:
        return settings.SALESFORCE_LOGIN_URL.rstrip("/")
    if choice != LoginHost.MY_DOMAIN:
        raise InvalidLoginHostError(
            f"Unknown login host choice {choice!r}; choose production, sandbox or "
            "My Domain."
        )
    return _normalise_my_domain(my_domain)


def _normalise_my_domain(value: str) -> str:
    value = value.strip()

    if not value:
        raise InvalidLoginHostError(
            "Enter your My Domain, for example https://acme.my.salesforce.com."
        )
    if "://" not in value:
        value = f"https://{value}"
    try:
        parts = urlsplit(value)
        has_port = parts.port is not None
    except ValueError as error:
        # urlsplit and .port raise ValueError on a malformed host or port,
        # e.g. "javascript:alert(1)" read as host "javascript", port "alert(1)".
        raise InvalidLoginHostError(
            f"{value!r} is not a valid address ({error}); enter your My Domain, "
            "for example https://acme.my.salesforce.com."
        ) from error
    if parts.scheme != "https":
        raise InvalidLoginHostError(
            f"{value!r} does not use https; Salesforce accepts logins only over "
            "HTTPS, so enter https://yourdomain.my.salesforce.com."
        )

    configured = settings.SALESFORCE_LOGIN_URL.rstrip("/")
    if f"https://{parts.netloc.lower()}" == configured:
        return configured
    if parts.username or parts.password or has_port:
        raise InvalidLoginHostError(
            f"{value!r} contains a user name, password or port; enter only the "
            "host, for example https://acme.my.salesforce.com."
        )

    if not parts.netloc.isascii():
        # .lower() turns some non-ASCII letters into ASCII ones (the Kelvin
        # sign into "k"), so a look-alike could pass the suffix checks below.
        raise InvalidLoginHostError(
            f"{value!r} contains characters other than ASCII letters, digits, "
            "dots and hyphens, which no Salesforce host has."
        )
    host = (parts.hostname or "").rstrip(".")
    if f"https://{host}" in (PRODUCTION_LOGIN_URL, SANDBOX_LOGIN_URL):
        return f"https://{host}"
    for pasted_suffix, my_domain_suffix in PASTED_HOST_SUFFIXES.items():
        if host.endswith(pasted_suffix):
            prefix = host.removesuffix(pasted_suffix)
            if MY_DOMAIN_PREFIX.fullmatch(prefix):
                return f"https://{prefix}{my_domain_suffix}"
    raise InvalidLoginHostError(_reason_not_login_host(value, host))


def _reason_not_login_host(value: str, host: str) -> str:
    if host.endswith((".vf.force.com", ".visualforce.com")):
        kind = "a Visualforce page host"
    elif host.endswith((".my.site.com", ".force.com")):
        kind = "an Experience Cloud site or another Salesforce host"
    elif host.endswith(tuple(PASTED_HOST_SUFFIXES)):
        kind = (
            "not a valid My Domain, because a My Domain name contains only "
            "letters, digits and hyphens"
        )
    elif host.endswith(".salesforce.com"):
        kind = "a Salesforce instance host, not a login host"
    else:
        kind = "not a Salesforce host"
    return (
        f"{value!r} is {kind}. Enter your My Domain "
        "(https://yourdomain.my.salesforce.com), or paste the address of any "
        "Lightning page (https://yourdomain.lightning.force.com/...) or Setup "
        "page of your org."
    )


def is_sandbox_login_url(login_url: str) -> bool:
    """Tell from the login host whether the org is a sandbox."""
    host = urlsplit(login_url).hostname or ""
    return login_url.rstrip("/") == SANDBOX_LOGIN_URL or host.endswith(
        ".sandbox.my.salesforce.com"
    )


@dataclass(frozen=True)
class Authorization:
    """The outcome of an OAuth grant: the org's hosts, the authorizing user, the tokens."""

    login_url: str
    instance_url: str
    org_id: str
    user_id: str
    username: str
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)

    @classmethod
    def from_token_response(
        cls,
        login_url: str,
        token_response: Mapping,
        userinfo: Mapping | None = None,
    ) -> Authorization:
        """Build from the token endpoint's JSON and, if fetched, userinfo.

        Raises AuthorizationError naming what is missing.
        """
        userinfo = userinfo or {}
        org_id, user_id = _ids_from_identity_url(token_response.get("id", ""))
        org_id = org_id or str(userinfo.get("organization_id", ""))
        user_id = user_id or str(userinfo.get("user_id", ""))
        missing = [
            name
            for name, value in (
                ("instance_url", token_response.get("instance_url")),
                ("access_token", token_response.get("access_token")),
                ("org id", org_id),
                ("user id", user_id),
            )
            if not value
        ]
        if missing:
            raise AuthorizationError(
                f"Salesforce's token response lacks {', '.join(missing)}; "
                "connect again, and contact Artisan support if this repeats."
            )
        if not token_response.get("refresh_token"):
            raise AuthorizationError(
                "Salesforce returned no refresh token, so the connection would stop "
                "working when the session expires. The connected app's OAuth "
                "policy must allow the refresh_token scope; ask a Salesforce admin "
                "to check it under Setup → Connected Apps OAuth Usage."
            )
        return cls(
            login_url=login_url.rstrip("/"),
            instance_url=str(token_response["instance_url"]).rstrip("/"),
            org_id=org_id,
            user_id=user_id,
            username=str(
                userinfo.get("preferred_username") or userinfo.get("email") or ""
            ),
            access_token=str(token_response["access_token"]),
            refresh_token=str(token_response["refresh_token"]),
        )


def _ids_from_identity_url(identity_url: str) -> tuple[str, str]:
    """Return (org id, user id) from https://host/id/{orgId}/{userId}."""
    segments = urlsplit(identity_url).path.strip("/").split("/")
    if len(segments) == 3 and segments[0] == "id":
        org_id, user_id = segments[1], segments[2]
        if SALESFORCE_ID.match(org_id) and SALESFORCE_ID.match(user_id):
            return org_id, user_id
    return "", ""


def store_authorization(
    account, authorization: Authorization, *, user=None
) -> SalesforceConnection:
    """Create or update the account's connection from a fresh authorization.

    The row is kept across reconnects. When the org changes, the old org id
    moves to `previous_org_id`, which the settings page shows as a notice.
    """
    replaced: tuple[str, str] | None = None
    with transaction.atomic():
        connection = (
            SalesforceConnection.objects.select_for_update()
            .filter(account=account)
            .first()
        )
        if connection is None:
            connection = SalesforceConnection(account=account)
        previous_org_id = connection.org_id
        org_changed = bool(previous_org_id) and previous_org_id != authorization.org_id
        old_refresh_token = _revocable_token(connection)
        if old_refresh_token and old_refresh_token != authorization.refresh_token:
            replaced = (connection.login_url, old_refresh_token)

        connection.previous_org_id = previous_org_id if org_changed else ""
        connection.org_id = authorization.org_id
        connection.instance_url = authorization.instance_url
        connection.login_url = authorization.login_url
        connection.is_sandbox = is_sandbox_login_url(authorization.login_url)
        connection.salesforce_user_id = authorization.user_id
        connection.salesforce_username = authorization.username
        connection.authorized_by = user
        connection.access_token = authorization.access_token
        connection.refresh_token = authorization.refresh_token
        connection.state = SalesforceConnection.State.CONNECTED
        connection.last_error = ""
        if org_changed:
            connection.api_usage_used = None
            connection.api_usage_max = None
        connection.save()

    logger.info(
        "Stored the Salesforce connection of account %s",
        account.slug,
        extra={
            "account_id": account.pk,
            "org_id": connection.org_id,
            "previous_org_id": connection.previous_org_id,
        },
    )
    if replaced is not None:
        revoke_unused_token(*replaced, account=account)
    return connection


def revoke_unused_token(login_url: str, token: str, *, account=None) -> str:
    """Revoke a token that is no longer used; return the problem, if any."""
    try:
        revoke_token(login_url, token)
    except SalesforceError as error:
        if error.error_code == "invalid_token":
            # Already revoked or expired: the goal is reached.
            return ""
        logger.warning(
            "Revoking a Salesforce token failed: %s",
            error,
            extra={"account_id": account.pk if account else None},
        )
        return str(error)
    return ""


def _revocable_token(connection: SalesforceConnection) -> str | None:
    """Return the token that revokes the grant, "" if none, None if unreadable.

    Revoking the refresh token also ends its access tokens. Without a refresh
    token, the access token is the one to revoke.
    """
    if connection.pk is None:
        return ""
    refresh_token = connection.readable_token("refresh_token")
    access_token = connection.readable_token("access_token")
    if refresh_token is None or access_token is None:
        logger.warning(
            "The stored Salesforce tokens of connection %s cannot be decrypted",
            connection.pk,
            extra={"account_id": connection.account_id, "org_id": connection.org_id},
        )
        return None
    return refresh_token or access_token


@dataclass(frozen=True)
class DisconnectResult:
    was_connected: bool
    revoke_problem: str = ""


def disconnect(account) -> DisconnectResult:
    """Revoke the refresh token, clear both tokens and mark the connection disconnected.

    The row, its org id and the links keyed by that org id stay, so a later
    reconnect to the same org resumes on them.
    """
    connection = SalesforceConnection.objects.filter(account=account).first()
    if connection is None:
        return DisconnectResult(was_connected=False)
    token = _revocable_token(connection)
    if token is None:
        problem = (
            "Artisan's copy of the token could not be decrypted, so it could not "
            "be sent to Salesforce for revoking"
        )
    elif token:
        problem = revoke_unused_token(connection.login_url, token, account=account)
    else:
        connection.state = SalesforceConnection.State.DISCONNECTED
        connection.save(update_fields=["state", "updated_at"])
        return DisconnectResult(was_connected=False)

    with transaction.atomic():
        connection = SalesforceConnection.objects.select_for_update().get(
            pk=connection.pk
        )
        connection.access_token = ""
        connection.refresh_token = ""
        connection.state = SalesforceConnection.State.DISCONNECTED
        connection.last_error = (
            f"Salesforce did not confirm that the token was revoked ({problem}). "
            "Artisan deleted its copy; an admin can revoke it in Salesforce under "
            "Setup → Connected Apps OAuth Usage."
            if problem
            else ""
        )
        connection.save(
            update_fields=[*TOKEN_FIELDS, "state", "last_error", "updated_at"]
        )
    logger.info(
        "Disconnected the Salesforce connection of account %s",
        account.slug,
        extra={"account_id": account.pk, "org_id": connection.org_id},
    )
    return DisconnectResult(was_connected=True, revoke_problem=problem)


@dataclass(frozen=True)
class OAuthErrorExplanation:
    """The settings page's explanation of an authorization that Salesforce rejected."""

    title: str
    explanation: str
    fixes: tuple[str, ...] = ()
    package_install_url: str = ""


def explain_oauth_error(error: str, description: str = "") -> OAuthErrorExplanation:
    """Explain an OAuth error from Salesforce in words a sales-ops admin can act on."""
    description = description or ""
    app_name = settings.SALESFORCE_CONNECTED_APP_NAME
    if error == "invalid_client" and "must be installed" in description:
        fixes = [
            f"A Salesforce admin opens Setup → Connected Apps OAuth Usage, finds "
            f"“{app_name}”, clicks Install, and then allows the users or profiles "
            "that will connect.",
        ]
        install_url = settings.SALESFORCE_PACKAGE_INSTALL_URL
        if install_url:
            fixes.append(
                f"Or a Salesforce admin installs the “{app_name}” package from the "
                "link below."
            )
        fixes.append("Then click Connect Salesforce again.")
        return OAuthErrorExplanation(
            title="The Artisan app is not installed in your Salesforce org",
            explanation=(
                "Salesforce blocks sign-ins through connected apps that are not "
                "installed in the org, unless the user has the “Approve "
                "Uninstalled Connected Apps” permission."
            ),
            fixes=tuple(fixes),
            package_install_url=install_url,
        )
    explanations = {
        "access_denied": (
            "The connection was cancelled",
            "Access was denied on the Salesforce page, so Artisan received no "
            "access. Click Connect Salesforce and choose Allow.",
        ),
        "invalid_grant": (
            "Salesforce rejected the authorization",
            "The authorization code expired or was already used, or the Salesforce "
            "login failed. Click Connect Salesforce to start again.",
        ),
        "inactive_user": (
            "The Salesforce user is inactive",
            "Sign in to Salesforce as an active user and connect again.",
        ),
        "inactive_org": (
            "The Salesforce org is inactive",
            "Salesforce reports the org as inactive or locked; connect an active org.",
        ),
        "invalid_state": (
            "The connection attempt expired",
            "More than ten minutes passed after Connect Salesforce was clicked, or "
            "it was clicked in another browser. Click Connect Salesforce again.",
        ),
        "cancelled": (
            "The connection was cancelled",
            "Click Connect Salesforce to start again.",
        ),
        "salesforce_unavailable": (
            "Salesforce could not be reached",
            "Salesforce did not respond, or responded with an error page, so "
            "nothing was connected. Click Connect Salesforce again in a few "
            "minutes; if it keeps failing, send the details below to Artisan "
            "support.",
        ),
        "invalid_client_id": _configuration_problem(),
        "invalid_client": _configuration_problem(),
        "redirect_uri_mismatch": _configuration_problem(),
    }
    title, explanation = explanations.get(
        error,
        (
            "Salesforce rejected the connection",
            "Click Connect Salesforce to try again; if it fails again, send the "
            "details below to Artisan support.",
        ),
    )
    return OAuthErrorExplanation(title=title, explanation=explanation)


def _configuration_problem() -> tuple[str, str]:
    return (
        "Artisan's Salesforce app is misconfigured",
        "Salesforce did not accept Artisan's connected app credentials or "
        "callback URL. This is not something your org can fix; please contact "
        "Artisan support with the details below.",
    )
