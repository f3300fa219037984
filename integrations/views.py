from django.contrib.auth.decorators import login_required
from django.http import HttpResponse


@login_required
def salesforce_settings(request):
    # Placeholder until the settings page lands.
    return HttpResponse("Salesforce settings")
