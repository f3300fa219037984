"""django-q2 tasks of the export engine; thin wrappers that take ids."""

import logging

from exports.engine import run_export
from exports.services import enqueue_export
from integrations.models import SalesforceConnection
from outreach.models import Account

logger = logging.getLogger(__name__)


def export_account(account_id: int, trigger: str = "task") -> int | None:
    """Run one export of the account; returns the run id, None if it is gone.

    Safe to run twice: a concurrent second run is refused, a later one finds
    every lead already linked.
    """
    account = Account.objects.filter(pk=account_id).first()
    if account is None:
        logger.warning("Export task skipped: account %s no longer exists", account_id)
        return None
    return run_export(account, trigger=trigger).pk


def sweep_exports() -> int:
    """Queue an export of every connected account; returns how many were queued.

    Meant for a django-q2 schedule, to catch leads and messages that no event
    triggered an export for.
    """
    connections = SalesforceConnection.objects.filter(
        state=SalesforceConnection.State.CONNECTED
    ).select_related("account")
    for connection in connections:
        enqueue_export(connection.account, trigger="sweep")
    return len(connections)
