"""Per-org faults that tests switch on through the control API.

Stored faults (latency, server errors, lost responses, an uninstalled
connected app) stay until cleared; counted ones are used up one request at a
time. "expire_sessions" and "api_limit_remaining" act once, when set.
"""

import logging

from sf_emulator.storage import Storage

logger = logging.getLogger(__name__)

LOST_RESPONSE_MODES = ("close", "502")
SERVER_ERROR_BODIES = {
    503: ("SERVER_UNAVAILABLE", "Server temporarily unavailable."),
}
UNKNOWN_EXCEPTION = (
    "UNKNOWN_EXCEPTION",
    "An unexpected error occurred. Please include this ErrorId if you contact "
    "support: 0000000000-00000 (0000000000)",
)


class InvalidFault(ValueError):
    """A fault setting the control API rejects."""


def _count(value: object, key: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InvalidFault(f"{key} must be a non-negative integer")
    return value


def set_faults(storage: Storage, org: dict, changes: object) -> dict:
    """Validate and apply fault settings; return the org's stored faults."""
    if not isinstance(changes, dict):
        raise InvalidFault("faults must be a JSON object")
    known = {
        "latency_ms",
        "server_errors",
        "lose_response_after_save",
        "expire_sessions",
        "api_limit_remaining",
        "app_installed",
    }
    unknown = sorted(set(changes) - known)
    if unknown:
        raise InvalidFault(f"unknown faults: {', '.join(unknown)}")
    faults = dict(org["faults"])
    if "latency_ms" in changes:
        faults["latency_ms"] = _count(changes["latency_ms"], "latency_ms")
    if "server_errors" in changes:
        faults["server_errors"] = _server_errors(changes["server_errors"])
    if "lose_response_after_save" in changes:
        faults["lose_response_after_save"] = _lost_responses(
            changes["lose_response_after_save"]
        )
    if "app_installed" in changes:
        if not isinstance(changes["app_installed"], bool):
            raise InvalidFault("app_installed must be true or false")
        faults["app_installed"] = changes["app_installed"]
    remaining = changes.get("api_limit_remaining")
    if remaining is not None:
        remaining = _count(remaining, "api_limit_remaining")
    with storage.transaction():
        storage.save_faults(org["org_id"], faults)
        if changes.get("expire_sessions"):
            expired = storage.expire_access_tokens(org["org_id"])
            logger.info("Expired %s access tokens of org %s", expired, org["org_id"])
        if remaining is not None:
            limit = org["config"]["api_limit"]
            storage.set_api_used(org["org_id"], max(limit - remaining, 0))
    return faults


def _server_errors(value: object) -> dict:
    if not isinstance(value, dict):
        raise InvalidFault('server_errors must look like {"count": 2, "status": 503}')
    status = value.get("status", 503)
    if not isinstance(status, int) or not 500 <= status <= 599:
        raise InvalidFault(
            "server_errors.status must be an HTTP status from 500 to 599"
        )
    return {
        "count": _count(value.get("count", 1), "server_errors.count"),
        "status": status,
    }


def _lost_responses(value: object) -> dict:
    if not isinstance(value, dict):
        raise InvalidFault('lose_response_after_save must look like {"count": 1}')
    mode = value.get("mode", "close")
    if mode not in LOST_RESPONSE_MODES:
        raise InvalidFault("lose_response_after_save.mode must be 'close' or '502'")
    count = _count(value.get("count", 1), "lose_response_after_save.count")
    fault = {"count": count, "mode": mode}
    sobject = value.get("sobject")
    if sobject is not None:
        if not isinstance(sobject, str) or not sobject:
            raise InvalidFault(
                "lose_response_after_save.sobject must be an object name, "
                'such as "EmailMessage"'
            )
        fault["sobject"] = sobject
    return fault


def clear_faults(storage: Storage, org_id: str) -> None:
    """Remove every fault and undo a forced API usage."""
    with storage.transaction():
        storage.save_faults(org_id, {})
        storage.set_api_used(org_id, sum(storage.api_calls(org_id).values()))


def take(
    storage: Storage, org_id: str, name: str, written: set[str] | None = None
) -> dict | None:
    """Use up one occurrence of a counted fault; return its settings if any.

    A fault limited to one sObject applies only when `written` contains it.
    """
    with storage.transaction():
        faults = storage.org(org_id)["faults"]
        fault = faults.get(name)
        if not fault or fault["count"] <= 0:
            return None
        if "sobject" in fault and fault["sobject"] not in (written or set()):
            return None
        fault["count"] -= 1
        storage.save_faults(org_id, faults)
        return fault


def server_error_body(status: int) -> list[dict]:
    error_code, message = SERVER_ERROR_BODIES.get(status, UNKNOWN_EXCEPTION)
    return [{"errorCode": error_code, "message": message}]
