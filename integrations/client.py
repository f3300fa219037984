"""The Salesforce REST client: the only module that speaks HTTP to Salesforce.

Every call goes through `SalesforceClient._send`. It applies the timeout and CA
bundle from settings, logs the call and reads API usage from the
Sforce-Limit-Info header. It refreshes the access token once when Salesforce
returns 401 INVALID_SESSION_ID, retries transient failures of requests that are
safe to repeat, and maps Salesforce error codes to the SalesforceError family
below. simple-salesforce builds the versioned base URL and the auth
headers. The client sends through its session itself because it needs the
status, timing and headers of every response, which `Salesforce.restful` drops.

API usage is written to the connection at most once every
USAGE_SAVE_INTERVAL_SECONDS per client, and `save_usage()` writes the latest
value at once (the export engine calls it when a run ends).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

import requests
from django.conf import settings
from django.db import transaction
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceError as SimpleSalesforceError
from simple_salesforce.util import exception_handler

from integrations.crypto import TokenDecryptionError
from integrations.models import TOKEN_FIELDS, SalesforceConnection

logger = logging.getLogger(__name__)

# sObject Collections accept at most 200 records per request.
COLLECTION_CHUNK_SIZE = 200
USAGE_SAVE_INTERVAL_SECONDS = 5.0
# OAuth errors at the token endpoint after which only a new authorization helps.
RECONNECT_OAUTH_ERRORS = frozenset({"invalid_grant", "inactive_user", "inactive_org"})
TRANSIENT_ERROR_CODES = frozenset({"UNABLE_TO_LOCK_ROW", "SERVER_UNAVAILABLE"})
# Requests whose repetition cannot duplicate data. A POST create is not one of
# them: its response may be lost after Salesforce saved the records.
REPEATABLE_METHODS = frozenset({"GET", "PATCH"})
QUERY_STRING = re.compile(r"\?[^\s)'\"]*")
# The daily usage item of Sforce-Limit-Info, in any position among items such
# as per-app-api-usage=17/250(appName=x) or api-bursts=1/750. simple-salesforce
# 1.12's parse_api_usage finds it only at the start of the header.
API_USAGE = re.compile(r"(?:^|[;,]\s*)api-usage=(?P<used>\d+)/(?P<max>\d+)")


@dataclass(frozen=True)
class RecordError:
    status_code: str
    message: str
    fields: tuple[str, ...]


@dataclass(frozen=True)
class RecordResult:
    """One record's outcome in an sObject Collections request."""

    success: bool
    id: str | None
    errors: tuple[RecordError, ...]


class SalesforceError(Exception):
    """A Salesforce call failed; `error_code` is Salesforce's errorCode.

    `partial_results` contains the results of the chunks of a create or update
    that Salesforce had already saved before a later chunk failed.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        error_code: str = "",
        fields: Sequence[str] = (),
    ):
        super().__init__(message)
        self.message = message
        self.status = status
        self.error_code = error_code
        self.fields = tuple(fields)
        self.partial_results: tuple[RecordResult, ...] = ()

    def __str__(self):
        prefix = f"{self.error_code}: " if self.error_code else ""
        suffix = f" (HTTP {self.status})" if self.status else ""
        return f"{prefix}{self.message}{suffix}"


class SalesforceAuthError(SalesforceError):
    """The account has no usable connection, or its tokens stopped working."""


class SalesforceLimitError(SalesforceError):
    """The org's API request limit is exhausted (403 REQUEST_LIMIT_EXCEEDED)."""


class SalesforceTransientError(SalesforceError):
    """A server error, timeout or lock conflict that persisted through retries."""


class SalesforceRequestError(SalesforceError):
    """Salesforce rejected the request itself (any other 4xx)."""


def ca_bundle() -> str | bool:
    """Return the `verify` value for requests to Salesforce.

    A relative SALESFORCE_CA_BUNDLE is taken relative to the project directory,
    so the same `.env` works from any working directory.
    """
    configured = settings.SALESFORCE_CA_BUNDLE
    if not configured:
        return True
    path = Path(configured)
    if not path.is_absolute():
        path = Path(settings.BASE_DIR) / path
    return str(path)


def new_session() -> requests.Session:
    """Return a session that verifies Salesforce with `ca_bundle()`.

    `trust_env = False` stops REQUESTS_CA_BUNDLE and CURL_CA_BUNDLE from
    replacing `Session.verify` (and proxy variables from applying).
    """
    session = requests.Session()
    session.trust_env = False
    session.verify = ca_bundle()
    return session


def _without_query(text: str) -> str:
    """Drop query strings from an error text; a SOQL query there contains emails."""
    return QUERY_STRING.sub("?…", text)


def _json_or_none(response: requests.Response):
    try:
        return response.json()
    except ValueError:
        return None


def _error_from_response(
    response: requests.Response,
) -> tuple[str, str, tuple[str, ...]]:
    """Return (errorCode, message, fields) from a REST or OAuth error body."""
    body = _json_or_none(response)
    if isinstance(body, list) and body and isinstance(body[0], dict):
        codes = [
            str(item.get("errorCode") or item.get("statusCode") or "") for item in body
        ]
        messages = [str(item.get("message", "")) for item in body]
        fields = tuple(
            str(field) for item in body for field in (item.get("fields") or ())
        )
        return codes[0], "; ".join(message for message in messages if message), fields
    if isinstance(body, dict) and "error" in body:
        return str(body["error"]), str(body.get("error_description", "")), ()
    description = _describe_non_json(response)
    return "", f"Expected a JSON error body but got {description}", ()


def _describe_non_json(response: requests.Response) -> str:
    """Describe a response body that is not JSON, quoting only short text.

    Proxies and maintenance pages send HTML, whose markup would bury the status.
    """
    text = (response.text or "").strip()
    if not text:
        return "an empty body"
    if "html" in response.headers.get("Content-Type", "") or text.startswith("<"):
        return "an HTML page"
    return repr(text[:300])


def _error_class(status: int, error_code: str) -> type[SalesforceError]:
    if error_code == "REQUEST_LIMIT_EXCEEDED":
        return SalesforceLimitError
    if error_code in TRANSIENT_ERROR_CODES or status >= 500 or status == 420:
        return SalesforceTransientError
    if status == 401:
        return SalesforceAuthError
    return SalesforceRequestError


def _raise_for_response(response: requests.Response, path: str):
    """Raise the SalesforceError for an error response, chained to simple-salesforce's."""
    error_code, message, fields = _error_from_response(response)
    error_class = _error_class(response.status_code, error_code)
    error = error_class(
        message, status=response.status_code, error_code=error_code, fields=fields
    )
    try:
        exception_handler(response, name=path)
    except SimpleSalesforceError as original:
        raise error from original


def _is_expired_session(response: requests.Response) -> bool:
    if response.status_code != 401:
        return False
    error_code, _, _ = _error_from_response(response)
    return error_code == "INVALID_SESSION_ID"


def _decode(response: requests.Response):
    """Return the JSON of a successful response, or raise its SalesforceError."""
    path = urlsplit(response.url or "").path
    if response.status_code >= 300:
        _raise_for_response(response, path)
    if not response.content:
        return None
    body = _json_or_none(response)
    if body is None:
        # The body came from a proxy, a captive portal or a maintenance page,
        # not from Salesforce, so the outcome is unknown, as for a lost response.
        raise SalesforceTransientError(
            f"Expected JSON from {path} but got {_describe_non_json(response)}",
            status=response.status_code,
        )
    return body


def _record_results(items: Sequence[Mapping]) -> list[RecordResult]:
    return [
        RecordResult(
            success=bool(item.get("success")),
            id=item.get("id"),
            errors=tuple(
                RecordError(
                    status_code=str(
                        error.get("statusCode") or error.get("errorCode") or ""
                    ),
                    message=str(error.get("message", "")),
                    fields=tuple(error.get("fields") or ()),
                )
                for error in item.get("errors") or ()
            ),
        )
        for item in items
    ]


def parse_limit_info(header: str) -> tuple[int, int] | None:
    """Return (used, max) from a Sforce-Limit-Info header, or None."""
    match = API_USAGE.search(header.strip())
    if match is None:
        return None
    return int(match["used"]), int(match["max"])


class SalesforceClient:
    """REST calls to one account's org, with refresh, retries and error mapping.

    `api_calls` counts REST requests sent (retries included); token refreshes
    are counted separately in `refresh_calls`. Call it outside a database
    transaction: a refreshed token or a needs-reconnect state is committed at
    once, and an outer transaction that rolls back would undo it.
    """

    max_attempts = 3
    backoff_base_seconds = 0.5
    backoff_max_seconds = 8.0

    def __init__(
        self,
        connection: SalesforceConnection,
        *,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        if session is None:
            session = new_session()
        self.connection = connection
        self.session = session
        self.api_calls = 0
        self.refresh_calls = 0
        self.api_usage: tuple[int, int] | None = None
        self._sleep = sleep
        self._usage_saved_at = 0.0
        self._usage_dirty = False
        self._sf = self._simple_salesforce()

    # --- public API ---------------------------------------------------------

    def query(self, soql: str, *, batch_size: int | None = None) -> list[dict]:
        """Run a SOQL query and return the records of every page."""
        headers = (
            {"Sforce-Query-Options": f"batchSize={batch_size}"} if batch_size else None
        )
        page = self._send("GET", "query/", params={"q": soql}, headers=headers)
        records = list(page.get("records", ()))
        while not page.get("done", True) and page.get("nextRecordsUrl"):
            page = self._send("GET", page["nextRecordsUrl"], headers=headers)
            records.extend(page.get("records", ()))
        return records

    def describe(self, sobject: str) -> dict:
        return self._send("GET", f"sobjects/{quote(sobject)}/describe/")

    def get(
        self, sobject: str, record_id: str, fields: Sequence[str] | None = None
    ) -> dict:
        params = {"fields": ",".join(fields)} if fields else None
        return self._send(
            "GET", f"sobjects/{quote(sobject)}/{quote(record_id)}", params=params
        )

    def limits(self) -> dict:
        return self._send("GET", "limits/")

    def create_records(
        self,
        records: Sequence[dict],
        *,
        all_or_none: bool = False,
        headers: Mapping[str, str] | None = None,
    ) -> list[RecordResult]:
        """Create records through sObject Collections, 200 per request, in order.

        A create is never re-sent on a transient failure (it may have been
        saved); SalesforceTransientError is raised and the caller looks up.
        """
        for record in records:
            if not record.get("attributes", {}).get("type"):
                raise ValueError(
                    "Every record needs attributes.type, e.g. "
                    '{"attributes": {"type": "Lead"}, ...}.'
                )
        return self._collections("POST", records, all_or_none, headers)

    def update_records(
        self,
        records: Sequence[dict],
        *,
        all_or_none: bool = False,
        headers: Mapping[str, str] | None = None,
    ) -> list[RecordResult]:
        """Update records (each with "id" and attributes.type), 200 per request."""
        for record in records:
            if not record.get("id") or not record.get("attributes", {}).get("type"):
                raise ValueError(
                    "Every record to update needs an id and attributes.type."
                )
        return self._collections("PATCH", records, all_or_none, headers)

    def save_usage(self):
        """Write the latest Sforce-Limit-Info usage to the connection now."""
        if self.api_usage is None or not self._usage_dirty:
            return
        used, maximum = self.api_usage
        SalesforceConnection.objects.filter(pk=self.connection.pk).update(
            api_usage_used=used, api_usage_max=maximum
        )
        self.connection.api_usage_used = used
        self.connection.api_usage_max = maximum
        self._usage_saved_at = time.monotonic()
        self._usage_dirty = False

    # --- the request path ---------------------------------------------------

    def _collections(self, method, records, all_or_none, headers):
        if all_or_none and len(records) > COLLECTION_CHUNK_SIZE:
            raise ValueError(
                f"all_or_none covers one request of at most {COLLECTION_CHUNK_SIZE} "
                f"records, but {len(records)} were given; send smaller batches."
            )
        results: list[RecordResult] = []
        for start in range(0, len(records), COLLECTION_CHUNK_SIZE):
            chunk = list(records[start : start + COLLECTION_CHUNK_SIZE])
            body = {"allOrNone": all_or_none, "records": chunk}
            try:
                items = self._send(
                    method, "composite/sobjects", json=body, headers=headers
                )
            except SalesforceError as error:
                error.partial_results = tuple(results)
                raise
            if not isinstance(items, list) or len(items) != len(chunk):
                error = SalesforceTransientError(
                    f"sObject Collections returned {len(items or ())} results for "
                    f"{len(chunk)} records; look the records up before retrying."
                )
                error.partial_results = tuple(results)
                raise error
            results.extend(_record_results(items))
        return results

    def _url(self, path: str) -> str:
        if path.startswith("/"):
            # nextRecordsUrl and other server-given paths are absolute.
            parts = urlsplit(self._sf.base_url)
            return f"{parts.scheme}://{parts.netloc}{path}"
        return self._sf.base_url + path

    def _send(self, method: str, path: str, **kwargs):
        """Send one REST request and return its decoded JSON (None when empty)."""
        url = self._url(path)
        repeatable = method in REPEATABLE_METHODS
        refresh_due = refreshed = False
        attempt = 1
        while True:
            try:
                if refresh_due:
                    # A retry after a failed refresh retries the refresh, not
                    # the request that the old token already failed.
                    self._refresh_access_token(rejected_token=self._sf.session_id)
                    refresh_due, refreshed = False, True
                response = self._send_once(method, url, **kwargs)
                if _is_expired_session(response) and not refreshed:
                    # A 401 means Salesforce did not process the request, so
                    # even a create is safe to send again with the new token.
                    refresh_due = True
                    continue
                return _decode(response)
            except SalesforceTransientError as error:
                # While a refresh is due, the request itself was not processed.
                if not (repeatable or refresh_due) or attempt >= self.max_attempts:
                    self._log_failure(method, url, error, attempt)
                    raise
                self._back_off(method, url, error, attempt)
                attempt += 1
            except (SalesforceAuthError, SalesforceLimitError) as error:
                self._log_failure(method, url, error, attempt)
                raise

    def _back_off(self, method, url, error, attempt):
        delay = min(
            self.backoff_base_seconds * 2 ** (attempt - 1),
            self.backoff_max_seconds,
        )
        logger.warning(
            "Salesforce %s %s failed (%s); retry %d of %d in %.1f s",
            method,
            urlsplit(url).path,
            error,
            attempt,
            self.max_attempts - 1,
            delay,
            extra=self._log_ids(),
        )
        self._sleep(delay)

    def _send_once(self, method: str, url: str, **kwargs) -> requests.Response:
        extra_headers = kwargs.pop("headers", None) or {}
        headers = {**self._sf.headers, **extra_headers}
        headers.pop("X-PrettyPrint", None)
        self.api_calls += 1
        started = time.monotonic()
        try:
            response = self.session.request(
                method,
                url,
                headers=headers,
                timeout=settings.SALESFORCE_TIMEOUT_SECONDS,
                verify=ca_bundle(),
                # The REST API does not redirect. Following a redirect would
                # resend the body, customer data included, to another host.
                allow_redirects=False,
                **kwargs,
            )
        except requests.RequestException as error:
            logger.info(
                "Salesforce %s %s -> no response after %d ms",
                method,
                urlsplit(url).path,
                (time.monotonic() - started) * 1000,
                extra=self._log_ids(),
            )
            raise SalesforceTransientError(
                f"{method} {urlsplit(url).path} got no response: "
                f"{type(error).__name__}: {_without_query(str(error))}"
            ) from error
        logger.info(
            "Salesforce %s %s -> %s in %d ms",
            method,
            urlsplit(url).path,
            response.status_code,
            (time.monotonic() - started) * 1000,
            extra=self._log_ids(),
        )
        self._note_usage(response.headers.get("Sforce-Limit-Info"))
        return response

    def _note_usage(self, header: str | None):
        usage = parse_limit_info(header) if header else None
        if usage is None:
            return
        self.api_usage = usage
        self._usage_dirty = True
        if time.monotonic() - self._usage_saved_at >= USAGE_SAVE_INTERVAL_SECONDS:
            self.save_usage()

    def _log_ids(self) -> dict:
        return {
            "connection_id": self.connection.pk,
            "account_id": self.connection.account_id,
            "org_id": self.connection.org_id,
        }

    def _log_failure(self, method, url, failure, attempts):
        logger.error(
            "Salesforce %s %s failed after %d attempt(s): %s",
            method,
            urlsplit(url).path,
            attempts,
            failure,
            extra=self._log_ids(),
        )

    # --- token refresh ------------------------------------------------------

    def _simple_salesforce(self) -> Salesforce:
        # simple-salesforce builds every URL as https://{host}[:port]/services/...
        return Salesforce(
            instance_url=self.connection.instance_url,
            session_id=self.connection.access_token,
            session=self.session,
            version=settings.SALESFORCE_API_VERSION,
        )

    def _use_access_token(self, access_token: str, instance_url: str):
        self.connection.access_token = access_token
        self.connection.instance_url = instance_url
        self._sf = self._simple_salesforce()

    def _refresh_access_token(self, *, rejected_token: str):
        """Replace the rejected access token, once per connection at a time.

        The row lock serialises refreshes across workers; a worker that waited
        finds a token other than the one rejected and uses it without calling.
        """
        failure: SalesforceError | None = None
        # NOTE: on SQLite, whose transactions here begin IMMEDIATE, this holds
        # the database write lock for the whole token request, up to
        # SALESFORCE_TIMEOUT_SECONDS. PostgreSQL locks only this row.
        with transaction.atomic():
            connection = SalesforceConnection.objects.select_for_update().get(
                pk=self.connection.pk
            )
            try:
                connection.refresh_from_db(fields=TOKEN_FIELDS)
            except TokenDecryptionError as error:
                # Another worker stored a token under a key this one lacks.
                raise SalesforceAuthError(
                    str(error), error_code="TOKEN_UNREADABLE"
                ) from error
            if connection.state != SalesforceConnection.State.CONNECTED:
                failure = _not_connected_error(connection)
            elif connection.access_token and connection.access_token != rejected_token:
                self._use_access_token(connection.access_token, connection.instance_url)
                logger.info(
                    "Salesforce access token was already refreshed by another worker",
                    extra=self._log_ids(),
                )
                return
            else:
                try:
                    token = self._request_refreshed_token(connection)
                except SalesforceError as error:
                    if error.error_code in RECONNECT_OAUTH_ERRORS:
                        self._mark_needs_reconnect(connection, error)
                    failure = error
                else:
                    connection.access_token = token["access_token"]
                    connection.instance_url = (
                        token.get("instance_url") or connection.instance_url
                    )
                    update_fields = ["access_token", "instance_url", "updated_at"]
                    if token.get("refresh_token"):
                        # Refresh-token rotation is on: the old one is now invalid.
                        connection.refresh_token = token["refresh_token"]
                        update_fields.append("refresh_token")
                    connection.save(update_fields=update_fields)
                    self._use_access_token(
                        connection.access_token, connection.instance_url
                    )
                    self.connection.refresh_token = connection.refresh_token
        if failure is not None:
            raise failure

    def _mark_needs_reconnect(self, connection, error):
        connection.state = SalesforceConnection.State.NEEDS_RECONNECT
        connection.last_error = (
            f"Refreshing the access token failed with {error}. An admin must "
            "reconnect Salesforce in Settings → Integrations → Salesforce."
        )
        connection.save(update_fields=["state", "last_error", "updated_at"])
        self.connection.state = connection.state
        self.connection.last_error = connection.last_error

    def _request_refreshed_token(self, connection: SalesforceConnection) -> dict:
        if not connection.refresh_token:
            raise SalesforceAuthError(
                "The connection has no refresh token; reconnect Salesforce.",
                error_code="invalid_grant",
            )
        self.refresh_calls += 1
        return request_token(
            connection.login_url,
            {
                "grant_type": "refresh_token",
                "refresh_token": connection.refresh_token,
                "client_id": settings.SALESFORCE_CLIENT_ID,
                "client_secret": settings.SALESFORCE_CLIENT_SECRET,
            },
            session=self.session,
            log_extra=self._log_ids(),
        )


def _oauth_url(login_url: str, endpoint: str) -> str:
    return f"{login_url.rstrip('/')}/services/oauth2/{endpoint}"


def _oauth_request(
    method: str,
    url: str,
    *,
    session: requests.Session | None,
    log_extra: Mapping | None = None,
    **kwargs,
) -> requests.Response:
    """Send one request to an OAuth endpoint of the login host and log it.

    Raises SalesforceTransientError when no response arrives.
    """
    session = session or new_session()
    path = urlsplit(url).path
    started = time.monotonic()
    try:
        response = session.request(
            method,
            url,
            timeout=settings.SALESFORCE_TIMEOUT_SECONDS,
            verify=ca_bundle(),
            # A redirect would carry the form, with the refresh token and the
            # client secret, to whichever host the Location header names.
            allow_redirects=False,
            **kwargs,
        )
    except requests.RequestException as error:
        raise SalesforceTransientError(
            f"{method} {url} got no response: {type(error).__name__}: {error}"
        ) from error
    logger.info(
        "Salesforce %s %s -> %s in %d ms",
        method,
        path,
        response.status_code,
        (time.monotonic() - started) * 1000,
        extra=dict(log_extra or {}),
    )
    return response


def _oauth_error(response: requests.Response, summary: str) -> SalesforceError:
    """Return the error for a failed OAuth response, with its OAuth `error` code.

    A server error, or a success whose body is not JSON, is transient. Any
    other failure is a SalesforceAuthError.
    """
    error_code, message, _ = _error_from_response(response)
    transient = response.status_code >= 500 or (
        response.status_code < 300 and _json_or_none(response) is None
    )
    error_class = SalesforceTransientError if transient else SalesforceAuthError
    return error_class(
        f"{summary}: {message or 'no description'}",
        status=response.status_code,
        error_code=error_code,
    )


def request_token(
    login_url: str,
    form: Mapping[str, str],
    *,
    session: requests.Session | None = None,
    log_extra: Mapping | None = None,
) -> dict:
    """POST a grant to the login host's token endpoint and return its JSON.

    Raises SalesforceAuthError with the OAuth `error` as error_code when
    Salesforce rejects the grant, SalesforceTransientError when it fails.
    """
    url = _oauth_url(login_url, "token")
    response = _oauth_request(
        "POST",
        url,
        session=session,
        log_extra=log_extra,
        data=dict(form),
        headers={"Accept": "application/json"},
    )
    body = _json_or_none(response)
    if (
        response.status_code == 200
        and isinstance(body, dict)
        and "access_token" in body
    ):
        return body
    raise _oauth_error(
        response,
        f"The token endpoint {url} rejected the {form.get('grant_type')} grant",
    )


def fetch_userinfo(
    login_url: str, access_token: str, *, session: requests.Session | None = None
) -> dict:
    """Return the OpenID userinfo of the user who authorized the access token.

    Raises SalesforceAuthError when Salesforce rejects the token,
    SalesforceTransientError when the request fails or times out.
    """
    url = _oauth_url(login_url, "userinfo")
    # The token goes in the header, not in ?oauth_token=, so that it never
    # appears in a URL that proxies or access logs record.
    response = _oauth_request(
        "GET",
        url,
        session=session,
        headers={"Authorization": f"Bearer {access_token}"},
    )
    body = _json_or_none(response)
    if response.status_code == 200 and isinstance(body, dict):
        return body
    raise _oauth_error(response, f"{url} rejected the access token")


def revoke_token(
    login_url: str, token: str, *, session: requests.Session | None = None
):
    """Revoke a refresh or access token at the login host.

    Raises SalesforceAuthError when Salesforce rejects the token (already
    revoked or unknown), SalesforceTransientError when the request fails.
    """
    url = _oauth_url(login_url, "revoke")
    response = _oauth_request("POST", url, session=session, data={"token": token})
    if response.status_code == 200:
        return
    raise _oauth_error(response, f"{url} did not revoke the token")


def _not_connected_error(connection: SalesforceConnection | None, account=None):
    if connection is None:
        return SalesforceAuthError(
            f"Account {account.slug!r} has no Salesforce connection; connect one in "
            "Settings → Integrations → Salesforce.",
            error_code="NOT_CONNECTED",
        )
    state = connection.get_state_display()
    detail = f" Last error: {connection.last_error}" if connection.last_error else ""
    return SalesforceAuthError(
        f"The Salesforce connection of account {connection.account.slug!r} is in "
        f"state '{state}'; reconnect it in Settings → Integrations → Salesforce."
        f"{detail}",
        error_code=connection.state.upper(),
    )


def client_for_account(account, **kwargs) -> SalesforceClient:
    """Return a client for the account's connected org.

    Raises SalesforceAuthError naming the state when there is no usable connection.
    """
    connection = (
        SalesforceConnection.objects.select_related("account")
        .filter(account=account)
        .first()
    )
    if connection is None or not connection.is_usable:
        raise _not_connected_error(connection, account)
    try:
        connection.refresh_from_db(fields=TOKEN_FIELDS)
    except TokenDecryptionError as error:
        raise SalesforceAuthError(str(error), error_code="TOKEN_UNREADABLE") from error
    if not connection.access_token or not connection.instance_url:
        raise SalesforceAuthError(
            f"The Salesforce connection of account {account.slug!r} has no stored "
            "access token; reconnect it in Settings → Integrations → Salesforce.",
            error_code="NOT_CONNECTED",
        )
    return SalesforceClient(connection, **kwargs)
