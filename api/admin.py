"""Admin of API keys, where support reads and revokes them.

Keys are created by the `create_api_key` command, which prints each key once.
Adding one here would put its secret in the browser and in the message
storage. The stored hash is not displayed at all.
"""

from django.contrib import admin

from api.keys import revoke_api_keys
from api.models import ApiKey


class KeyStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("active", "active"), ("revoked", "revoked")]

    def queryset(self, request, queryset):
        if self.value() == "active":
            return queryset.filter(revoked_at__isnull=True)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = [
        "prefix",
        "name",
        "account",
        "created_at",
        "created_by",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = [KeyStateFilter, "account"]
    search_fields = ["prefix", "name", "account__slug", "account__name"]
    fields = [
        "account",
        "name",
        "prefix",
        "created_at",
        "created_by",
        "last_used_at",
        "revoked_at",
    ]
    readonly_fields = [
        "account",
        "prefix",
        "created_at",
        "created_by",
        "last_used_at",
        "revoked_at",
    ]
    list_select_related = ["account", "created_by"]
    actions = ["revoke_selected_keys"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Revoke selected keys")
    def revoke_selected_keys(self, request, queryset):
        selected = queryset.count()
        revoked = revoke_api_keys(queryset)
        message = f"Revoked {revoked} of {selected} selected key(s)."
        if revoked < selected:
            message += f" {selected - revoked} had been revoked already."
        self.message_user(request, message)
