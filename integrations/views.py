"""Settings → Integrations → Salesforce: connect, disconnect, export settings."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from exports.models import ExportConfig
from integrations.connections import (
    InvalidLoginHostError,
    disconnect,
    explain_oauth_error,
    normalise_login_url,
)
from integrations.forms import ConnectForm, ExportSettingsForm
from integrations.models import SalesforceConnection
from integrations.oauth import flows
from outreach.models import Account


class NoAccountError(Exception):
    """The user is a member of no Artisan account."""


def _member_account(request, slug: str | None):
    """Return (account, all of the user's accounts); raise Http404 for other slugs."""
    accounts = list(Account.objects.filter(members=request.user))
    if not accounts:
        raise NoAccountError
    if not slug:
        return accounts[0], accounts
    for account in accounts:
        if account.slug == slug:
            return account, accounts
    raise Http404(f"You are not a member of an account {slug!r}.")


def _no_account_page(request):
    return render(request, "integrations/no_account.html", status=403)


@login_required
@require_GET
def salesforce_settings(request):
    try:
        account, accounts = _member_account(request, request.GET.get("account"))
    except NoAccountError:
        return _no_account_page(request)
    connection = (
        SalesforceConnection.objects.without_tokens().filter(account=account).first()
    )
    export_config, _ = ExportConfig.objects.get_or_create(account=account)
    oauth_error = flows.pop_oauth_error(request)
    context = {
        "account": account,
        "accounts": accounts,
        "connection": connection,
        "connect_form": ConnectForm(
            login_url=connection.login_url if connection else ""
        ),
        "export_form": ExportSettingsForm(export_config=export_config),
        "oauth_error": oauth_error,
        "oauth_error_explanation": (
            explain_oauth_error(oauth_error["error"], oauth_error["description"])
            if oauth_error
            else None
        ),
    }
    return render(request, "integrations/salesforce_settings.html", context)


@login_required
@require_POST
def salesforce_connect(request):
    try:
        account, _ = _member_account(request, request.POST.get("account"))
    except NoAccountError:
        return _no_account_page(request)
    form = ConnectForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose where to log in to Salesforce.")
        return HttpResponseRedirect(flows.settings_url(account))
    try:
        login_url = normalise_login_url(
            form.cleaned_data["login_host"], form.cleaned_data["my_domain"]
        )
    except InvalidLoginHostError as error:
        messages.error(request, str(error))
        return HttpResponseRedirect(flows.settings_url(account))
    return flows.start_connect(request, account, login_url)


@login_required
@require_POST
def salesforce_disconnect(request):
    try:
        account, _ = _member_account(request, request.POST.get("account"))
    except NoAccountError:
        return _no_account_page(request)
    result = disconnect(account)
    if not result.was_connected:
        messages.info(request, "Salesforce was not connected.")
    elif result.revoke_problem:
        messages.warning(
            request,
            "Disconnected. Salesforce did not confirm that Artisan's access was "
            f"revoked ({result.revoke_problem}); an admin can revoke it under "
            "Setup → Connected Apps OAuth Usage.",
        )
    else:
        messages.success(
            request, "Disconnected Salesforce and revoked Artisan's access."
        )
    return HttpResponseRedirect(flows.settings_url(account))


@login_required
@require_POST
def export_settings(request):
    try:
        account, _ = _member_account(request, request.POST.get("account"))
    except NoAccountError:
        return _no_account_page(request)
    export_config, _ = ExportConfig.objects.get_or_create(account=account)
    form = ExportSettingsForm(request.POST, export_config=export_config)
    if form.is_valid():
        form.save()
        messages.success(request, "Saved the export settings.")
    else:
        errors = "; ".join(
            f"{form.fields[name].label}: {' '.join(problems)}"
            for name, problems in form.errors.items()
        )
        messages.error(request, f"The export settings were not saved. {errors}")
    return HttpResponseRedirect(flows.settings_url(account))
