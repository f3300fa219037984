from django.contrib import admin, messages

from exports.services import Outcome, enqueue_export
from outreach.models import Account, Campaign, Lead, Message


class CampaignInline(admin.TabularInline):
    model = Campaign
    extra = 0
    fields = ("name", "do_not_contact_crm", "created_at")
    readonly_fields = ("created_at",)
    show_change_link = True


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ("slug", "name", "created_at")
    list_filter = ("created_at",)
    search_fields = ("slug", "name")
    readonly_fields = ("created_at",)
    filter_horizontal = ("members",)
    inlines = [CampaignInline]
    list_select_related = ()
    actions = ["export_now"]

    @admin.action(description="Export now (queue an export to Salesforce)")
    def export_now(self, request, queryset):
        by_outcome: dict[Outcome, list[str]] = {}
        for account in queryset:
            outcome = enqueue_export(account, trigger="admin").outcome
            by_outcome.setdefault(outcome, []).append(account.slug)
        for outcome, text in [
            (Outcome.QUEUED, "Queued an export of {count} account(s): {slugs}."),
            (
                Outcome.JOINED_QUEUED,
                "An export of {count} account(s) was already queued and will "
                "include everything stored so far: {slugs}.",
            ),
            (
                Outcome.AFTER_RUNNING,
                "An export of {count} account(s) is running; another one runs "
                "right after it: {slugs}.",
            ),
        ]:
            if outcome in by_outcome:
                slugs = sorted(by_outcome[outcome])
                self.message_user(
                    request, text.format(count=len(slugs), slugs=", ".join(slugs))
                )
        if Outcome.NOT_CONNECTED in by_outcome:
            slugs = sorted(by_outcome[Outcome.NOT_CONNECTED])
            self.message_user(
                request,
                f"Not exported, because {len(slugs)} account(s) have no usable "
                f"Salesforce connection: {', '.join(slugs)}. A member reconnects "
                "in Settings → Integrations → Salesforce.",
                level=messages.WARNING,
            )


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ("name", "account", "do_not_contact_crm", "created_at")
    list_filter = ("do_not_contact_crm", "account")
    search_fields = ("name", "account__slug", "account__name")
    readonly_fields = ("created_at",)
    list_select_related = ("account",)
    autocomplete_fields = ("account",)


class MessageInline(admin.TabularInline):
    model = Message
    extra = 0
    fields = ("message_identifier", "channel", "direction", "subject", "sent_at")
    readonly_fields = fields
    can_delete = False
    show_change_link = True


@admin.register(Lead)
class LeadAdmin(admin.ModelAdmin):
    list_display = (
        "email",
        "first_name",
        "last_name",
        "company_name",
        "campaign",
        "replied",
        "sentiment",
        "updated_at",
    )
    list_filter = ("replied", "sentiment", "campaign__account")
    search_fields = ("email", "first_name", "last_name", "company_name")
    readonly_fields = ("created_at", "updated_at")
    list_select_related = ("campaign", "campaign__account")
    autocomplete_fields = ("campaign",)
    inlines = [MessageInline]


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = (
        "message_identifier",
        "lead",
        "channel",
        "direction",
        "subject",
        "sent_at",
    )
    list_filter = ("channel", "direction")
    search_fields = ("message_identifier", "lead__email", "subject")
    readonly_fields = ("created_at",)
    list_select_related = ("lead",)
    autocomplete_fields = ("lead",)
    date_hierarchy = "sent_at"
