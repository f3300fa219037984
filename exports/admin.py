"""Admin of exports: configuration is edited, history is only read.

Support reads links, synced messages, runs and outcomes to see why a lead is
linked to a record. History is never edited by hand, so those admins are
view-only.
"""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from exports.models import (
    ExportConfig,
    ExportRun,
    LeadLink,
    RecordOutcome,
    SyncedMessage,
)
from exports.services import enqueue_export


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields] + list(
            self.readonly_fields
        )


@admin.register(ExportConfig)
class ExportConfigAdmin(admin.ModelAdmin):
    list_display = [
        "account",
        "object_mapping",
        "export_trigger",
        "apply_assignment_rules",
        "updated_at",
    ]
    list_filter = ["object_mapping", "export_trigger", "apply_assignment_rules"]
    search_fields = ["account__slug", "account__name"]
    readonly_fields = ["updated_at"]
    list_select_related = ["account"]
    raw_id_fields = ["account"]


@admin.register(LeadLink)
class LeadLinkAdmin(ReadOnlyAdmin):
    list_display = [
        "lead",
        "salesforce_object",
        "salesforce_id",
        "origin",
        "candidate_count",
        "org_id",
        "export_run",
        "created_at",
    ]
    list_filter = ["origin", "salesforce_object", "org_id"]
    search_fields = ["lead__email", "salesforce_id"]
    list_select_related = ["lead", "export_run__account"]


@admin.register(SyncedMessage)
class SyncedMessageAdmin(ReadOnlyAdmin):
    list_display = [
        "message_identifier",
        "lead_email",
        "salesforce_object",
        "salesforce_id",
        "state",
        "org_id",
        "updated_at",
    ]
    list_filter = ["state", "salesforce_object", "org_id"]
    search_fields = ["message__lead__email", "salesforce_id", "message_identifier"]
    list_select_related = ["message__lead"]

    @admin.display(description="lead email", ordering="message__lead__email")
    def lead_email(self, synced):
        return synced.message.lead.email


# NOTE: the inline renders every outcome of the run, which is slow for runs of
# many thousand leads; the run's "outcomes" link opens the paginated list.
class RecordOutcomeInline(admin.TabularInline):
    model = RecordOutcome
    fields = [
        "outcome",
        "lead",
        "message",
        "salesforce_object",
        "salesforce_id",
        "error_code",
        "error_message",
        "note",
        "truncations",
    ]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("lead", "message")


@admin.register(ExportRun)
class ExportRunAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "account",
        "trigger",
        "status",
        "created_count",
        "linked_count",
        "failed_count",
        "skipped_count",
        "messages_synced_count",
        "api_calls",
        "started_at",
        "finished_at",
    ]
    list_filter = ["status", "trigger"]
    search_fields = ["account__slug", "account__name", "org_id", "error"]
    readonly_fields = ["outcome_list"]
    list_select_related = ["account"]
    inlines = [RecordOutcomeInline]
    actions = ["retry_failed_leads"]

    @admin.display(description="outcomes")
    def outcome_list(self, run):
        url = reverse("admin:exports_recordoutcome_changelist")
        return format_html(
            '<a href="{}?export_run__id__exact={}">Filter and search the {} outcomes</a>',
            url,
            run.pk,
            run.outcomes.count(),
        )

    @admin.action(
        description="Retry failed leads (queue an export of the account)",
        permissions=["view"],
    )
    def retry_failed_leads(self, request, queryset):
        # Failed leads have no link, so the next export of the account picks
        # them up again together with anything else still due.
        accounts = {run.account for run in queryset.select_related("account")}
        for account in accounts:
            enqueue_export(account, trigger="admin retry")
        self.message_user(
            request,
            f"Queued an export of {len(accounts)} account(s): "
            f"{', '.join(sorted(a.slug for a in accounts))}.",
        )


@admin.register(RecordOutcome)
class RecordOutcomeAdmin(ReadOnlyAdmin):
    list_display = [
        "export_run",
        "outcome",
        "lead",
        "salesforce_object",
        "salesforce_id",
        "error_code",
        "created_at",
    ]
    list_filter = ["outcome", "salesforce_object", "error_code"]
    search_fields = [
        "lead__email",
        "salesforce_id",
        "error_code",
        "message__message_identifier",
    ]
    list_select_related = ["export_run__account", "lead"]
