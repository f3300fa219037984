from allauth.socialaccount.providers.oauth2.urls import default_urlpatterns

from integrations.provider import SalesforceProvider

urlpatterns = default_urlpatterns(SalesforceProvider)
