from django.urls import path

from integrations import views

app_name = "integrations"

urlpatterns = [
    path(
        "settings/integrations/salesforce/",
        views.salesforce_settings,
        name="salesforce_settings",
    ),
    path(
        "settings/integrations/salesforce/connect/",
        views.salesforce_connect,
        name="salesforce_connect",
    ),
    path(
        "settings/integrations/salesforce/disconnect/",
        views.salesforce_disconnect,
        name="salesforce_disconnect",
    ),
    path(
        "settings/integrations/salesforce/export/",
        views.export_settings,
        name="salesforce_export_settings",
    ),
]
