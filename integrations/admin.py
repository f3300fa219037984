"""Admin for Salesforce connections: read what was authorized, check it works."""

from django.contrib import admin, messages

from integrations.client import SalesforceError, client_for_account
from integrations.connections import disconnect
from integrations.models import SalesforceConnection


@admin.register(SalesforceConnection)
class SalesforceConnectionAdmin(admin.ModelAdmin):
    list_display = (
        "account",
        "org_id",
        "state",
        "is_sandbox",
        "salesforce_username",
        "api_usage",
        "updated_at",
    )
    list_filter = ("state", "is_sandbox")
    search_fields = (
        "org_id",
        "previous_org_id",
        "account__slug",
        "account__name",
        "salesforce_username",
    )
    list_select_related = ("account", "authorized_by")
    # The tokens are excluded outright: an admin page must never render them,
    # not even encrypted. Everything else is read-only because connections
    # change only through the OAuth flow, a refresh or a disconnect.
    exclude = ("access_token", "refresh_token")
    readonly_fields = (
        "account",
        "org_id",
        "previous_org_id",
        "instance_url",
        "login_url",
        "is_sandbox",
        "salesforce_user_id",
        "salesforce_username",
        "authorized_by",
        "access_token_status",
        "refresh_token_status",
        "state",
        "last_error",
        "api_usage_used",
        "api_usage_max",
        "connected_at",
        "updated_at",
    )
    actions = ["check_connection"]

    def has_add_permission(self, request):
        # Connections come only from the OAuth flow on the settings page.
        return False

    def delete_model(self, request, obj):
        self._revoke_before_delete(request, obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for connection in queryset.select_related("account"):
            self._revoke_before_delete(request, connection)
        super().delete_queryset(request, queryset)

    def _revoke_before_delete(self, request, connection):
        # Deleting only the row would leave Artisan's grant valid in the org.
        result = disconnect(connection.account)
        if result.revoke_problem:
            self.message_user(
                request,
                f"{connection.account.slug}: Salesforce did not confirm that the "
                f"token was revoked ({result.revoke_problem}). An admin of org "
                f"{connection.org_id} can revoke it under Setup → Connected Apps "
                "OAuth Usage.",
                messages.WARNING,
            )

    @admin.display(description="API usage")
    def api_usage(self, connection):
        if connection.api_usage_max is None:
            return "unknown"
        return f"{connection.api_usage_used} / {connection.api_usage_max}"

    @admin.display(description="access token")
    def access_token_status(self, connection):
        return _token_status(connection, "access_token")

    @admin.display(description="refresh token")
    def refresh_token_status(self, connection):
        return _token_status(connection, "refresh_token")

    @admin.action(description="Check connection (calls /limits)")
    def check_connection(self, request, queryset):
        for connection in queryset.select_related("account"):
            try:
                client = client_for_account(connection.account)
                limits = client.limits()
                client.save_usage()
            except SalesforceError as error:
                self.message_user(
                    request,
                    f"{connection.account.slug}: check failed: {error}",
                    messages.ERROR,
                )
                continue
            daily = limits.get("DailyApiRequests", {})
            maximum = daily.get("Max")
            remaining = daily.get("Remaining")
            used = (
                maximum - remaining
                if maximum is not None and remaining is not None
                else "?"
            )
            self.message_user(
                request,
                f"{connection.account.slug}: org {connection.org_id} responded; "
                f"API requests used today: {used} of {maximum if maximum is not None else '?'}.",
                messages.SUCCESS,
            )


def _token_status(connection, field_name: str) -> str:
    token = connection.readable_token(field_name)
    if token is None:
        return (
            "stored, but cannot be decrypted with any key in TOKEN_ENCRYPTION_KEY; "
            "restore the key it was encrypted with, or reconnect the org"
        )
    return "stored" if token else "missing"
