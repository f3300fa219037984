"""Forms of the Salesforce settings page."""

from django import forms
from django.db import transaction

from exports.config_changes import update_export_config
from exports.models import ExportConfig, ExportConfigChange
from integrations.connections import (
    default_login_host_choice,
    login_host_choice_for,
    login_host_choices,
)


class ConnectForm(forms.Form):
    login_host = forms.ChoiceField(label="Log in at")
    my_domain = forms.CharField(
        label="My Domain",
        required=False,
        help_text="For My Domain: https://yourdomain.my.salesforce.com, or the "
        "address of any Lightning or Setup page of your org.",
    )

    def __init__(self, *args, login_url: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["login_host"].choices = login_host_choices()
        self.fields["login_host"].initial = default_login_host_choice()
        if login_url:
            # Reconnecting starts from the host that issued the current tokens.
            choice, my_domain = login_host_choice_for(login_url)
            self.fields["login_host"].initial = choice
            self.fields["my_domain"].initial = my_domain


class ExportSettingsForm(forms.Form):
    """Object mapping, export trigger and the per-campaign Do Not Contact flag."""

    object_mapping = forms.ChoiceField(
        label="Create new records as",
        choices=ExportConfig.ObjectMapping.choices,
        widget=forms.RadioSelect,
    )
    export_trigger = forms.ChoiceField(
        label="Export",
        choices=ExportConfig.Trigger.choices,
        widget=forms.RadioSelect,
    )
    do_not_contact_campaigns = forms.ModelMultipleChoiceField(
        label="Do Not Contact leads found in CRM",
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Campaigns that skip leads whose email already exists as a "
        "Lead or Contact in the connected org.",
    )

    def __init__(self, *args, export_config: ExportConfig, **kwargs):
        self.export_config = export_config
        campaigns = export_config.account.campaigns.all()
        initial = {
            "object_mapping": export_config.object_mapping,
            "export_trigger": export_config.export_trigger,
            "do_not_contact_campaigns": [c for c in campaigns if c.do_not_contact_crm],
        }
        super().__init__(*args, initial=initial, **kwargs)
        self.fields["do_not_contact_campaigns"].queryset = campaigns
        self.fields["do_not_contact_campaigns"].label_from_instance = lambda campaign: (
            campaign.name
        )

    def save(self, *, user=None):
        with transaction.atomic():
            self.export_config = update_export_config(
                self.export_config.account,
                changes={
                    "object_mapping": self.cleaned_data["object_mapping"],
                    "export_trigger": self.cleaned_data["export_trigger"],
                },
                user=user,
                source=ExportConfigChange.Source.SETTINGS_PAGE,
            )
            chosen = {c.pk for c in self.cleaned_data["do_not_contact_campaigns"]}
            campaigns = self.fields["do_not_contact_campaigns"].queryset
            campaigns.filter(pk__in=chosen).update(do_not_contact_crm=True)
            campaigns.exclude(pk__in=chosen).update(do_not_contact_crm=False)
