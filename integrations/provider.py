"""django-allauth's Salesforce provider, as Artisan connects orgs with it.

allauth discovers providers through a `provider` module at the root of each
installed app, so this file registers the provider under the stock id
`salesforce`. Its URLs and views live in `integrations.oauth`. The stock
provider module is never imported, because importing it would register the
stock class under the same id.
"""

from allauth.socialaccount.providers.base import ProviderAccount
from allauth.socialaccount.providers.oauth2.provider import OAuth2Provider

from integrations.oauth import flows
from integrations.oauth.views import SalesforceOAuth2Adapter


class SalesforceAccount(ProviderAccount):
    def to_str(self):
        return self.account.extra_data.get("preferred_username") or super().to_str()


class SalesforceProvider(OAuth2Provider):
    """Salesforce with the REST API scopes and a login host chosen per flow.

    The login host travels with the flow's state (see `flows`), so the token
    exchange goes to the host the customer picked on the settings page.
    """

    id = "salesforce"
    name = "Salesforce"
    # PKCE stays on when SOCIALACCOUNT_PROVIDERS omits OAUTH_PKCE_ENABLED,
    # because allauth 65 turns it off by default.
    pkce_enabled_default = True
    package = "integrations.oauth"
    account_class = SalesforceAccount
    oauth2_adapter_class = SalesforceOAuth2Adapter

    def __init__(self, request, app=None):
        super().__init__(request, app=app)
        self._login_url = ""

    def get_default_scope(self):
        return ["api", "refresh_token", "id", "openid"]

    def redirect(self, request, process, next_url=None, data=None, **kwargs):
        self._login_url = (data or {}).get("login_url", "")
        return super().redirect(request, process, next_url, data, **kwargs)

    def get_oauth2_adapter(self, request):
        adapter = super().get_oauth2_adapter(request)
        if self._login_url:
            adapter.login_url = self._login_url
        return adapter

    def stash_redirect_state(
        self, request, process, next_url=None, data=None, state_id=None, **kwargs
    ):
        state_id = super().stash_redirect_state(
            request, process, next_url, data, state_id, **kwargs
        )
        flows.remember(
            request,
            state_id,
            login_url=(self._login_url or self.app.key).rstrip("/"),
            account_id=(data or {}).get("account_id"),
        )
        return state_id

    def extract_uid(self, data):
        return str(data["user_id"])

    def extract_common_fields(self, data):
        # Connecting never creates or changes a Django user, so nothing from
        # Salesforce populates one.
        return {}


provider_classes = [SalesforceProvider]
