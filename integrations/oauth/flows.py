"""The start, the session state and the end of a connect flow.

allauth keeps its own state in the session but hands it to the adapter only
after the token exchange, which already needs the login host. So the login
host and the Artisan account travel in a small session record keyed by the
OAuth `state` parameter. The record contains no token.
"""

import logging
import time
from urllib.parse import urlencode

from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.providers.base import AuthProcess
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import reverse

from integrations.client import SalesforceError, SalesforceTransientError
from integrations.connections import (
    AuthorizationError,
    revoke_unused_token,
    store_authorization,
)
from outreach.models import Account

logger = logging.getLogger(__name__)

FLOWS_SESSION_KEY = "integrations_salesforce_flows"
OAUTH_ERROR_SESSION_KEY = "integrations_salesforce_oauth_error"
# Matches allauth's own state lifetime: a flow older than this is dropped.
FLOW_TTL_SECONDS = 600
MAX_FLOWS = 10
# The callback's error parameters are shown, logged and kept in the session,
# and a real OAuth error or description is far shorter than this.
MAX_OAUTH_ERROR_CHARS = 300


def settings_url(account: Account | None = None) -> str:
    url = reverse("integrations:salesforce_settings")
    if account is None:
        return url
    return f"{url}?{urlencode({'account': account.slug})}"


def start_connect(request, account: Account, login_url: str) -> HttpResponse:
    """Redirect the user to Salesforce to authorize the account's connection."""
    provider = get_adapter(request).get_provider(request, "salesforce")
    return provider.redirect(
        request,
        AuthProcess.CONNECT,
        next_url=settings_url(account),
        data={"account_id": account.pk, "login_url": login_url},
    )


def remember(request, state_id: str, *, login_url: str, account_id: int | None):
    flows = {
        key: flow
        for key, flow in request.session.get(FLOWS_SESSION_KEY, {}).items()
        if time.time() - flow["started_at"] < FLOW_TTL_SECONDS
    }
    flows[state_id] = {
        "login_url": login_url,
        "account_id": account_id,
        "started_at": time.time(),
    }
    newest = sorted(flows.items(), key=lambda item: item[1]["started_at"])[-MAX_FLOWS:]
    request.session[FLOWS_SESSION_KEY] = dict(newest)


def lookup(request) -> dict | None:
    """Return the flow named by the callback's `state` parameter, if still known."""
    state_id = request.GET.get("state", "")
    flow = request.session.get(FLOWS_SESSION_KEY, {}).get(state_id)
    if flow is None or time.time() - flow["started_at"] >= FLOW_TTL_SECONDS:
        return None
    return flow


def _pop(request) -> dict:
    flow = lookup(request) or {}
    flows = request.session.get(FLOWS_SESSION_KEY, {})
    if flows.pop(request.GET.get("state", ""), None) is not None:
        request.session[FLOWS_SESSION_KEY] = flows
    return flow


def _member_account(user, account_id) -> Account | None:
    accounts = Account.objects.filter(members=user)
    if account_id is not None:
        return accounts.filter(pk=account_id).first()
    # A flow started from allauth's own login URL names no account; that is
    # unambiguous only for a member of exactly one.
    candidates = list(accounts[:2])
    return candidates[0] if len(candidates) == 1 else None


def finish_connect(request, sociallogin) -> HttpResponse:
    """Store the authorized org as the account's connection; never log anyone in."""
    flow = _pop(request)
    authorization = sociallogin.salesforce_authorization
    user = request.user
    account = (
        _member_account(user, flow.get("account_id")) if user.is_authenticated else None
    )
    if account is None:
        # No account of this user may use the grant, so it is revoked rather
        # than left valid at Salesforce.
        revoke_unused_token(authorization.login_url, authorization.refresh_token)
        if not user.is_authenticated:
            messages.error(
                request,
                "Log in to Artisan before connecting Salesforce. The Salesforce "
                "authorization was revoked; connect again after logging in.",
            )
            return redirect_to_login(settings_url())
        messages.error(
            request,
            "This Salesforce authorization does not belong to an Artisan account "
            "you are a member of, so it was revoked. Choose the account on the "
            "settings page and click Connect Salesforce.",
        )
        return HttpResponseRedirect(settings_url())

    connection = store_authorization(account, authorization, user=user)
    if connection.previous_org_id:
        messages.warning(
            request,
            f"Connected Salesforce org {connection.org_id}, which is not the org "
            f"{connection.previous_org_id} connected before.",
        )
    else:
        messages.success(
            request,
            f"Connected Salesforce org {connection.org_id} as "
            f"{connection.salesforce_username or connection.salesforce_user_id}.",
        )
    return HttpResponseRedirect(settings_url(account))


def fail_connect(request, *, error: str, description: str) -> HttpResponse:
    """Keep the OAuth error for the settings page to explain, and go there."""
    flow = _pop(request)
    error = error[:MAX_OAUTH_ERROR_CHARS]
    description = description[:MAX_OAUTH_ERROR_CHARS]
    request.session[OAUTH_ERROR_SESSION_KEY] = {
        "error": error,
        "description": description,
    }
    logger.warning(
        "Salesforce authorization failed: %s (%s)",
        error,
        description,
        extra={"account_id": flow.get("account_id")},
    )
    account = None
    if request.user.is_authenticated:
        account = _member_account(request.user, flow.get("account_id"))
    return HttpResponseRedirect(settings_url(account))


def pop_oauth_error(request) -> dict | None:
    return request.session.pop(OAUTH_ERROR_SESSION_KEY, None)


def oauth_error_from_exception(exception) -> tuple[str, str]:
    """Return (error, description) for an exception raised during the callback.

    Only texts that Artisan wrote are returned, never a raw response body.
    """
    cause = exception.__cause__
    if isinstance(cause, SalesforceTransientError):
        return "salesforce_unavailable", cause.message
    if isinstance(cause, SalesforceError) and cause.error_code:
        return cause.error_code, cause.message
    if isinstance(cause, (SalesforceError, AuthorizationError)):
        return "connection_failed", str(cause)
    return "connection_failed", f"{type(exception).__name__} in the callback"
