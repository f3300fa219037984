"""The socialaccount adapter: Salesforce logins only ever connect an org."""

import functools

from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.providers.base import AuthError
from django.conf import settings

from integrations.client import new_session
from integrations.oauth import flows


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """Turn every completed Salesforce authorization into a stored connection.

    allauth's login, signup and connect steps never run for Salesforce: the
    customer is already logged in to Artisan, and the org is not a login.
    """

    def get_requests_session(self):
        # The code exchange and userinfo go through integrations.client, so
        # allauth 65 sends no Salesforce request itself. Any it adds must
        # still trust SALESFORCE_CA_BUNDLE, not REQUESTS_CA_BUNDLE, and time out.
        session = new_session()
        session.request = functools.partial(
            session.request, timeout=settings.SALESFORCE_TIMEOUT_SECONDS
        )
        return session

    def is_open_for_signup(self, request, sociallogin):
        return False

    def pre_social_login(self, request, sociallogin):
        if sociallogin.account.provider != "salesforce":
            return super().pre_social_login(request, sociallogin)
        raise ImmediateHttpResponse(flows.finish_connect(request, sociallogin))

    def on_authentication_error(
        self, request, provider, error=None, exception=None, extra_context=None
    ):
        if provider.id != "salesforce":
            return super().on_authentication_error(
                request, provider, error, exception, extra_context
            )
        if (extra_context or {}).get("state") is None:
            # The callback names no flow that this browser started, so its
            # error parameters cannot be trusted to come from Salesforce.
            oauth_error, description = "invalid_state", ""
        elif exception is not None:
            oauth_error, description = flows.oauth_error_from_exception(exception)
        else:
            oauth_error = request.GET.get("error") or (
                "cancelled" if error == AuthError.CANCELLED else "unknown"
            )
            description = request.GET.get("error_description", "")
        raise ImmediateHttpResponse(
            flows.fail_connect(request, error=oauth_error, description=description)
        )
