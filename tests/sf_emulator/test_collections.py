"""sObject Collections and composite requests."""

ROLLED_BACK = {
    "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
    "message": "Record rolled back because not all records were valid and the "
    "request was using AllOrNone header",
    "fields": [],
}


def lead(last_name: str, **fields) -> dict:
    return {
        "attributes": {"type": "Lead"},
        "LastName": last_name,
        "Company": "C",
        **fields,
    }


def test_partial_failure_returns_200_by_position(api):
    records = [lead("A"), {"attributes": {"type": "Lead"}, "FirstName": "x"}, lead("C")]

    response = api.post("/composite/sobjects", json={"records": records})

    assert response.status_code == 200
    first, second, third = response.json()
    assert first["success"] is True
    assert first["id"].startswith("00Q")
    assert second == {
        "success": False,
        "errors": [
            {
                "statusCode": "REQUIRED_FIELD_MISSING",
                "message": "Required fields are missing: [LastName, Company]",
                "fields": ["LastName", "Company"],
            }
        ],
    }
    assert third["success"] is True
    count = api.get("/query", params={"q": "SELECT COUNT() FROM Lead"}).json()
    assert count["totalSize"] == 2


def test_all_or_none_rolls_back_siblings(api):
    records = [lead("A"), lead("B", Status="Bogus")]

    response = api.post(
        "/composite/sobjects", json={"allOrNone": True, "records": records}
    )

    assert response.status_code == 200
    first, second = response.json()
    assert first == {"success": False, "errors": [ROLLED_BACK]}
    assert (
        second["errors"][0]["statusCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    )
    count = api.get("/query", params={"q": "SELECT COUNT() FROM Lead"}).json()
    assert count["totalSize"] == 0


def test_duplicates_in_collections_have_no_details(api):
    person = {"FirstName": "Ada", "LastName": "L", "Email": "ada@x.co"}
    api.post("/sobjects/Contact/", json=person)

    response = api.post(
        "/composite/sobjects",
        json={"records": [{"attributes": {"type": "Contact"}, **person}]},
    )

    assert response.json() == [
        {
            "success": False,
            "errors": [
                {
                    "statusCode": "DUPLICATES_DETECTED",
                    "message": "Use one of these records?",
                    "fields": [],
                }
            ],
        }
    ]


def test_collection_update_and_get(api):
    created = api.post(
        "/composite/sobjects", json={"records": [lead("A"), lead("B")]}
    ).json()
    lead_ids = [item["id"] for item in created]

    updated = api.patch(
        "/composite/sobjects",
        json={
            "records": [
                {"attributes": {"type": "Lead"}, "id": lead_ids[0], "Title": "CEO"},
                {"attributes": {"type": "Lead"}, "id": lead_ids[1], "Email": "bad"},
            ]
        },
    )
    fetched = api.get(
        "/composite/sobjects/Lead",
        params={"ids": ",".join(lead_ids), "fields": "Title"},
    )

    assert updated.status_code == 200
    assert updated.json()[0] == {"id": lead_ids[0], "success": True, "errors": []}
    assert updated.json()[1]["errors"][0]["statusCode"] == "INVALID_EMAIL_ADDRESS"
    assert [record["Title"] for record in fetched.json()] == ["CEO", None]


def test_collection_limit_of_200(api):
    response = api.post("/composite/sobjects", json={"records": [lead("A")] * 201})
    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == "EXCEEDED_ID_LIMIT"


def test_collection_needs_record_type(api):
    response = api.post("/composite/sobjects", json={"records": [{"LastName": "x"}]})
    assert response.json()[0]["errors"][0]["statusCode"] == "INVALID_TYPE"


def email_composite(lead_id: str, relation_type: str = "ToAddress") -> dict:
    return {
        "allOrNone": True,
        "compositeRequest": [
            {
                "method": "POST",
                "url": "/services/data/v62.0/sobjects/EmailMessage",
                "referenceId": "refEmail",
                "body": {"Subject": "Hi", "Status": "3", "TextBody": "Body"},
            },
            {
                "method": "POST",
                "url": "/services/data/v62.0/sobjects/EmailMessageRelation",
                "referenceId": "refRelation",
                "body": {
                    "EmailMessageId": "@{refEmail.id}",
                    "RelationId": lead_id,
                    "RelationType": relation_type,
                },
            },
        ],
    }


def test_composite_with_references(api):
    lead_id = api.post(
        "/sobjects/Lead/", json={"LastName": "L", "Company": "C"}
    ).json()["id"]

    response = api.post("/composite", json=email_composite(lead_id))

    assert response.status_code == 200
    email, relation = response.json()["compositeResponse"]
    assert email["httpStatusCode"] == 201
    assert email["referenceId"] == "refEmail"
    assert email["httpHeaders"]["Location"].endswith(email["body"]["id"])
    assert relation["httpStatusCode"] == 201
    stored = api.get(f"/sobjects/EmailMessageRelation/{relation['body']['id']}").json()
    assert stored["EmailMessageId"] == email["body"]["id"]


def test_composite_all_or_none_halts(api):
    lead_id = api.post(
        "/sobjects/Lead/", json={"LastName": "L", "Company": "C"}
    ).json()["id"]

    response = api.post("/composite", json=email_composite(lead_id, "Nonsense"))

    email, relation = response.json()["compositeResponse"]
    assert email["httpStatusCode"] == 400
    assert email["body"][0]["errorCode"] == "PROCESSING_HALTED"
    assert relation["httpStatusCode"] == 400
    assert relation["body"][0]["errorCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    count = api.get("/query", params={"q": "SELECT COUNT() FROM EmailMessage"}).json()
    assert count["totalSize"] == 0


def test_composite_query_subrequest(api):
    api.post(
        "/sobjects/Lead/", json={"LastName": "L", "Company": "C", "Email": "q@x.co"}
    )
    response = api.post(
        "/composite",
        json={
            "compositeRequest": [
                {
                    "method": "GET",
                    "url": "/services/data/v62.0/query?q=SELECT+Id+FROM+Lead+WHERE+Email='q@x.co'",
                    "referenceId": "found",
                },
                {
                    "method": "PATCH",
                    "url": "/services/data/v62.0/sobjects/Lead/@{found.records[0].Id}",
                    "referenceId": "update",
                    "body": {"Title": "Found"},
                },
            ]
        },
    )
    found, update = response.json()["compositeResponse"]
    assert found["body"]["totalSize"] == 1
    assert update["httpStatusCode"] == 204


def test_composite_counts_as_one_call(api, emulator, org):
    emulator.control.reset_api_calls(org["org_id"])
    lead_id = api.post(
        "/sobjects/Lead/", json={"LastName": "L", "Company": "C"}
    ).json()["id"]
    api.post("/composite", json=email_composite(lead_id))

    calls = emulator.control.api_calls(org["org_id"])

    assert calls["total"] == 2
    assert calls["by_endpoint"] == {"POST composite": 1, "POST sobjects/Lead": 1}


def test_composite_subrequest_limits(api):
    query = {
        "method": "GET",
        "url": "/services/data/v62.0/query?q=SELECT+Id+FROM+Lead",
        "referenceId": "q",
    }
    too_many = [{**query, "referenceId": f"q{n}"} for n in range(26)]
    six_queries = too_many[:6]

    for subrequests in (too_many, six_queries):
        response = api.post("/composite", json={"compositeRequest": subrequests})
        assert response.status_code == 400
        assert response.json()[0]["errorCode"] == "INVALID_INPUT"
    five = api.post("/composite", json={"compositeRequest": too_many[:5]})
    assert five.status_code == 200


def test_composite_dependant_of_failure_is_skipped(api):
    body = email_composite("not-an-id")
    body["allOrNone"] = False
    body["compositeRequest"][0]["body"]["Status"] = "Nonsense"

    email, relation = api.post("/composite", json=body).json()["compositeResponse"]

    assert email["httpStatusCode"] == 400
    assert relation["httpStatusCode"] == 400
    assert relation["body"][0]["errorCode"] == "PROCESSING_HALTED"
    assert relation["body"][0]["message"] == (
        "Invalid reference specified. No value for refEmail.id found in refEmail."
    )
