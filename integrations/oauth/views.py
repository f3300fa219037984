"""allauth's OAuth2 adapter for Salesforce, with the login host of each flow."""

from allauth.socialaccount.providers.base import ProviderException
from allauth.socialaccount.providers.oauth2.views import (
    OAuth2CallbackView,
    OAuth2LoginView,
)
from allauth.socialaccount.providers.salesforce.views import (
    SalesforceOAuth2Adapter as StockSalesforceOAuth2Adapter,
)

from integrations.client import SalesforceError, fetch_userinfo
from integrations.connections import Authorization, AuthorizationError
from integrations.oauth import flows

# Fields of the token response worth keeping on the social account; the
# tokens themselves are never among them.
TOKEN_RESPONSE_PUBLIC_FIELDS = ("instance_url", "id", "issued_at", "scope")


class SalesforceOAuth2Adapter(StockSalesforceOAuth2Adapter):
    """Authorize, exchange the code and read userinfo at the flow's login host.

    `complete_login` captures what the stock adapter drops: instance_url,
    the org id and the refresh token, as `sociallogin.salesforce_authorization`.
    """

    login_url = ""

    @property
    def base_url(self):
        if self.login_url:
            return self.login_url
        flow = flows.lookup(self.request)
        if flow and flow.get("login_url"):
            return flow["login_url"]
        return super().base_url.rstrip("/")

    def complete_login(self, request, app, token, **kwargs):
        token_response = kwargs.get("response") or {}
        try:
            userinfo = fetch_userinfo(self.base_url, token.token)
            authorization = Authorization.from_token_response(
                self.base_url, token_response, userinfo
            )
        except (SalesforceError, AuthorizationError) as error:
            raise ProviderException(str(error)) from error
        userinfo["token_response"] = {
            name: token_response[name]
            for name in TOKEN_RESPONSE_PUBLIC_FIELDS
            if name in token_response
        }
        sociallogin = self.get_provider().sociallogin_from_response(request, userinfo)
        sociallogin.salesforce_authorization = authorization
        return sociallogin


oauth2_login = OAuth2LoginView.adapter_view(SalesforceOAuth2Adapter)
oauth2_callback = OAuth2CallbackView.adapter_view(SalesforceOAuth2Adapter)
