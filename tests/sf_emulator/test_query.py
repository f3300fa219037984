"""Query, pagination and request-size limits."""

from simple_salesforce import format_soql


def create_leads(api, count: int, prefix: str = "Lead") -> None:
    for start in range(0, count, 200):
        records = [
            {"attributes": {"type": "Lead"}, "LastName": f"{prefix}{n}", "Company": "C"}
            for n in range(start, min(start + 200, count))
        ]
        results = api.post("/composite/sobjects", json={"records": records}).json()
        assert all(result["success"] for result in results)


def test_query_returns_selected_fields(sf):
    sf.Lead.create({"LastName": "Q", "Company": "C", "Email": "Q@X.co"})

    result = sf.query("SELECT Id, Email FROM Lead WHERE Email = 'q@x.co'")

    assert result["totalSize"] == 1
    assert result["done"] is True
    assert "nextRecordsUrl" not in result
    [record] = result["records"]
    assert set(record) == {"attributes", "Id", "Email"}
    assert record["attributes"]["type"] == "Lead"


def test_query_with_and_without_trailing_slash(api):
    for path in ("/query", "/query/"):
        response = api.get(path, params={"q": "SELECT Id FROM Lead"})
        assert response.status_code == 200


def test_query_errors_come_from_soql(api):
    response = api.get("/query", params={"q": "SELECT Nope FROM Lead"})
    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == "INVALID_FIELD"
    malformed = api.get("/query", params={"q": "SELEKT Id FROM Lead"})
    assert malformed.json()[0]["errorCode"] == "MALFORMED_QUERY"


def test_pagination_over_2000_rows(api, sf):
    create_leads(api, 2100)

    first = api.get("/query", params={"q": "SELECT Id FROM Lead"}).json()
    assert first["totalSize"] == 2100
    assert first["done"] is False
    assert len(first["records"]) == 2000
    assert first["nextRecordsUrl"].startswith("/services/data/v62.0/query/01g")
    assert first["nextRecordsUrl"].endswith("-2000")

    second = api.get(f"{api.token['instance_url']}{first['nextRecordsUrl']}").json()
    assert second["done"] is True
    assert len(second["records"]) == 100
    ids = {record["Id"] for record in first["records"] + second["records"]}
    assert len(ids) == 2100

    everything = sf.query_all("SELECT Id FROM Lead")
    assert len(everything["records"]) == 2100


def test_batch_size_header(api):
    create_leads(api, 450)
    headers = {"Sforce-Query-Options": "batchSize=200"}

    pages = [
        api.get("/query", params={"q": "SELECT Id FROM Lead"}, headers=headers).json()
    ]
    while not pages[-1]["done"]:
        pages.append(
            api.get(f"{api.token['instance_url']}{pages[-1]['nextRecordsUrl']}").json()
        )

    assert [len(page["records"]) for page in pages] == [200, 200, 50]
    assert all(page["totalSize"] == 450 for page in pages)


def test_unknown_query_locator(api):
    response = api.get("/query/01g000000000000AAA-2000")
    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == "INVALID_QUERY_LOCATOR"


def test_query_all_includes_deleted(api, sf):
    lead_id = sf.Lead.create({"LastName": "Gone", "Company": "C"})["id"]
    sf.Lead.delete(lead_id)
    q = format_soql("SELECT Id, IsDeleted FROM Lead WHERE Id = {}", lead_id)

    live = api.get("/query", params={"q": q}).json()
    everything = api.get("/queryAll", params={"q": q}).json()

    assert live["totalSize"] == 0
    assert everything["records"][0]["IsDeleted"] is True


def test_relationship_field_in_query(sf):
    account_id = sf.Account.create({"Name": "Acme"})["id"]
    sf.Contact.create({"LastName": "C", "AccountId": account_id})

    [record] = sf.query("SELECT Account.Name FROM Contact")["records"]

    assert record["Account"]["Name"] == "Acme"


def test_lead_status_rows(sf):
    rows = sf.query(
        "SELECT ApiName, IsDefault, IsConverted FROM LeadStatus ORDER BY SortOrder"
    )["records"]
    assert [(r["ApiName"], r["IsDefault"], r["IsConverted"]) for r in rows] == [
        ("Open - Not Contacted", True, False),
        ("Working - Contacted", False, False),
        ("Closed - Converted", False, True),
        ("Closed - Not Converted", False, False),
    ]


def uri_of_length(api, length: int) -> str:
    """Return a query URL whose path and query string are exactly length bytes."""
    prefix = "/services/data/v62.0/query?q=SELECT+Id+FROM+Lead+WHERE+Email+IN+('"
    suffix = "')"
    filler = "a" * (length - len(prefix) - len(suffix))
    return api.token["instance_url"] + prefix + filler + suffix


def test_uri_at_limit_reaches_the_api(api):
    response = api.get(uri_of_length(api, 16_384))

    # The query engine responds, whether or not it accepts the long literal.
    assert response.status_code in (200, 400)
    assert response.headers["Content-Type"].startswith("application/json")
    assert "Sforce-Limit-Info" in response.headers


def test_uri_over_limit_is_414(api):
    response = api.get(uri_of_length(api, 16_385))
    assert response.status_code == 414


def test_headers_over_limit_are_431(api):
    response = api.get("/limits", headers={"X-Padding": "p" * 16_400})
    assert response.status_code == 431
