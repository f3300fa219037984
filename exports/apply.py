"""Batched creates and updates in Salesforce through sObject Collections.

Collections respond with HTTP 200 even when some records fail, so every result is
read back by position and each record keeps its own errors. Requests go out
with allOrNone false: one bad lead must not roll back the others.
"""

from dataclasses import replace

from exports.planning import Action
from integrations.client import SalesforceRequestError

# The service does its own email de-duplication before creating. Salesforce's
# standard duplicate rules would otherwise reject API creates that merely look
# alike (DUPLICATES_DETECTED), even when the rule's action is "Allow".
ALLOW_DUPLICATES_HEADER = {"Sforce-Duplicate-Rule-Header": "allowSave=true"}


def person_headers(apply_assignment_rules: bool) -> dict[str, str]:
    """Headers for creating Leads and Contacts."""
    return {
        **ALLOW_DUPLICATES_HEADER,
        "Sforce-Auto-Assign": "TRUE" if apply_assignment_rules else "FALSE",
    }


def create_records(client, payloads: list[dict], headers: dict[str, str] | None = None):
    """Create `payloads` (≤200 per request); return one result per payload, in order.

    Raises whatever the client raises for a failed request as a whole.
    """
    if not payloads:
        return []
    results = client.create_records(payloads, all_or_none=False, headers=headers)
    if len(results) != len(payloads):
        raise RuntimeError(
            f"Salesforce returned {len(results)} results for {len(payloads)} records; "
            "the results cannot be matched back by position."
        )
    return results


def first_error(result) -> tuple[str, str]:
    """Return the error code and message of a failed record result."""
    if not result.errors:
        return "UNKNOWN_ERROR", "Salesforce refused the record without saying why."
    error = result.errors[0]
    message = error.message
    if error.fields:
        message = f"{message} (fields: {', '.join(error.fields)})"
    return error.status_code, message


def apply_creates(client, decisions: list, headers: dict[str, str] | None = None):
    """Create what `decisions` plan to create; return them with ids or errors.

    Works on any decision with `action`, `payload`, `salesforce_id` and error
    fields. A request refused as a whole fails every record in it alike.
    """
    positions = [i for i, d in enumerate(decisions) if d.action == Action.CREATE]
    payloads = [decisions[i].payload for i in positions]
    applied = list(decisions)
    try:
        results = create_records(client, payloads, headers)
    except SalesforceRequestError as error:
        for i in positions:
            applied[i] = replace(
                decisions[i],
                action=Action.FAIL,
                error_code=error.error_code,
                error_message=error.message,
            )
        return applied

    for i, result in zip(positions, results, strict=True):
        if result.success:
            applied[i] = replace(decisions[i], salesforce_id=result.id)
        else:
            code, message = first_error(result)
            applied[i] = replace(
                decisions[i], action=Action.FAIL, error_code=code, error_message=message
            )
    return applied


def apply_updates(client, decisions: list):
    """PATCH what `decisions` plan to update; a failed update fails its decision.

    A request rejected as a whole fails every update in it alike.
    """
    positions = [i for i, d in enumerate(decisions) if d.action == Action.UPDATE]
    if not positions:
        return list(decisions)
    payloads = [decisions[i].update_payload for i in positions]
    applied = list(decisions)
    try:
        results = client.update_records(payloads, all_or_none=False)
    except SalesforceRequestError as error:
        for i in positions:
            applied[i] = _failed_update(decisions[i], error.error_code, error.message)
        return applied
    if len(results) != len(payloads):
        raise RuntimeError(
            f"Salesforce returned {len(results)} results for {len(payloads)} updates; "
            "the results cannot be matched back by position."
        )

    for i, result in zip(positions, results, strict=True):
        if not result.success:
            applied[i] = _failed_update(decisions[i], *first_error(result))
    return applied


def _failed_update(decision, code: str, message: str):
    return replace(
        decision,
        action=Action.FAIL,
        error_code=code,
        error_message=(
            f"Updating the fields of overwrite_fields on {decision.sobject} "
            f"{decision.salesforce_id} failed: {message}"
        ),
    )
