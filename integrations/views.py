"""Settings → Integrations → Salesforce: connect, disconnect, export settings."""

import functools

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


def member_account_view(view):
    """Call `view(request, account, accounts)` with the account the request names.

    Without an `account` slug, the user's first account is used. A user of no
    account gets the no-account page, and another account's slug raises Http404.
    """

    @functools.wraps(view)
    def wrapper(request):
        accounts = list(Account.objects.filter(members=request.user))
        if not accounts:
            return render(request, "integrations/no_account.html", status=403)
        params = request.POST if request.method == "POST" else request.GET
        slug = params.get("account")
        account = accounts[0]
        if slug:
            account = next((a for a in accounts if a.slug == slug), None)
        if account is None:
            raise Http404(f"You are not a member of an account {slug!r}.")
        return view(request, account, accounts)

    return wrapper


@login_required
@require_GET
@member_account_view
def salesforce_settings(request, account, accounts):
    connection = SalesforceConnection.objects.filter(account=account).first()
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
@member_account_view
def salesforce_connect(request, account, accounts):
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
@member_account_view
def salesforce_disconnect(request, account, accounts):
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
@member_account_view
def export_settings(request, account, accounts):
    export_config, _ = ExportConfig.objects.get_or_create(account=account)
    form = ExportSettingsForm(request.POST, export_config=export_config)
    if form.is_valid():
        form.save(user=request.user)
        messages.success(request, "Saved the export settings.")
    else:
        errors = "; ".join(
            f"{form.fields[name].label}: {' '.join(problems)}"
            for name, problems in form.errors.items()
        )
        messages.error(request, f"The export settings were not saved. {errors}")
    return HttpResponseRedirect(flows.settings_url(account))
