"""Version 1 of the artisan-sf JSON API: one NinjaAPI, one OpenAPI document.

Every endpoint authenticates with an account's API key. Other features add
their routers here, so that they share the authentication, the error format
and the OpenAPI document at /api/v1/openapi.json (docs at /api/v1/docs).
"""

from ninja import NinjaAPI
from ninja.errors import AuthenticationError

from api.auth import ApiKeyAuth
from api.views import intake_router
from contact_checks.api import contact_check_router

api_v1 = NinjaAPI(
    title="artisan-sf API",
    version="1",
    description="Intake of leads and messages from the outreach engine, and "
    "the Do Not Contact check it asks before outreach. "
    "Authenticate with 'Authorization: Bearer <key>'.",
    auth=ApiKeyAuth(),
    urls_namespace="api-v1",
)
api_v1.add_router("", intake_router)
api_v1.add_router("", contact_check_router)


@api_v1.exception_handler(AuthenticationError)
def unauthorized(request, error: AuthenticationError):
    response = api_v1.create_response(request, {"detail": error.message}, status=401)
    # HTTP requires a 401 to carry a WWW-Authenticate challenge (RFC 7235, 3.1).
    response["WWW-Authenticate"] = "Bearer"
    return response
