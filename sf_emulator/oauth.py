"""OAuth 2.0 endpoints: authorize (consent page), token, userinfo, revoke.

Errors follow Salesforce: the token endpoint returns 400 with a JSON object
{"error", "error_description"}; the authorize endpoint redirects back with
those as query parameters, except when the client or its callback URL cannot
be trusted, where it shows an error page instead.
"""

import base64
import hashlib
import hmac
import html
import logging
import re
import secrets
import string
import time
from urllib.parse import urlencode, urlsplit, urlunsplit

from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from sf_emulator.web import empty_response, json_response

logger = logging.getLogger(__name__)

# NOTE: Salesforce does not document how long a code lives; 15 minutes is a
# guess at the generous end.
CODE_LIFETIME_SECONDS = 15 * 60
# Scopes the connected app grants when the request names none.
DEFAULT_SCOPE = "api id refresh_token"
# Salesforce requires the registered callback URL to match exactly. The
# emulator's connected app instead accepts django-allauth's callback path on
# any local port, so that a dev server or test server needs no registration.
CALLBACK_URL = re.compile(
    r"^https?://(localhost|127\.0\.0\.1)(:\d+)?/(.*/)?accounts/salesforce/login/callback/$"
    r"|^http://testserver/(.*/)?accounts/salesforce/login/callback/$"
)
# Characters of generated tokens and codes.
TOKEN_ALPHABET = string.ascii_letters + string.digits + "._"


def oauth_error(error: str, description: str, status: int = 400) -> Response:
    return json_response({"error": error, "error_description": description}, status)


def _random_token(length: int) -> str:
    return "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(length))


def _with_query(url: str, params: dict) -> str:
    parts = urlsplit(url)
    query = "&".join(filter(None, [parts.query, urlencode(params)]))
    return urlunsplit(parts._replace(query=query))


class OAuthEndpoints:
    """The /services/oauth2/ endpoints and the identity URL of one emulator."""

    def __init__(self, emulator):
        self.emulator = emulator
        self.storage = emulator.storage

    def handle(self, request: Request) -> Response:
        path = request.path.rstrip("/")
        if path.startswith("/id/"):
            return self.identity(request, path)
        handlers = {
            "/services/oauth2/authorize": self.authorize,
            "/services/oauth2/token": self.token,
            "/services/oauth2/userinfo": self.userinfo,
            "/services/oauth2/revoke": self.revoke,
        }
        handler = handlers.get(path)
        if handler is None:
            return oauth_error("not_found", "unknown OAuth endpoint", 404)
        return handler(request)

    # Authorize and consent

    def authorize(self, request: Request) -> Response:
        params = request.form if request.method == "POST" else request.args
        client_id = params.get("client_id", "")
        redirect_uri = params.get("redirect_uri", "")
        if self.storage.connected_app(client_id) is None:
            return self._error_page("invalid_client_id", "client identifier invalid")
        if not CALLBACK_URL.match(redirect_uri):
            return self._error_page(
                "redirect_uri_mismatch", "redirect_uri must match configuration"
            )
        state = params.get("state")

        def back(**result: str) -> Response:
            if state is not None:
                result["state"] = state
            return redirect(_with_query(redirect_uri, result), 302)

        if params.get("response_type") != "code":
            return back(
                error="unsupported_response_type",
                error_description="response type is not supported",
            )
        challenge_method = params.get("code_challenge_method")
        if params.get("code_challenge") and challenge_method not in (None, "S256"):
            return back(
                error="invalid_request",
                error_description="unsupported code challenge method",
            )
        if request.method != "POST":
            return self._consent_page(params)
        if params.get("action") == "deny":
            return back(
                error="access_denied",
                error_description="end-user denied authorization",
            )
        user = self.storage.authenticate(
            params.get("username", ""), params.get("password", "")
        )
        if user is None:
            return self._consent_page(
                params,
                error="Please check your username and password. If you still can't "
                "log in, contact your Salesforce administrator.",
            )
        org = self.storage.org(user["org_id"])
        if org["faults"].get("app_installed") is False:
            return back(
                error="invalid_client",
                error_description="app must be installed into org",
            )
        code = _random_token(64)
        self.storage.save_code(
            code,
            client_id=client_id,
            redirect_uri=redirect_uri,
            org_id=user["org_id"],
            user_id=user["user_id"],
            scope=params.get("scope") or DEFAULT_SCOPE,
            code_challenge=params.get("code_challenge") or None,
            expires_at=time.time() + CODE_LIFETIME_SECONDS,
        )
        logger.info("Issued an authorization code to user %s", user["user_id"])
        return back(code=code)

    def _consent_page(self, params, error: str | None = None) -> Response:
        hidden_names = (
            "response_type",
            "client_id",
            "redirect_uri",
            "scope",
            "state",
            "code_challenge",
            "code_challenge_method",
            "prompt",
        )
        hidden = "\n".join(
            f'<input type="hidden" name="{name}" value="{html.escape(params[name])}">'
            for name in hidden_names
            if params.get(name) is not None
        )
        app = self.storage.connected_app(params["client_id"])
        message = f'<p class="error">{html.escape(error)}</p>' if error else ""
        scopes = html.escape(params.get("scope") or DEFAULT_SCOPE)
        page = f"""<!DOCTYPE html>
<html><head><title>Allow Access?</title></head>
<body>
<h1>Allow Access?</h1>
<p>{html.escape(app["name"])} is asking to access your Salesforce data
(scopes: {scopes}).</p>
{message}
<form method="post" action="/services/oauth2/authorize">
{hidden}
<label>Username <input type="text" name="username"></label>
<label>Password <input type="password" name="password"></label>
<button type="submit" name="action" value="allow">Allow</button>
<button type="submit" name="action" value="deny">Deny</button>
</form>
</body></html>
"""
        return Response(page, content_type="text/html; charset=utf-8")

    def _error_page(self, error: str, description: str) -> Response:
        page = (
            "<!DOCTYPE html><html><head><title>Error</title></head><body>"
            f"<h1>OAuth Error</h1><p>error={html.escape(error)}</p>"
            f"<p>error_description={html.escape(description)}</p></body></html>"
        )
        return Response(page, status=400, content_type="text/html; charset=utf-8")

    # Token endpoint

    def token(self, request: Request) -> Response:
        if request.method != "POST":
            return oauth_error("invalid_request", "must use HTTP POST", 405)
        form = request.form
        grant_type = form.get("grant_type")
        grants = {
            "authorization_code": self._authorization_code_grant,
            "refresh_token": self._refresh_token_grant,
            "password": self._password_grant,
        }
        if grant_type not in grants:
            return oauth_error("unsupported_grant_type", "grant type not supported")
        app = self.storage.connected_app(form.get("client_id", ""))
        if app is None:
            return oauth_error("invalid_client_id", "client identifier invalid")
        secret = form.get("client_secret")
        secret_required = grant_type != "refresh_token"
        if (secret is not None or secret_required) and not hmac.compare_digest(
            (secret or "").encode(), app["client_secret"].encode()
        ):
            return oauth_error("invalid_client", "invalid client credentials")
        return grants[grant_type](form, app)

    def _authorization_code_grant(self, form, app) -> Response:
        code = self.storage.consume_code(form.get("code", ""))
        if code is None or code["client_id"] != app["client_id"]:
            return oauth_error("invalid_grant", "expired authorization code")
        if form.get("redirect_uri") != code["redirect_uri"]:
            return oauth_error(
                "redirect_uri_mismatch", "redirect_uri must match configuration"
            )
        if code["code_challenge"]:
            verifier = form.get("code_verifier")
            if not verifier:
                return oauth_error("invalid_grant", "invalid code verifier")
            digest = hashlib.sha256(verifier.encode()).digest()
            expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
            if not hmac.compare_digest(expected, code["code_challenge"]):
                return oauth_error("invalid_request", "invalid code verifier")
        scope = code["scope"]
        wants_refresh = {"refresh_token", "offline_access"} & set(scope.split())
        return self._issue(
            app,
            org_id=code["org_id"],
            user_id=code["user_id"],
            scope=scope,
            with_refresh_token=bool(wants_refresh),
        )

    def _refresh_token_grant(self, form, app) -> Response:
        refresh_token = form.get("refresh_token", "")
        row = self.storage.valid_token(refresh_token, "refresh")
        if row is None or row["client_id"] != app["client_id"]:
            return oauth_error("invalid_grant", "expired access/refresh token")
        return self._issue(
            app,
            org_id=row["org_id"],
            user_id=row["user_id"],
            scope=row["scope"],
            refresh_token=refresh_token,
        )

    def _password_grant(self, form, app) -> Response:
        user = self.storage.authenticate(
            form.get("username", ""), form.get("password", "")
        )
        if user is None:
            return oauth_error("invalid_grant", "authentication failure")
        return self._issue(
            app, org_id=user["org_id"], user_id=user["user_id"], scope="api id"
        )

    def _issue(
        self,
        app,
        *,
        org_id: str,
        user_id: str,
        scope: str,
        with_refresh_token: bool = False,
        refresh_token: str | None = None,
    ) -> Response:
        """Issue an access token (and a refresh token on request) as JSON."""
        access_token = f"{org_id[:15]}!{_random_token(96)}"
        new_refresh_token = _random_token(87) if with_refresh_token else None
        token_fields = {
            "org_id": org_id,
            "user_id": user_id,
            "client_id": app["client_id"],
            "scope": scope,
        }
        with self.storage.transaction():
            if new_refresh_token:
                self.storage.save_token(
                    new_refresh_token, kind="refresh", **token_fields
                )
            self.storage.save_token(
                access_token,
                kind="access",
                refresh_token=new_refresh_token or refresh_token,
                **token_fields,
            )
        identity_url = f"{self.emulator.base_url}/id/{org_id}/{user_id}"
        issued_at = str(int(time.time() * 1000))
        signature = hmac.new(
            app["client_secret"].encode(),
            (identity_url + issued_at).encode(),
            hashlib.sha256,
        ).digest()
        body = {
            "access_token": access_token,
            "signature": base64.b64encode(signature).decode(),
            "scope": scope,
            "instance_url": self.emulator.base_url,
            "id": identity_url,
            "token_type": "Bearer",
            "issued_at": issued_at,
        }
        if new_refresh_token:
            body["refresh_token"] = new_refresh_token
        logger.info("Issued an access token to user %s of org %s", user_id, org_id)
        return json_response(body)

    # Userinfo, identity URL, revoke

    def _bearer_token(self, request: Request):
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() not in ("bearer", "oauth") or not token:
            token = request.args.get("oauth_token", "")
        return self.storage.valid_token(token.strip(), "access") if token else None

    def userinfo(self, request: Request) -> Response:
        row = self._bearer_token(request)
        if row is None:
            return Response("Bad_OAuth_Token", status=403, content_type="text/plain")
        return json_response(self._userinfo(row["org_id"], row["user_id"]))

    def identity(self, request: Request, path: str) -> Response:
        row = self._bearer_token(request)
        if row is None:
            return Response("Bad_OAuth_Token", status=403, content_type="text/plain")
        parts = path.split("/")
        if len(parts) != 4 or parts[2] != row["org_id"]:
            return Response("Bad_Id", status=404, content_type="text/plain")
        user = self.storage.record(row["org_id"], parts[3])
        if user is None or user[0] != "User":
            return Response("Bad_Id", status=404, content_type="text/plain")
        info = self._userinfo(row["org_id"], parts[3])
        return json_response(
            {
                "id": info["sub"],
                "asserted_user": parts[3] == row["user_id"],
                "user_id": info["user_id"],
                "organization_id": info["organization_id"],
                "username": info["preferred_username"],
                "nick_name": info["nickname"],
                "display_name": info["name"],
                "email": info["email"],
                "email_verified": True,
                "first_name": info["given_name"],
                "last_name": info["family_name"],
                "timezone": info["zoneinfo"],
                "photos": info["photos"],
                "active": True,
                "user_type": "STANDARD",
                "language": "en_US",
                "locale": "en_US",
                "utcOffset": info["utcOffset"],
                "last_modified_date": info["updated_at"],
                "is_app_installed": info["is_app_installed"],
                "urls": info["urls"],
            }
        )

    def _userinfo(self, org_id: str, user_id: str) -> dict:
        base = self.emulator.base_url
        user = self.storage.record(org_id, user_id)[1]
        org = self.storage.org(org_id)
        # Salesforce returns the literal "{version}" placeholder in these URLs.
        data = f"{base}/services/data/v{{version}}"
        soap = f"{base}/services/Soap"
        return {
            "sub": f"{base}/id/{org_id}/{user_id}",
            "user_id": user_id,
            "organization_id": org_id,
            "preferred_username": user["Username"],
            "nickname": user["Alias"],
            "name": user["Name"],
            "email": user["Email"],
            "email_verified": True,
            "given_name": user["FirstName"],
            "family_name": user["LastName"],
            "zoneinfo": "America/Los_Angeles",
            "photos": {
                "picture": f"{base}/profilephoto/005/F",
                "thumbnail": f"{base}/profilephoto/005/T",
            },
            "profile": f"{base}/{user_id}",
            "picture": f"{base}/profilephoto/005/F",
            "address": {},
            "is_salesforce_integration_user": False,
            "urls": {
                "enterprise": f"{soap}/c/{{version}}/{org_id[:15]}",
                "metadata": f"{soap}/m/{{version}}/{org_id[:15]}",
                "partner": f"{soap}/u/{{version}}/{org_id[:15]}",
                "rest": f"{data}/",
                "sobjects": f"{data}/sobjects/",
                "search": f"{data}/search/",
                "query": f"{data}/query/",
                "recent": f"{data}/recent/",
                "tooling_soap": f"{soap}/T/{{version}}/{org_id[:15]}",
                "tooling_rest": f"{data}/tooling/",
                "profile": f"{base}/{user_id}",
                "feeds": f"{data}/chatter/feeds",
                "groups": f"{data}/chatter/groups",
                "users": f"{data}/chatter/users",
                "feed_items": f"{data}/chatter/feed-items",
                "feed_elements": f"{data}/chatter/feed-elements",
                "custom_domain": base,
            },
            "active": True,
            "user_type": "STANDARD",
            "language": "en_US",
            "locale": "en_US",
            "utcOffset": -28800000,
            "updated_at": user["LastModifiedDate"],
            "is_app_installed": org["faults"].get("app_installed", True),
        }

    def revoke(self, request: Request) -> Response:
        token = request.form.get("token") or request.args.get("token")
        if not token:
            return oauth_error(
                "unsupported_token_type", "this token type is not supported"
            )
        if not self.storage.revoke_token(token):
            return oauth_error("invalid_token", "invalid token")
        logger.info("Revoked a token")
        return empty_response(200)
