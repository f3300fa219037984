from django.urls import path

from integrations import views

app_name = "integrations"

urlpatterns = [
    path(
        "settings/integrations/salesforce/",
        views.salesforce_settings,
        name="salesforce_settings",
    ),
]
