"""The API as a whole: its OpenAPI document, docs, and the export each batch queues."""

from django_q.models import OrmQ
from django_q.tasks import async_task

from api import intake
from exports.models import ExportRun, ExportTask
from outreach.models import Lead


def queued_tasks() -> list[dict]:
    return [queued.task for queued in OrmQ.objects.order_by("id")]


def test_openapi_lists_both_endpoints(client, db):
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    document = response.json()
    leads = document["paths"]["/api/v1/leads"]["post"]
    messages = document["paths"]["/api/v1/messages"]["post"]
    assert leads["security"] == [{"ApiKeyAuth": []}]
    assert messages["security"] == [{"ApiKeyAuth": []}]
    assert document["components"]["securitySchemes"]["ApiKeyAuth"] == {
        "type": "http",
        "scheme": "bearer",
    }
    schemas = document["components"]["schemas"]
    assert leads["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/LeadBatchIn"
    }
    assert messages["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/MessageBatchOut"
    }
    assert set(schemas["ItemResultOut"]["properties"]) == {
        "index",
        "email",
        "message_identifier",
        "status",
        "lead_id",
        "errors",
    }


def test_openapi_shows_item_schemas(client, db):
    schemas = client.get("/api/v1/openapi.json").json()["components"]["schemas"]

    leads = schemas["LeadBatchIn"]["properties"]["leads"]
    messages = schemas["MessageBatchIn"]["properties"]["messages"]
    assert (leads["minItems"], leads["maxItems"]) == (1, 1000)
    assert (messages["minItems"], messages["maxItems"]) == (1, 1000)
    lead = leads["items"]
    assert lead["required"] == ["email"]
    assert set(lead["properties"]) == {
        "email",
        "first_name",
        "last_name",
        "job_title",
        "company_name",
        "website",
        "replied",
        "sentiment",
    }
    assert lead["properties"]["sentiment"]["anyOf"][0]["enum"] == [1, 2, 3]
    message = messages["items"]
    assert set(message["required"]) == {
        "lead_email",
        "message_identifier",
        "channel",
        "direction",
        "sent_at",
    }
    assert message["properties"]["channel"]["enum"] == ["email", "linkedin"]


def test_docs_page_loads(client, db):
    response = client.get("/api/v1/docs")

    assert response.status_code == 200
    assert "/api/v1/openapi.json" in response.content.decode()


def test_storing_request_queues_one_export(api, connected_account):
    leads = [{"email": f"lead{i}@example.com"} for i in range(20)]

    api.post_leads(leads)

    [task] = queued_tasks()
    assert task["func"] == "exports.tasks.export_account"
    assert task["args"] == (connected_account.pk, "intake")


def test_unchanged_request_queues_nothing(api, connected_account):
    leads = [{"email": "ada@example.com"}, {"email": "grace@example.com"}]
    api.post_leads(leads)
    OrmQ.objects.all().delete()
    ExportTask.objects.all().delete()

    api.post_leads(leads)
    api.post_leads([{"email": "not-an-email"}])

    assert queued_tasks() == []


def test_requests_while_an_export_is_queued_join_it(api, connected_account):
    api.post_leads([{"email": "ada@example.com"}])
    message = {
        "lead_email": "ada@example.com",
        "channel": "email",
        "direction": "inbound",
        "sent_at": "2026-01-05T09:30:00Z",
    }

    api.post_messages(
        [
            {**message, "message_identifier": "<m1@mail.example>"},
            {**message, "message_identifier": "<m2@mail.example>"},
        ]
    )
    api.post_leads([{"email": "grace@example.com", "replied": True}])

    [task] = queued_tasks()
    assert task["args"] == (connected_account.pk, "intake")


def test_account_without_connection_queues_nothing(api, account):
    response = api.post_leads([{"email": "ada@example.com"}])

    assert response.json()["totals"]["created"] == 1
    assert queued_tasks() == []
    assert not ExportRun.objects.exists()


def test_queued_export_runs_with_intake_trigger(api, connected_account):
    api.post_leads([{"email": "ada@example.com", "last_name": "Lovelace"}])
    [task] = queued_tasks()

    # Runs the queued call in this process, as a django-q2 worker would.
    async_task(task["func"], *task["args"], sync=True)

    run = ExportRun.objects.get()
    assert run.trigger == "intake"
    assert run.account == connected_account
    assert run.status == ExportRun.Status.SUCCEEDED, run.error
    assert ExportTask.objects.get().state == ExportTask.State.IDLE


def test_failed_queueing_keeps_the_batch(api, account, monkeypatch, caplog):
    # enqueue_export is replaced only in this test, to make queueing fail.
    def broken_enqueue(account, trigger):
        raise ConnectionError("broker down")

    monkeypatch.setattr(intake, "enqueue_export", broken_enqueue)

    response = api.post_leads([{"email": "ada@example.com"}])

    assert response.status_code == 200
    assert response.json()["totals"]["created"] == 1
    assert Lead.objects.count() == 1
    assert f"Could not queue the export of account {account.pk}" in caplog.text


def test_openapi_totals_match_each_endpoint(client, db):
    schemas = client.get("/api/v1/openapi.json").json()["components"]["schemas"]

    def totals_of(name):
        reference = schemas[name]["properties"]["totals"]["$ref"]
        return set(schemas[reference.rsplit("/", 1)[1]]["properties"])

    intake_totals = {"created", "updated", "unchanged", "rejected"}
    assert totals_of("LeadBatchOut") == intake_totals
    assert totals_of("MessageBatchOut") == intake_totals
    assert totals_of("ContactCheckOut") == {"allowed", "blocked", "unknown"}
