"""API usage accounting and the faults tests switch on through the control API."""

import time

import pytest
import requests


def usage(response) -> tuple[int, int]:
    used, limit = (
        response.headers["Sforce-Limit-Info"].removeprefix("api-usage=").split("/")
    )
    return int(used), int(limit)


def test_limit_info_on_every_data_response(api):
    first = api.get("/limits")
    second = api.post("/sobjects/Lead/", json={"LastName": "L", "Company": "C"})
    failed = api.post("/sobjects/Lead/", json={"LastName": "L"})

    assert usage(first) == (1, 15000)
    assert usage(second) == (2, 15000)
    assert usage(failed) == (3, 15000)
    assert first.json()["DailyApiRequests"] == {"Max": 15000, "Remaining": 14999}


def test_versions_root_has_no_limit_info(http, emulator):
    response = http.get(f"{emulator.base_url}/services/data/")
    assert "Sforce-Limit-Info" not in response.headers


def test_api_calls_by_endpoint(api, emulator, org):
    lead_id = api.post(
        "/sobjects/Lead/", json={"LastName": "L", "Company": "C"}
    ).json()["id"]
    api.get(f"/sobjects/Lead/{lead_id}")
    api.get(f"/sobjects/Lead/{lead_id}")
    api.get("/query", params={"q": "SELECT Id FROM Lead"})
    emulator.control.health()

    calls = emulator.control.api_calls(org["org_id"])

    assert calls["total"] == 4
    assert calls["by_endpoint"] == {
        "GET query": 1,
        "GET sobjects/Lead/{id}": 2,
        "POST sobjects/Lead": 1,
    }
    emulator.control.reset_api_calls(org["org_id"])
    assert emulator.control.api_calls(org["org_id"])["total"] == 0
    assert usage(api.get("/limits")) == (1, 15000)


def test_custom_api_limit_and_exhaustion(emulator):
    org = emulator.control.create_org(name="Small", api_limit=2)
    token = emulator.control.password_token(org["username"], org["password"])
    session = emulator.control.session
    url = f"{token['instance_url']}/services/data/v62.0/limits"
    headers = {"Authorization": f"Bearer {token['access_token']}"}

    statuses = [session.get(url, headers=headers).status_code for _ in range(3)]

    assert statuses == [200, 200, 403]
    response = session.get(url, headers=headers)
    assert response.json() == [
        {
            "errorCode": "REQUEST_LIMIT_EXCEEDED",
            "message": "TotalRequests Limit exceeded.",
        }
    ]
    assert usage(response) == (2, 2)


def test_api_limit_remaining_fault(api, emulator, org):
    emulator.control.set_faults(org["org_id"], api_limit_remaining=1)

    allowed = api.get("/limits")
    rejected = api.get("/limits")
    emulator.control.clear_faults(org["org_id"])
    restored = api.get("/limits")

    assert allowed.status_code == 200
    assert allowed.json()["DailyApiRequests"]["Remaining"] == 0
    assert rejected.status_code == 403
    assert restored.status_code == 200


def test_latency_fault(api, emulator, org):
    emulator.control.set_faults(org["org_id"], latency_ms=300)
    started = time.monotonic()
    api.get("/limits")
    assert time.monotonic() - started >= 0.3


def test_server_errors_fault(api, emulator, org):
    emulator.control.set_faults(
        org["org_id"], server_errors={"count": 2, "status": 503}
    )

    statuses = [api.get("/limits").status_code for _ in range(3)]

    assert statuses == [503, 503, 200]
    assert emulator.control.api_calls(org["org_id"])["total"] == 1


def test_lost_response_still_saves(api, sf, emulator, org):
    emulator.control.set_faults(org["org_id"], lose_response_after_save={"count": 1})

    with pytest.raises(requests.ConnectionError):
        api.post("/sobjects/Lead/", json={"LastName": "Lost", "Company": "C"})
    retry_lookup = sf.query("SELECT Id FROM Lead WHERE LastName = 'Lost'")

    assert retry_lookup["totalSize"] == 1


def test_lost_response_as_502(api, sf, emulator, org):
    emulator.control.set_faults(
        org["org_id"], lose_response_after_save={"count": 1, "mode": "502"}
    )

    response = api.post("/sobjects/Lead/", json={"LastName": "Lost", "Company": "C"})

    assert response.status_code == 502
    assert response.content == b""
    assert sf.query("SELECT Id FROM Lead WHERE LastName = 'Lost'")["totalSize"] == 1


def test_lost_response_for_one_object(api, sf, emulator, org):
    emulator.control.set_faults(
        org["org_id"],
        lose_response_after_save={"count": 1, "sobject": "EmailMessage"},
    )
    lead = api.post("/sobjects/Lead/", json={"LastName": "Kept", "Company": "C"})
    emails = {
        "allOrNone": False,
        "records": [
            {"attributes": {"type": "EmailMessage"}, "Subject": f"Hi {i}"}
            for i in range(3)
        ],
    }

    with pytest.raises(requests.ConnectionError):
        api.post("/composite/sobjects", json=emails)
    again = api.post("/composite/sobjects", json=emails)

    assert lead.status_code == 201
    assert again.status_code == 200
    saved = sf.query("SELECT Subject FROM EmailMessage")["records"]
    assert sorted(r["Subject"] for r in saved) == [
        "Hi 0",
        "Hi 0",
        "Hi 1",
        "Hi 1",
        "Hi 2",
        "Hi 2",
    ]


def test_expire_sessions_fault(api, emulator, org):
    emulator.control.set_faults(org["org_id"], expire_sessions=True)
    response = api.get("/limits")
    assert response.status_code == 401
    assert response.json()[0]["errorCode"] == "INVALID_SESSION_ID"
    fresh = emulator.control.password_token(org["username"], org["password"])
    assert fresh["access_token"]


def test_invalid_fault_is_rejected(emulator, org):
    with pytest.raises(Exception, match="unknown faults: gremlins"):
        emulator.control.set_faults(org["org_id"], gremlins=True)
    with pytest.raises(Exception, match="sobject must be an object name"):
        emulator.control.set_faults(
            org["org_id"], lose_response_after_save={"count": 1, "sobject": 3}
        )
