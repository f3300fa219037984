def test_index_lists_orgs_with_record_links(emulator, org, http):
    response = http.get(f"{emulator.base_url}/_emulator/", timeout=10)

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert org["org_id"] in response.text
    assert f"/_emulator/orgs/{org['org_id']}/records/Lead" in response.text


def test_record_page_shows_and_escapes_records(emulator, org, sf, http):
    sf.Lead.create(
        {
            "LastName": "<script>alert(1)</script>",
            "Company": "O'Brien & Co",
            "Email": "a@b.example",
        }
    )

    response = http.get(
        f"{emulator.base_url}/_emulator/orgs/{org['org_id']}/records/Lead", timeout=10
    )

    assert response.status_code == 200
    assert "1 records" in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text
    assert "<script>" not in response.text
    assert "O&#x27;Brien &amp; Co" in response.text


def test_record_page_rejects_unknown_object(emulator, org, http):
    response = http.get(
        f"{emulator.base_url}/_emulator/orgs/{org['org_id']}/records/User", timeout=10
    )

    assert response.status_code == 404
    assert "choose one of Lead, Contact" in response.json()["error"]
