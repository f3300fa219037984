"""The control API under /_emulator/ that tests and the demo use.

It is plain JSON without authentication, which is safe only because the
server listens on loopback addresses. Control calls never count as API calls.
"""

import logging
import re

from werkzeug.wrappers import Request, Response

from sf_emulator import browse, dml, faults, orgs
from sf_emulator.errors import ApiError
from sf_emulator.web import empty_response, json_response, read_json

logger = logging.getLogger(__name__)

ORG_PATH = re.compile(r"^/_emulator/orgs/(?P<org_id>[A-Za-z0-9]+)(?P<rest>/.*)?$")
RECORDS_PATH = re.compile(r"^/records/(?P<sobject>[A-Za-z]+)$")


def control_error(message: str, status: int = 400) -> Response:
    return json_response({"error": message}, status)


class ControlApi:
    def __init__(self, emulator):
        self.emulator = emulator
        self.storage = emulator.storage

    def handle(self, request: Request) -> Response:
        path = request.path.rstrip("/")
        try:
            body = read_json(request.get_data()) if request.content_length else None
        except ApiError:
            return control_error("the request body is not valid JSON")
        try:
            return self._dispatch(request.method, path, body)
        except (orgs.InvalidConfig, faults.InvalidFault) as error:
            return control_error(str(error))
        except ApiError as error:
            return json_response(error.rest_body(), error.status)

    def _dispatch(self, method: str, path: str, body: object) -> Response:
        if path == "/_emulator/health" and method == "GET":
            return json_response({"status": "ok"})
        if path == "/_emulator" and method == "GET":
            return browse.org_index(self.storage)
        if path == "/_emulator/orgs":
            if method == "POST":
                return self.create_org(body or {})
            if method == "GET":
                return json_response(
                    [self._org_summary(org_id) for org_id in self.storage.org_ids()]
                )
        match = ORG_PATH.match(path)
        if match is None:
            return control_error(f"no control endpoint {method} {path}", 404)
        org = self.storage.org(match["org_id"])
        if org is None:
            return control_error(f"org {match['org_id']} does not exist", 404)
        action = (method, match["rest"] or "")
        records_of = RECORDS_PATH.match(match["rest"] or "")
        if method == "GET" and records_of:
            if records_of["sobject"] not in browse.BROWSABLE_OBJECTS:
                return control_error(
                    f"no record page for {records_of['sobject']}; choose one of "
                    f"{', '.join(browse.BROWSABLE_OBJECTS)}",
                    404,
                )
            return browse.record_table(self.storage, org, records_of["sobject"])
        handlers = {
            ("GET", ""): lambda: json_response(self._org_summary(org["org_id"])),
            ("GET", "/faults"): lambda: json_response(org["faults"]),
            ("PATCH", "/faults"): lambda: json_response(
                faults.set_faults(self.storage, org, body or {})
            ),
            ("DELETE", "/faults"): lambda: self.clear_faults(org),
            ("GET", "/api-calls"): lambda: json_response(self.api_calls(org)),
            ("POST", "/api-calls/reset"): lambda: self.reset_api_calls(org),
            ("POST", "/convert-lead"): lambda: self.convert_lead(org, body),
            ("POST", "/users"): lambda: self.create_user(org, body),
        }
        handler = handlers.get(action)
        if handler is None:
            return control_error(f"no control endpoint {method} {path}", 404)
        return handler()

    def create_org(self, config: object) -> Response:
        if not isinstance(config, dict):
            raise orgs.InvalidConfig("the org configuration must be a JSON object")
        created = orgs.create_org(self.storage, config)
        created["instance_url"] = self.emulator.base_url
        return json_response(created, 201)

    def _org_summary(self, org_id: str) -> dict:
        org = self.storage.org(org_id)
        return {
            "org_id": org_id,
            "name": org["name"],
            "instance_url": self.emulator.base_url,
            "config": org["config"],
            "faults": org["faults"],
            "api_used": org["api_used"],
        }

    def clear_faults(self, org: dict) -> Response:
        faults.clear_faults(self.storage, org["org_id"])
        return empty_response()

    def api_calls(self, org: dict) -> dict:
        by_endpoint = self.storage.api_calls(org["org_id"])
        return {
            "total": sum(by_endpoint.values()),
            "by_endpoint": by_endpoint,
            "used": org["api_used"],
            "limit": org["config"]["api_limit"],
        }

    def reset_api_calls(self, org: dict) -> Response:
        self.storage.reset_api_calls(org["org_id"])
        return empty_response()

    def convert_lead(self, org: dict, body: object) -> Response:
        if not isinstance(body, dict) or not isinstance(body.get("lead_id"), str):
            return control_error('convert-lead needs {"lead_id": "00Q..."}')
        context = orgs.org_context(self.storage, org["org_id"])
        result = dml.convert_lead(context, body["lead_id"], body.get("account_id"))
        return json_response(result)

    def create_user(self, org: dict, body: object) -> Response:
        """Add a user who can log in; "assignment_rule_owner" routes new Leads."""
        if not isinstance(body, dict) or not body.get("username"):
            return control_error('users needs {"username": ..., "password": ...}')
        user_id = orgs.create_user(
            self.storage,
            org["org_id"],
            username=body["username"],
            password=body.get("password") or "password",
            email=body.get("email") or body["username"],
            first_name=body.get("first_name"),
            last_name=body.get("last_name") or "User",
        )
        if body.get("assignment_rule_owner"):
            config = {**org["config"], "assignment_rule_owner": user_id}
            self.storage.save_org_config(org["org_id"], config)
        return json_response({"user_id": user_id, "username": body["username"]}, 201)
