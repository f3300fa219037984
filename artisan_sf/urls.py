from django.contrib import admin
from django.urls import include, path

from api.v1 import api_v1

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("api/v1/", api_v1.urls),
    path("", include("integrations.urls")),
]
