"""The Salesforce client against exact Salesforce replies, mocked with responses."""

import json
import logging

import pytest
import requests
import responses
from responses import matchers

from integrations.client import (
    RecordError,
    RecordResult,
    SalesforceAuthError,
    SalesforceClient,
    SalesforceLimitError,
    SalesforceRequestError,
    SalesforceTransientError,
    client_for_account,
    parse_limit_info,
    revoke_token,
)
from integrations.models import SalesforceConnection

INSTANCE = "https://acme.my.salesforce.com"
LOGIN = "https://login.salesforce.com"
API = f"{INSTANCE}/services/data/v62.0"
TOKEN_URL = f"{LOGIN}/services/oauth2/token"

pytestmark = pytest.mark.django_db


@pytest.fixture
def connection(account, settings):
    settings.SALESFORCE_API_VERSION = "62.0"
    settings.SALESFORCE_CLIENT_ID = "client-id"
    settings.SALESFORCE_CLIENT_SECRET = "client-secret"
    settings.SALESFORCE_CA_BUNDLE = ""
    return SalesforceConnection.objects.create(
        account=account,
        org_id="00D000000000001EAA",
        instance_url=INSTANCE,
        login_url=LOGIN,
        salesforce_user_id="005000000000001AAA",
        access_token="old-access",
        refresh_token="the-refresh",
    )


@pytest.fixture
def mocked():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


@pytest.fixture
def sleeps():
    return []


@pytest.fixture
def client(connection, sleeps):
    return SalesforceClient(connection, sleep=sleeps.append)


def error_body(code, message, fields=None):
    item = {"message": message, "errorCode": code}
    if fields is not None:
        item["fields"] = fields
    return [item]


ERROR_TABLE = [
    (400, "INVALID_FIELD", SalesforceRequestError),
    (400, "MALFORMED_QUERY", SalesforceRequestError),
    (400, "INSUFFICIENT_ACCESS_OR_READONLY", SalesforceRequestError),
    (403, "INSUFFICIENT_ACCESS_OR_READONLY", SalesforceRequestError),
    (404, "NOT_FOUND", SalesforceRequestError),
    (403, "REQUEST_LIMIT_EXCEEDED", SalesforceLimitError),
]


@pytest.mark.parametrize(("status", "code", "expected"), ERROR_TABLE)
def test_error_codes_map_to_family(mocked, client, status, code, expected):
    mocked.get(
        f"{API}/sobjects/Lead/describe/",
        status=status,
        json=error_body(code, f"{code} happened", ["Email"]),
    )

    with pytest.raises(expected) as raised:
        client.describe("Lead")

    assert raised.value.error_code == code
    assert raised.value.status == status
    assert raised.value.message == f"{code} happened"
    assert raised.value.fields == ("Email",)
    assert raised.value.__cause__ is not None


def test_limit_error_is_not_retried(mocked, client, sleeps):
    mocked.get(
        f"{API}/limits/",
        status=403,
        json=error_body("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."),
    )

    with pytest.raises(SalesforceLimitError, match="TotalRequests Limit exceeded"):
        client.limits()

    assert sleeps == []
    assert client.api_calls == 1


def test_query_reads_every_page(mocked, client):
    soql = "SELECT Id FROM Lead WHERE Email = 'a@example.com'"
    mocked.get(
        f"{API}/query/",
        match=[matchers.query_param_matcher({"q": soql})],
        json={
            "totalSize": 3,
            "done": False,
            "nextRecordsUrl": "/services/data/v62.0/query/01gD0000002HU6KIAW-2",
            "records": [{"Id": "00Q1"}, {"Id": "00Q2"}],
        },
    )
    mocked.get(
        f"{API}/query/01gD0000002HU6KIAW-2",
        json={"totalSize": 3, "done": True, "records": [{"Id": "00Q3"}]},
    )

    records = client.query(soql)

    assert [record["Id"] for record in records] == ["00Q1", "00Q2", "00Q3"]
    assert client.api_calls == 2


def test_query_logs_path_without_values(mocked, client, caplog):
    mocked.get(f"{API}/query/", json={"totalSize": 0, "done": True, "records": []})

    with caplog.at_level(logging.INFO, logger="integrations.client"):
        client.query("SELECT Id FROM Lead WHERE Email = 'secret@example.com'")

    [record] = caplog.records
    assert record.getMessage().startswith(
        "Salesforce GET /services/data/v62.0/query/ -> 200 in "
    )
    assert "secret" not in record.getMessage()
    assert "old-access" not in record.getMessage()
    assert record.org_id == "00D000000000001EAA"


def test_create_records_partial_failure(mocked, client):
    records = [
        {"attributes": {"type": "Lead"}, "LastName": "Ok", "Company": "A"},
        {"attributes": {"type": "Lead"}, "LastName": "Dup", "Company": "B"},
    ]
    mocked.post(
        f"{API}/composite/sobjects",
        match=[
            matchers.json_params_matcher({"allOrNone": False, "records": records}),
            matchers.header_matcher({"Sforce-Duplicate-Rule-Header": "allowSave=true"}),
        ],
        json=[
            {"id": "00Q000000000001AAA", "success": True, "errors": []},
            {
                "success": False,
                "errors": [
                    {
                        "statusCode": "DUPLICATES_DETECTED",
                        "message": "Use one of these records?",
                        "fields": [],
                    }
                ],
            },
        ],
    )

    results = client.create_records(
        records, headers={"Sforce-Duplicate-Rule-Header": "allowSave=true"}
    )

    assert results == [
        RecordResult(success=True, id="00Q000000000001AAA", errors=()),
        RecordResult(
            success=False,
            id=None,
            errors=(
                RecordError(
                    status_code="DUPLICATES_DETECTED",
                    message="Use one of these records?",
                    fields=(),
                ),
            ),
        ),
    ]


def test_create_records_chunks_of_200_in_order(mocked, client):
    records = [
        {"attributes": {"type": "Contact"}, "LastName": f"n{index}"}
        for index in range(450)
    ]
    sizes = []

    def reply(request):
        body = json.loads(request.body)
        sizes.append(len(body["records"]))
        results = [
            {"id": record["LastName"], "success": True, "errors": []}
            for record in body["records"]
        ]
        return 200, {}, json.dumps(results)

    mocked.add_callback(responses.POST, f"{API}/composite/sobjects", callback=reply)

    results = client.create_records(records)

    assert sizes == [200, 200, 50]
    assert [result.id for result in results] == [f"n{index}" for index in range(450)]


def test_create_records_rejects_missing_type(client):
    with pytest.raises(ValueError, match="attributes.type"):
        client.create_records([{"LastName": "x"}])


def test_update_records_requires_id(client):
    with pytest.raises(ValueError, match="id"):
        client.update_records([{"attributes": {"type": "Lead"}, "Status": "Open"}])


def test_limit_info_parsed_and_saved(mocked, client, connection):
    mocked.get(
        f"{API}/limits/",
        json={"DailyApiRequests": {"Max": 15000, "Remaining": 14958}},
        headers={"Sforce-Limit-Info": "api-usage=42/15000"},
    )

    client.limits()

    assert client.api_usage == (42, 15000)
    connection.refresh_from_db()
    assert connection.api_usage_used == 42
    assert connection.api_usage_max == 15000


def test_limit_info_written_at_most_every_few_seconds(mocked, client, connection):
    for used in (1, 2, 3):
        mocked.get(
            f"{API}/limits/",
            json={},
            headers={"Sforce-Limit-Info": f"api-usage={used}/100"},
        )
    client.limits()
    client.limits()
    client.limits()

    connection.refresh_from_db()
    assert connection.api_usage_used == 1
    assert client.api_usage == (3, 100)

    client.save_usage()

    connection.refresh_from_db()
    assert connection.api_usage_used == 3


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("api-usage=18/5000", (18, 5000)),
        ("api-usage=25/5000; per-app-api-usage=17/250(appName=sample)", (25, 5000)),
        ("api-usage=1/750; api-bursts=1/750", (1, 750)),
        ("api-bursts=1/750; api-usage=18/5000", (18, 5000)),
        ("per-app-api-usage=17/250(appName=sample); api-usage=25/5000", (25, 5000)),
        (" api-usage=7/15000", (7, 15000)),
        ("per-app-api-usage=17/250(appName=sample)", None),
        ("garbage", None),
    ],
)
def test_parse_limit_info(header, expected):
    assert parse_limit_info(header) == expected


def test_expired_session_refreshes_then_retries(mocked, client, connection):
    mocked.get(
        f"{API}/sobjects/Lead/describe/",
        status=401,
        json=error_body("INVALID_SESSION_ID", "Session expired or invalid"),
        match=[matchers.header_matcher({"Authorization": "Bearer old-access"})],
    )
    mocked.post(
        TOKEN_URL,
        match=[
            matchers.urlencoded_params_matcher(
                {
                    "grant_type": "refresh_token",
                    "refresh_token": "the-refresh",
                    "client_id": "client-id",
                    "client_secret": "client-secret",
                }
            )
        ],
        json={
            "access_token": "new-access",
            "instance_url": INSTANCE,
            "id": f"{LOGIN}/id/00D000000000001EAA/005000000000001AAA",
            "token_type": "Bearer",
            "issued_at": "1676372418560",
        },
    )
    mocked.get(
        f"{API}/sobjects/Lead/describe/",
        json={"name": "Lead"},
        match=[matchers.header_matcher({"Authorization": "Bearer new-access"})],
    )

    assert client.describe("Lead") == {"name": "Lead"}

    assert client.api_calls == 2
    assert client.refresh_calls == 1
    connection.refresh_from_db()
    assert connection.access_token == "new-access"
    assert connection.refresh_token == "the-refresh"


def test_refresh_keeps_rotated_refresh_token(mocked, client, connection):
    mocked.get(
        f"{API}/limits/",
        status=401,
        json=error_body("INVALID_SESSION_ID", "Session expired or invalid"),
    )
    mocked.post(
        TOKEN_URL,
        json={"access_token": "new-access", "refresh_token": "rotated"},
    )
    mocked.get(f"{API}/limits/", json={})

    client.limits()

    connection.refresh_from_db()
    assert connection.refresh_token == "rotated"


def test_refresh_uses_token_another_worker_stored(mocked, client, connection):
    SalesforceConnection.objects.filter(pk=connection.pk).update(
        access_token="fresh-from-other-worker"
    )
    mocked.get(
        f"{API}/limits/",
        status=401,
        json=error_body("INVALID_SESSION_ID", "Session expired or invalid"),
        match=[matchers.header_matcher({"Authorization": "Bearer old-access"})],
    )
    mocked.get(
        f"{API}/limits/",
        json={},
        match=[
            matchers.header_matcher({"Authorization": "Bearer fresh-from-other-worker"})
        ],
    )

    client.limits()

    assert client.refresh_calls == 0


def test_create_resent_after_refresh(mocked, client):
    records = [{"attributes": {"type": "Lead"}, "LastName": "x", "Company": "y"}]
    mocked.post(
        f"{API}/composite/sobjects",
        status=401,
        json=error_body("INVALID_SESSION_ID", "Session expired or invalid"),
    )
    mocked.post(TOKEN_URL, json={"access_token": "new-access"})
    mocked.post(
        f"{API}/composite/sobjects",
        json=[{"id": "00Q000000000001AAA", "success": True, "errors": []}],
    )

    [result] = client.create_records(records)

    assert result.success


def test_invalid_grant_marks_needs_reconnect(mocked, client, connection, caplog):
    mocked.get(
        f"{API}/limits/",
        status=401,
        json=error_body("INVALID_SESSION_ID", "Session expired or invalid"),
    )
    mocked.post(
        TOKEN_URL,
        status=400,
        json={
            "error": "invalid_grant",
            "error_description": "expired access/refresh token",
        },
    )

    with caplog.at_level(logging.ERROR, logger="integrations.client"):
        with pytest.raises(SalesforceAuthError) as raised:
            client.limits()

    assert raised.value.error_code == "invalid_grant"
    connection.refresh_from_db()
    assert connection.state == SalesforceConnection.State.NEEDS_RECONNECT
    assert "expired access/refresh token" in connection.last_error
    assert "the-refresh" not in caplog.text
    assert "old-access" not in caplog.text
    with pytest.raises(SalesforceAuthError, match="needs reconnect"):
        client_for_account(connection.account)


def test_second_expired_session_is_auth_error(mocked, client):
    expired = error_body("INVALID_SESSION_ID", "Session expired or invalid")
    mocked.get(f"{API}/limits/", status=401, json=expired)
    mocked.post(TOKEN_URL, json={"access_token": "new-access"})
    mocked.get(f"{API}/limits/", status=401, json=expired)

    with pytest.raises(SalesforceAuthError) as raised:
        client.limits()

    assert raised.value.error_code == "INVALID_SESSION_ID"
    assert client.refresh_calls == 1


def test_get_retries_transient_errors_with_backoff(mocked, client, sleeps, caplog):
    mocked.get(
        f"{API}/sobjects/Lead/00Q000000000001AAA",
        status=503,
        json=error_body("SERVER_UNAVAILABLE", "Server temporarily unavailable."),
    )
    mocked.get(
        f"{API}/sobjects/Lead/00Q000000000001AAA",
        body=requests.ConnectionError("connection reset"),
    )
    mocked.get(
        f"{API}/sobjects/Lead/00Q000000000001AAA",
        match=[matchers.query_param_matcher({"fields": "Id,Email"})],
        json={"Id": "00Q000000000001AAA"},
    )

    with caplog.at_level(logging.WARNING, logger="integrations.client"):
        record = client.get("Lead", "00Q000000000001AAA", ["Id", "Email"])

    assert record == {"Id": "00Q000000000001AAA"}
    assert sleeps == [0.5, 1.0]
    assert [r.levelname for r in caplog.records] == ["WARNING", "WARNING"]


def test_get_gives_up_after_max_attempts(mocked, client, sleeps, caplog):
    for _ in range(3):
        mocked.get(
            f"{API}/limits/",
            status=400,
            json=error_body(
                "UNABLE_TO_LOCK_ROW", "unable to obtain exclusive access to this record"
            ),
        )

    with caplog.at_level(logging.WARNING, logger="integrations.client"):
        with pytest.raises(SalesforceTransientError) as raised:
            client.limits()

    assert raised.value.error_code == "UNABLE_TO_LOCK_ROW"
    assert client.api_calls == 3
    assert len(sleeps) == 2
    assert caplog.records[-1].levelname == "ERROR"


def test_create_is_never_resent_on_transient_error(mocked, client, sleeps):
    mocked.post(
        f"{API}/composite/sobjects",
        status=502,
        body="<html>Bad Gateway</html>",
    )

    with pytest.raises(SalesforceTransientError):
        client.create_records(
            [{"attributes": {"type": "Lead"}, "LastName": "x", "Company": "y"}]
        )

    assert client.api_calls == 1
    assert sleeps == []


def test_connection_error_hides_query(mocked, client):
    for _ in range(3):
        mocked.get(
            f"{API}/query/",
            body=requests.ConnectionError(
                "Max retries exceeded with url: /services/data/v62.0/query/"
                "?q=SELECT+Id+FROM+Lead+WHERE+Email+%3D+%27ada%40example.com%27 "
                "(Caused by NewConnectionError)"
            ),
        )

    with pytest.raises(SalesforceTransientError) as raised:
        client.query("SELECT Id FROM Lead WHERE Email = 'ada@example.com'")

    assert "ada" not in str(raised.value)
    assert "/services/data/v62.0/query/?…" in str(raised.value)


def test_create_timeout_is_not_resent(mocked, client, sleeps):
    mocked.post(
        f"{API}/composite/sobjects", body=requests.ReadTimeout("read timed out")
    )

    with pytest.raises(SalesforceTransientError) as raised:
        client.create_records(
            [{"attributes": {"type": "Lead"}, "LastName": "x", "Company": "y"}]
        )

    assert isinstance(raised.value.__cause__, requests.ReadTimeout)
    assert sleeps == []


def test_failed_later_chunk_keeps_earlier_results(mocked, client):
    records = [
        {"attributes": {"type": "Lead"}, "LastName": f"n{index}", "Company": "c"}
        for index in range(201)
    ]
    mocked.post(
        f"{API}/composite/sobjects",
        json=[
            {"id": f"id{index}", "success": True, "errors": []} for index in range(200)
        ],
    )
    mocked.post(f"{API}/composite/sobjects", status=500, json=[])

    with pytest.raises(SalesforceTransientError) as raised:
        client.create_records(records)

    assert len(raised.value.partial_results) == 200


def test_update_is_retried(mocked, client, sleeps):
    records = [{"attributes": {"type": "Lead"}, "id": "00Q1", "Status": "Working"}]
    mocked.patch(f"{API}/composite/sobjects", status=503, body="")
    mocked.patch(
        f"{API}/composite/sobjects",
        json=[{"id": "00Q1", "success": True, "errors": []}],
    )

    [result] = client.update_records(records)

    assert result.success
    assert sleeps == [0.5]


def test_all_or_none_over_200_rejected(client):
    records = [{"attributes": {"type": "Lead"}, "LastName": "x"}] * 201
    with pytest.raises(ValueError, match="at most 200"):
        client.create_records(records, all_or_none=True)


def test_client_for_account_without_connection(account):
    with pytest.raises(SalesforceAuthError, match="no Salesforce connection"):
        client_for_account(account)


def test_client_for_disconnected_account(connection):
    connection.state = SalesforceConnection.State.DISCONNECTED
    connection.save()

    with pytest.raises(SalesforceAuthError, match="disconnected") as raised:
        client_for_account(connection.account)

    assert raised.value.error_code == "DISCONNECTED"


def test_session_ignores_ca_environment(connection, settings, tmp_path, monkeypatch):
    bundle = tmp_path / "ca.pem"
    bundle.write_text("not used")
    settings.SALESFORCE_CA_BUNDLE = str(bundle)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")

    client = SalesforceClient(connection)
    settings_used = client.session.merge_environment_settings(
        INSTANCE, {}, None, client.session.verify, None
    )

    assert client.session.trust_env is False
    assert settings_used["verify"] == str(bundle)


EXPIRED = error_body("INVALID_SESSION_ID", "Session expired or invalid")
GATEWAY_PAGE = "<html><body><h1>502 Bad Gateway</h1></body></html>"


def test_failed_refresh_retries_refresh_only(mocked, client, connection, sleeps):
    mocked.get(f"{API}/limits/", status=401, json=EXPIRED)
    mocked.post(TOKEN_URL, status=500, body=GATEWAY_PAGE, content_type="text/html")
    mocked.post(TOKEN_URL, json={"access_token": "new-access"})
    mocked.get(
        f"{API}/limits/",
        json={},
        match=[matchers.header_matcher({"Authorization": "Bearer new-access"})],
    )

    assert client.limits() == {}

    assert client.api_calls == 2
    assert client.refresh_calls == 2
    assert sleeps == [0.5]


def test_create_resent_after_failed_refresh(mocked, client, sleeps):
    records = [{"attributes": {"type": "Lead"}, "LastName": "x", "Company": "y"}]
    mocked.post(f"{API}/composite/sobjects", status=401, json=EXPIRED)
    mocked.post(TOKEN_URL, body=requests.ConnectionError("connection refused"))
    mocked.post(TOKEN_URL, json={"access_token": "new-access"})
    mocked.post(
        f"{API}/composite/sobjects",
        json=[{"id": "00Q000000000001AAA", "success": True, "errors": []}],
        match=[matchers.header_matcher({"Authorization": "Bearer new-access"})],
    )

    [result] = client.create_records(records)

    assert result.success
    assert sleeps == [0.5]


def test_refresh_server_error_keeps_connection(mocked, client, connection, caplog):
    mocked.get(f"{API}/limits/", status=401, json=EXPIRED)
    for _ in range(3):
        mocked.post(TOKEN_URL, status=500, body=GATEWAY_PAGE, content_type="text/html")

    with caplog.at_level(logging.INFO, logger="integrations.client"):
        with pytest.raises(SalesforceTransientError) as raised:
            client.limits()

    assert raised.value.status == 500
    assert "HTML page" in str(raised.value)
    assert "<html>" not in str(raised.value)
    assert "<html>" not in caplog.text
    connection.refresh_from_db()
    assert connection.state == SalesforceConnection.State.CONNECTED
    assert connection.last_error == ""
    assert connection.access_token == "old-access"


def test_html_success_is_transient(mocked, client, sleeps):
    for _ in range(3):
        mocked.get(
            f"{API}/query/", body="<html>Maintenance</html>", content_type="text/html"
        )

    with pytest.raises(SalesforceTransientError) as raised:
        client.query("SELECT Id FROM Lead")

    assert raised.value.status == 200
    assert "Expected JSON from /services/data/v62.0/query/" in str(raised.value)
    assert "an HTML page" in str(raised.value)
    assert len(sleeps) == 2


def test_html_error_body_not_quoted(mocked, client):
    mocked.post(
        f"{API}/composite/sobjects",
        status=502,
        body=GATEWAY_PAGE,
        content_type="text/html",
    )

    with pytest.raises(SalesforceTransientError) as raised:
        client.create_records(
            [{"attributes": {"type": "Lead"}, "LastName": "x", "Company": "y"}]
        )

    assert raised.value.message == "Expected a JSON error body but got an HTML page"


def test_rest_redirect_not_followed(mocked, client):
    mocked.get(
        f"{API}/limits/",
        status=307,
        headers={"Location": "https://elsewhere.example/limits"},
    )

    with pytest.raises(SalesforceRequestError) as raised:
        client.limits()

    assert raised.value.status == 307
    assert [call.request.url for call in mocked.calls] == [f"{API}/limits/"]


def test_token_redirect_not_followed(mocked, client, connection):
    mocked.get(f"{API}/limits/", status=401, json=EXPIRED)
    mocked.post(
        TOKEN_URL,
        status=307,
        headers={"Location": "https://elsewhere.example/token"},
    )

    with pytest.raises(SalesforceAuthError):
        client.limits()

    assert [call.request.url for call in mocked.calls] == [
        f"{API}/limits/",
        TOKEN_URL,
    ]


def test_revoke_logs_call_without_token(mocked, settings, caplog):
    settings.SALESFORCE_CA_BUNDLE = ""
    mocked.post(f"{LOGIN}/services/oauth2/revoke", body="")

    with caplog.at_level(logging.INFO, logger="integrations.client"):
        revoke_token(LOGIN, "the-refresh")

    [record] = caplog.records
    assert record.getMessage().startswith(
        "Salesforce POST /services/oauth2/revoke -> 200 in "
    )
    assert "the-refresh" not in caplog.text
