"""allauth's OAuth2 adapter for Salesforce, with the login host of each flow."""

from allauth.socialaccount.providers.base import ProviderException
from allauth.socialaccount.providers.oauth2.views import (
    OAuth2CallbackView,
    OAuth2LoginView,
)
from allauth.socialaccount.providers.salesforce.views import (
    SalesforceOAuth2Adapter as StockSalesforceOAuth2Adapter,
)
from allauth.utils import get_request_param

from integrations.client import SalesforceError, fetch_userinfo, request_token
from integrations.connections import (
    Authorization,
    AuthorizationError,
    revoke_unused_token,
)
from integrations.oauth import flows


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

    def get_access_token_data(self, request, app, client, pkce_code_verifier=None):
        """Exchange the callback's code for tokens through the Salesforce client.

        Raises ProviderException chained to the client's SalesforceError.
        """
        form = {
            "grant_type": "authorization_code",
            "code": get_request_param(request, "code", ""),
            "client_id": app.client_id,
            "client_secret": app.secret,
            "redirect_uri": client.callback_url,
        }
        if pkce_code_verifier:
            form["code_verifier"] = pkce_code_verifier
        try:
            token_response = request_token(self.base_url, form)
        except SalesforceError as error:
            raise ProviderException(str(error)) from error
        self.did_fetch_access_token = True
        return token_response

    def complete_login(self, request, app, token, **kwargs):
        token_response = kwargs.get("response") or {}
        try:
            userinfo = fetch_userinfo(self.base_url, token.token)
            authorization = Authorization.from_token_response(
                self.base_url, token_response, userinfo
            )
        except (SalesforceError, AuthorizationError) as error:
            # The grant cannot become a connection, so it must not stay valid
            # at Salesforce; revoking the refresh token also ends its sessions.
            revoke_unused_token(
                self.base_url, token_response.get("refresh_token") or token.token
            )
            raise ProviderException(str(error)) from error
        sociallogin = self.get_provider().sociallogin_from_response(request, userinfo)
        sociallogin.salesforce_authorization = authorization
        return sociallogin


oauth2_login = OAuth2LoginView.adapter_view(SalesforceOAuth2Adapter)
oauth2_callback = OAuth2CallbackView.adapter_view(SalesforceOAuth2Adapter)
