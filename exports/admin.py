"""Admin of exports: configuration is edited, history is only read.

Support reads links, synced messages, runs and outcomes to see why a lead is
linked to a record. History is never edited by hand, so those admins are
view-only.
"""

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import OuterRef, Subquery
from django.forms.fields import InvalidJSONInput
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from exports.config import (
    EXAMPLE_ADVANCED_CONFIG,
    ExportConfigError,
    advanced_config_problems,
    settings_from_config,
)
from exports.config_changes import EDITABLE_FIELDS, update_export_config
from exports.describe import refresh_org_schemas
from exports.models import (
    ExportConfig,
    ExportConfigChange,
    ExportRun,
    ExportTask,
    LeadLink,
    ObjectDescribe,
    RecordOutcome,
    SyncedMessage,
)
from exports.preview import preview_export
from exports.services import enqueue_export
from exports.validation import check_against_org
from integrations.client import SalesforceError, client_for_account
from integrations.models import SalesforceConnection


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


ADVANCED_CONFIG_HELP = format_html(
    "A JSON object; every key is optional and a missing key keeps the default. "
    "It is checked against the JSON Schema when saved, and against the connected "
    "org after saving, by the action “Validate against the org” and before every "
    "export.<ul>"
    "<li><b>lead_source</b>: LeadSource of new Leads and Contacts "
    "(default “Artisan AI”).</li>"
    "<li><b>custom_attribution_property</b>: API name of a custom field set on "
    "every new record, e.g. Data_Source__c; a namespace prefix is allowed.</li>"
    "<li><b>attribution_value</b>: its value (default “Artisan AI”).</li>"
    "<li><b>overwrite_fields</b>: fields updated on a matched Lead or Contact, "
    "by canonical name (FirstName, LastName, Email, Title, Company, Website, "
    "Status, LeadSource) or by the field they are mapped to. Only values that "
    "differ are sent; Status applies to Leads only; a converted Lead is never "
    "updated, its Contact is.</li>"
    "<li><b>field_name_mappings</b>: canonical name → field API name. On Contacts "
    "it replaces the defaults Company → Department and Website → Description. On "
    "Leads a mapped company name also fills Company, which Salesforce "
    "requires.</li>"
    "<li><b>lead_status</b>: Status per engagement, overlaid key by key on the "
    "defaults: not_engaged (Open - Not Contacted), engaged (Working - Contacted), "
    '"3" positive (Qualified), "2" neutral (Working - Contacted), "1" negative '
    "(Unqualified). A default the org's restricted Status picklist lacks is left "
    "to the org's default Status, with a note on each record; a value set here "
    "that the picklist lacks makes the export refuse.</li>"
    "</ul>Picklist values may be given by label; the API value is sent. "
    "A complete example:<pre>{}</pre>",
    json.dumps(dict(EXAMPLE_ADVANCED_CONFIG), indent=2),
)


class IndentedJSONField(forms.JSONField):
    """A JSON form field that shows its value indented, one key per line."""

    def prepare_value(self, value):
        if isinstance(value, InvalidJSONInput):
            return value
        return json.dumps(value, ensure_ascii=False, indent=2, cls=self.encoder)


class ExportConfigForm(forms.ModelForm):
    class Meta:
        model = ExportConfig
        fields = [
            "account",
            "object_mapping",
            "export_trigger",
            "apply_assignment_rules",
            "advanced_config",
        ]
        help_texts = {"advanced_config": ADVANCED_CONFIG_HELP}
        field_classes = {"advanced_config": IndentedJSONField}
        widgets = {
            "advanced_config": forms.Textarea(
                attrs={"rows": 18, "cols": 90, "style": "font-family: monospace"}
            )
        }

    def clean_advanced_config(self):
        advanced = self.cleaned_data["advanced_config"]
        if advanced is None:
            advanced = {}
        problems = advanced_config_problems(advanced)
        if problems:
            raise ValidationError(problems)
        return advanced


class ExportConfigChangeInline(admin.TabularInline):
    model = ExportConfigChange
    fields = ["changed_at", "changed_by", "source", "change_list"]
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    verbose_name = "change"
    verbose_name_plural = "history of changes (newest first)"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("changed_by")

    @admin.display(description="changes")
    def change_list(self, change):
        return format_change_list(change.changes)


def format_change_list(changes: list[dict]):
    """Render a JSON diff as one line per changed path: from → to."""
    return format_html(
        "<ul style='margin:0'>{}</ul>",
        format_html_join(
            "",
            "<li><code>{}</code> {}: <code>{}</code> → <code>{}</code></li>",
            (
                (
                    entry["path"],
                    entry["change"],
                    _json(entry["from"]),
                    _json(entry["to"]),
                )
                for entry in changes
            ),
        ),
    )


def _json(value) -> str:
    return "—" if value is None else json.dumps(value, ensure_ascii=False)


@admin.register(ExportConfig)
class ExportConfigAdmin(admin.ModelAdmin):
    form = ExportConfigForm
    fieldsets = [
        (None, {"fields": ["account", "connected_org", "preview_link"]}),
        (
            "Export",
            {"fields": ["object_mapping", "export_trigger", "apply_assignment_rules"]},
        ),
        ("Advanced configuration", {"fields": ["advanced_config"]}),
        ("Bookkeeping", {"fields": ["updated_at"], "classes": ["collapse"]}),
    ]
    list_display = [
        "account",
        "object_mapping",
        "export_trigger",
        "apply_assignment_rules",
        "advanced_keys",
        "connected_org",
        "updated_at",
    ]
    list_filter = ["object_mapping", "export_trigger", "apply_assignment_rules"]
    search_fields = ["account__slug", "account__name"]
    readonly_fields = ["updated_at", "connected_org", "preview_link"]
    list_select_related = ["account"]
    raw_id_fields = ["account"]
    inlines = [ExportConfigChangeInline]
    actions = ["validate_against_org", "refresh_org_metadata"]

    def has_delete_permission(self, request, obj=None):
        # Deleting would silently reset the account to the defaults and drop
        # the history of changes, so edit the values instead.
        return False

    def get_readonly_fields(self, request, obj=None):
        # A config belongs to its account for good, so that its change history
        # stays that account's.
        if obj is not None:
            return [*self.readonly_fields, "account"]
        return self.readonly_fields

    def get_queryset(self, request):
        # The org column reads the connection and the metadata in the same
        # query as the configs, not two queries per row.
        connection = SalesforceConnection.objects.filter(account=OuterRef("account"))
        described = ObjectDescribe.objects.filter(
            org_id=OuterRef("connected_org_id")
        ).order_by("-described_at")
        return (
            super()
            .get_queryset(request)
            .annotate(
                connected_org_id=Subquery(connection.values("org_id")[:1]),
                connection_state=Subquery(connection.values("state")[:1]),
            )
            .annotate(metadata_read_at=Subquery(described.values("described_at")[:1]))
        )

    def get_urls(self):
        preview = path(
            "<path:object_id>/preview/",
            self.admin_site.admin_view(self.preview_view),
            name="exports_exportconfig_preview",
        )
        return [preview, *super().get_urls()]

    def save_model(self, request, obj, form, change):
        changes = {
            name: form.cleaned_data[name]
            for name in EDITABLE_FIELDS
            if name in form.cleaned_data
        }
        saved = update_export_config(
            obj.account,
            changes=changes,
            user=request.user,
            source=ExportConfigChange.Source.ADMIN,
        )
        obj.pk = saved.pk
        obj.updated_at = saved.updated_at
        self._report_org_check(request, saved)

    def _report_org_check(self, request, config) -> None:
        # Validate on save, so the account team learns at once whether the
        # saved settings fit the org.
        connection = SalesforceConnection.objects.filter(account=config.account).first()
        if connection is not None and connection.is_usable:
            self._validate(request, config)

    @admin.display(description="advanced keys")
    def advanced_keys(self, config):
        keys = sorted(config.advanced_config or {})
        return ", ".join(keys) if keys else "defaults"

    @admin.display(description="connected org")
    def connected_org(self, config):
        org_id = getattr(config, "connected_org_id", None)
        if config.pk is None:
            return "—"
        if org_id is None:
            return "not connected"
        state = SalesforceConnection.State(config.connection_state).label
        described = config.metadata_read_at
        metadata = (
            f"metadata read {described:%Y-%m-%d %H:%M} UTC"
            if described
            else "metadata not read yet"
        )
        return f"{org_id} ({state}; {metadata})"

    @admin.display(description="preview")
    def preview_link(self, config):
        if config.pk is None:
            return "Save the configuration first."
        url = reverse("admin:exports_exportconfig_preview", args=[config.pk])
        return format_html(
            '<a href="{}">Preview what an export would do</a> (reads from '
            "Salesforce, writes nothing)",
            url,
        )

    @admin.action(description="Validate against the org", permissions=["view"])
    def validate_against_org(self, request, queryset):
        for config in queryset.select_related("account"):
            self._validate(request, config)

    def _validate(self, request, config) -> None:
        slug = config.account.slug
        try:
            settings = settings_from_config(config)
            client = client_for_account(config.account)
        except ExportConfigError as error:
            self._report_problems(
                request, slug, "the configuration is invalid", error.problems
            )
            return
        except SalesforceError as error:
            self.message_user(
                request,
                f"{slug}: not checked against the org: {error.message}",
                messages.WARNING,
            )
            return
        try:
            check = check_against_org(client, client.connection.org_id, settings)
        except SalesforceError as error:
            self.message_user(
                request,
                f"{slug}: reading the org's metadata failed: {error.message}",
                messages.ERROR,
            )
            return
        finally:
            client.save_usage()
        org = check.org_id
        if check.errors:
            self._report_problems(
                request,
                slug,
                f"invalid for org {org}; exports are refused until it is fixed",
                check.errors,
            )
        for warning in check.warnings:
            self.message_user(request, f"{slug}: {warning}", messages.WARNING)
        if not check.errors:
            self.message_user(
                request,
                f"{slug}: the configuration is valid for org {org} "
                f"({', '.join(check.schemas)} checked).",
                messages.SUCCESS,
            )

    def _report_problems(self, request, slug, summary, problems) -> None:
        # One line per problem: a nested list would take the message's styling.
        self.message_user(
            request,
            format_html(
                "{}: {}:{}",
                slug,
                summary,
                format_html_join("", "<br>• {}", ((p,) for p in problems)),
            ),
            messages.ERROR,
        )

    @admin.action(description="Refresh org metadata", permissions=["change"])
    def refresh_org_metadata(self, request, queryset):
        for config in queryset.select_related("account"):
            slug = config.account.slug
            try:
                client = client_for_account(config.account)
                org_id = client.connection.org_id
                schemas = refresh_org_schemas(client, org_id)
            except SalesforceError as error:
                self.message_user(
                    request,
                    f"{slug}: refreshing the org metadata failed: {error.message}",
                    messages.ERROR,
                )
                continue
            client.save_usage()
            described = ", ".join(
                f"{name} ({len(schema.fields)} fields)"
                for name, schema in schemas.items()
            )
            self.message_user(
                request,
                f"{slug}: read the metadata of org {org_id} again: {described}.",
                messages.SUCCESS,
            )

    def preview_view(self, request, object_id):
        config = get_object_or_404(
            ExportConfig.objects.select_related("account"), pk=object_id
        )
        if not self.has_view_permission(request, config):
            raise PermissionDenied
        wanted = request.GET.get("leads", "")
        preview = (
            preview_export(config.account, wanted) if "run" in request.GET else None
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": config,
            "title": f"Preview the export of {config.account}",
            "wanted": wanted,
            "preview": preview,
            "rows": _preview_rows(preview) if preview else [],
        }
        return TemplateResponse(
            request, "admin/exports/exportconfig/preview.html", context
        )


def _preview_rows(preview) -> list[dict]:
    rows = []
    for decision in preview.decisions:
        fields = []
        if decision.payload:
            fields = [
                (name, value)
                for name, value in decision.payload.items()
                if name != "attributes"
            ]
        rows.append(
            {
                "decision": decision,
                "emails": [preview.emails_by_lead[i] for i in decision.lead_ids],
                "fields": fields,
                "changes": [
                    (c.field, _json(c.before), _json(c.after)) for c in decision.changes
                ],
            }
        )
    return rows


@admin.register(ExportConfigChange)
class ExportConfigChangeAdmin(ReadOnlyAdmin):
    list_display = ["export_config", "changed_at", "changed_by", "source", "paths"]
    list_filter = ["source", "changed_at"]
    search_fields = [
        "export_config__account__slug",
        "export_config__account__name",
        "changed_by__username",
    ]
    readonly_fields = ["change_list"]
    list_select_related = ["export_config__account", "changed_by"]

    @admin.display(description="changed")
    def paths(self, change):
        return ", ".join(entry["path"] for entry in change.changes)

    @admin.display(description="changes")
    def change_list(self, change):
        return format_change_list(change.changes)


@admin.register(ObjectDescribe)
class ObjectDescribeAdmin(ReadOnlyAdmin):
    list_display = ["org_id", "sobject", "field_count", "described_at"]
    list_filter = ["sobject"]
    search_fields = ["org_id", "sobject"]
    list_select_related = []
    exclude = ["describe"]
    readonly_fields = ["field_table"]

    def get_readonly_fields(self, request, obj=None):
        return ["org_id", "sobject", "described_at", "field_table"]

    @admin.display(description="fields")
    def field_count(self, stored):
        return len(stored.describe.get("fields") or ())

    @admin.display(description="fields")
    def field_table(self, stored):
        return format_html(
            "<table><tr><th>API name</th><th>type</th><th>length</th>"
            "<th>createable</th><th>updateable</th><th>picklist values</th></tr>"
            "{}</table>",
            format_html_join(
                "",
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
                "<td>{}</td></tr>",
                (
                    (
                        item.get("name"),
                        item.get("type"),
                        item.get("length"),
                        item.get("createable"),
                        item.get("updateable"),
                        ", ".join(
                            v.get("value", "") for v in item.get("picklistValues") or ()
                        ),
                    )
                    for item in stored.describe.get("fields") or ()
                ),
            ),
        )


@admin.register(ExportTask)
class ExportTaskAdmin(ReadOnlyAdmin):
    """Each account's export task: whether one is queued or running, and since when."""

    list_display = [
        "account",
        "state",
        "trigger",
        "task_id",
        "state_changed_at",
        "requested_while_running",
    ]
    list_filter = ["state", "requested_while_running"]
    search_fields = ["account__slug", "account__name", "task_id"]
    readonly_fields = list_display
    list_select_related = ["account"]


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
# many thousand leads. The run's "outcomes" link opens the paginated list.
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
        "changes",
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
        "updated_count",
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
        queued, unconnected = [], []
        for account in sorted(accounts, key=lambda a: a.slug):
            if enqueue_export(account, trigger="admin retry").accepted:
                queued.append(account.slug)
            else:
                unconnected.append(account.slug)
        if queued:
            self.message_user(
                request,
                f"Queued an export of {len(queued)} account(s): {', '.join(queued)}.",
            )
        if unconnected:
            self.message_user(
                request,
                f"Not exported, because {len(unconnected)} account(s) have no usable "
                f"Salesforce connection: {', '.join(unconnected)}. A member "
                "reconnects in Settings → Integrations → Salesforce.",
                level=messages.WARNING,
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
