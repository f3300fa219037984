"""An export run: select ▶ look up ▶ plan ▶ apply ▶ record, batch after batch.

One account's exports never overlap: the run row is created as `running`, and
a partial unique constraint rejects a second one. A run whose process was
killed would block the account forever. So when a running run has not
finished a batch for longer than django-q2's task timeout, it is marked failed
and the new run takes over: django-q2 has stopped any task by then. A live
batch stays under the default ten minutes even when every request times out
through its retries (about seven minutes with the 30-second request timeout).
"""

import logging
from datetime import timedelta
from functools import cache, partial

from django.conf import settings as django_settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from exports import recording, selection
from exports.apply import apply_creates, apply_updates, person_headers
from exports.config import ExportConfigError, settings_from_config
from exports.current_values import read_current_values
from exports.describe import load_schema
from exports.linked_updates import update_linked_records
from exports.lookup import find_people_by_email
from exports.message_sync import sync_messages
from exports.models import ExportConfig, ExportRun
from exports.planning import Action, plan_leads, records_to_compare
from exports.validation import check_against_org
from integrations.client import (
    SalesforceAuthError,
    SalesforceError,
    SalesforceLimitError,
    SalesforceTransientError,
    client_for_account,
)
from integrations.models import SalesforceConnection

logger = logging.getLogger(__name__)

Status = ExportRun.Status
# A create whose response was lost is looked up and tried once more in the run.
ATTEMPTS_PER_BATCH = 2


def stale_after() -> timedelta:
    """Return how long a running run may stay silent before another takes over."""
    return timedelta(seconds=django_settings.Q_CLUSTER["timeout"])


def run_export(account, *, trigger: str, progress=None) -> ExportRun:
    """Export the account's due leads and their messages; return the finished run.

    The run is `refused` when the connection is unusable or another run is on.
    """
    # `progress(stage, done, total)` is called as each stage starts and after
    # each of its batches; the command draws its progress bars from it.
    connection = SalesforceConnection.objects.filter(account=account).first()
    org_id = connection.org_id if connection else ""
    if connection is None or not connection.is_usable:
        return _refuse(account, org_id, trigger, _connection_problem(connection))
    try:
        client = client_for_account(account)
    except SalesforceAuthError as error:
        return _refuse(account, org_id, trigger, _connection_problem(connection, error))

    run = _start(account, org_id, trigger)
    if run.status == Status.REFUSED:
        return run
    logger.info(
        "Export run %s of account %s started (%s)", run.pk, account.slug, trigger
    )
    try:
        config = ExportConfig.objects.filter(account=account).first()
        config = config or ExportConfig(account=account)
        export_settings = settings_from_config(config)
        checked_schemas = cache(partial(_checked_schemas, run, client, export_settings))
        _export_leads(
            run,
            client,
            config.export_trigger,
            export_settings,
            checked_schemas,
            progress,
        )
        _update_linked_leads(
            run,
            client,
            config.export_trigger,
            export_settings,
            checked_schemas,
            progress,
        )
        _sync_messages(run, client, progress)
    except (
        SalesforceAuthError,
        SalesforceLimitError,
        SalesforceTransientError,
    ) as error:
        return _fail(run, client, _salesforce_problem(error))
    except ExportConfigError as error:
        # Nothing was written: the check runs before the first look-up.
        return _reject(run, client, error)
    except SalesforceError as error:
        return _fail(run, client, f"Salesforce refused a request: {error.message}")
    except Exception as error:
        # The run row must not stay `running`; the traceback goes to the log.
        logger.exception("Export run %s of account %s crashed", run.pk, account.slug)
        return _fail(
            run,
            client,
            f"The export stopped on an unexpected error ({type(error).__name__}); "
            "the service log has the details. Leads not yet linked are retried "
            "by the next run.",
        )

    run = _finish(run, client, Status.SUCCEEDED)
    logger.info(
        "Export run %s of account %s finished: %s", run.pk, account.slug, run.summary()
    )
    return run


def _connection_problem(connection, error=None) -> str:
    if connection is None:
        return (
            "The account has no Salesforce connection. Connect Salesforce in "
            "Settings → Integrations, then export again."
        )
    if error is not None:
        return f"{error.message} Exports are paused until then; nothing is lost."
    return (
        f"The Salesforce connection is {connection.get_state_display()}. "
        "Reconnect Salesforce in Settings → Integrations; exports are paused "
        "until then and nothing is lost."
    )


def _salesforce_problem(error) -> str:
    if isinstance(error, SalesforceAuthError):
        return (
            f"Salesforce refused the connection's credentials ({error.message}). "
            "Reconnect Salesforce in Settings → Integrations; leads not yet linked "
            "are exported by the next run."
        )
    if isinstance(error, SalesforceLimitError):
        return (
            f"The org's daily API request limit is used up ({error.message}). "
            "Exports resume on the next run after Salesforce resets the limit."
        )
    return (
        f"Salesforce kept failing ({error.message}). The next run looks up what "
        "this one may have created and goes on from there."
    )


def _refuse(account, org_id: str, trigger: str, reason: str) -> ExportRun:
    logger.warning("Export of account %s refused: %s", account.slug, reason)
    return ExportRun.objects.create(
        account=account,
        org_id=org_id,
        trigger=trigger,
        status=Status.REFUSED,
        error=reason,
        finished_at=timezone.now(),
    )


def _start(account, org_id: str, trigger: str) -> ExportRun:
    now = timezone.now()
    cutoff = now - stale_after()
    silent = Q(progressed_at__lt=cutoff) | Q(
        progressed_at__isnull=True, started_at__lt=cutoff
    )
    for stale in ExportRun.objects.filter(
        silent, account=account, status=Status.RUNNING
    ):
        taken = ExportRun.objects.filter(pk=stale.pk, status=Status.RUNNING).update(
            status=Status.FAILED,
            finished_at=now,
            error="Stopped without finishing: no batch finished for longer than "
            "the task timeout, so its process is gone. A later run took over.",
        )
        if taken:
            logger.warning(
                "Export run %s of account %s was abandoned; taking over",
                stale.pk,
                account.slug,
            )

    try:
        with transaction.atomic():
            return ExportRun.objects.create(
                account=account,
                org_id=org_id,
                trigger=trigger,
                status=Status.RUNNING,
                progressed_at=now,
            )
    except IntegrityError:
        running = ExportRun.objects.filter(
            account=account, status=Status.RUNNING
        ).first()
        running_pk = running.pk if running else "?"
        return _refuse(
            account,
            org_id,
            trigger,
            f"Export run {running_pk} of this account is still running; a second "
            "one at the same time could create the same records twice. It was "
            "refused; the running export covers the same leads.",
        )


def _reject(run: ExportRun, client, error: ExportConfigError) -> ExportRun:
    reasons = " ".join(
        f"({number}) {problem}" for number, problem in enumerate(error.problems, 1)
    )
    reason = (
        "The export configuration is invalid, so the export was refused and "
        f"nothing was written to Salesforce. {reasons} Fix the configuration in "
        "the admin (Exports → Export configs) and export again."
    )
    logger.warning(
        "Export run %s of account %s refused: %s",
        run.pk,
        run.account.slug,
        reason,
        extra={"run_id": run.pk, "account_id": run.account_id},
    )
    return _finish(run, client, Status.REFUSED, reason)


def _fail(run: ExportRun, client, error: str) -> ExportRun:
    logger.error(
        "Export run %s of account %s failed: %s", run.pk, run.account.slug, error
    )
    return _finish(run, client, Status.FAILED, error)


def _finish(run: ExportRun, client, status: str, error: str = "") -> ExportRun:
    client.save_usage()
    return recording.finish_run(run, status, error=error, api_calls=client.api_calls)


def _checked_schemas(run, client, export_settings) -> dict:
    """Check the settings against the org and return its schemas of Lead and Contact.

    Raises ExportConfigError listing every problem; warnings are only logged.
    """
    check = check_against_org(client, run.org_id, export_settings)
    if check.errors:
        raise ExportConfigError(list(check.errors))
    for warning in check.warnings:
        logger.warning("Run %s of account %s: %s", run.pk, run.account.slug, warning)
    return check.schemas


def _progress_steps(progress, stage: str, total: int):
    """Report the stage's start to `progress` and return a function that advances it."""
    done = 0
    if progress:
        progress(stage, done, total)

    def advance(count: int) -> None:
        nonlocal done
        done += count
        if progress:
            progress(stage, done, total)

    return advance


def _export_leads(
    run, client, export_trigger, export_settings, checked_schemas, progress
) -> None:
    already = selection.count_already_linked(run.account, run.org_id, export_trigger)
    recording.add_to_counts(run, skipped_count=already)
    total = selection.unlinked_leads(run.account, run.org_id, export_trigger).count()
    if not total:
        return

    schemas = checked_schemas()
    headers = person_headers(export_settings.apply_assignment_rules)

    def export_batch(leads):
        matches = find_people_by_email(client, [lead.email for lead in leads])
        wanted = records_to_compare(export_settings, schemas, leads, matches)
        current = read_current_values(client, wanted)
        decisions = plan_leads(export_settings, schemas, leads, matches, current)
        decisions = apply_creates(client, decisions, headers)
        return apply_updates(client, decisions)

    advance = _progress_steps(progress, "leads", total)
    batches = selection.unlinked_lead_batches(run.account, run.org_id, export_trigger)
    for leads in batches:
        decisions = _with_repair(run, "leads", leads, export_batch)
        for decision in _failures(decisions):
            logger.warning(
                "Run %s of account %s: leads %s failed with %s",
                run.pk,
                run.account.slug,
                decision.lead_ids,
                decision.error_code,
            )
        recording.record_lead_decisions(run, decisions)
        recording.set_api_calls(run, client.api_calls)
        advance(len(leads))


def _update_linked_leads(
    run, client, export_trigger, export_settings, checked_schemas, progress
) -> None:
    # Only overwrite_fields may change a linked record, so without them a
    # changed lead has nothing to send.
    if not export_settings.overwrite_fields:
        return
    due = selection.leads_due_for_update(run.account, run.org_id, export_trigger)
    total = due.count()
    if not total:
        return

    schemas = checked_schemas()
    advance = _progress_steps(progress, "updates", total)
    batches = selection.update_batches(run.account, run.org_id, export_trigger)
    for batch in batches:
        updates = _with_repair(
            run,
            "lead updates",
            batch,
            partial(update_linked_records, client, export_settings, schemas),
        )
        recording.record_linked_updates(run, updates, batch.read_at)
        recording.set_api_calls(run, client.api_calls)
        advance(len(batch.leads))


def _sync_messages(run, client, progress) -> None:
    total = selection.count_pending_messages(run.account, run.org_id)
    if not total:
        return

    advance = _progress_steps(progress, "messages", total)
    batches = selection.pending_message_batches(run.account, run.org_id)
    for messages, person_ids in batches:
        schemas = {
            sobject: load_schema(client, run.org_id, sobject)
            for sobject in {message.sobject for message in messages}
        }
        decisions = _with_repair(
            run,
            "messages",
            messages,
            partial(sync_messages, client, person_ids=person_ids, schemas=schemas),
        )
        for decision in _failures(decisions):
            logger.warning(
                "Run %s of account %s: message %s of lead %s failed with %s",
                run.pk,
                run.account.slug,
                decision.message_id,
                decision.lead_id,
                decision.error_code,
            )
        recording.record_message_decisions(run, decisions)
        recording.set_api_calls(run, client.api_calls)
        advance(len(messages))


def _with_repair(run, noun: str, batch: list, handle_batch):
    """Handle a batch, and once more when Salesforce lost a create's response.

    Each attempt looks the batch up afresh, so saved records are linked.
    """
    for attempt in range(1, ATTEMPTS_PER_BATCH + 1):
        try:
            return handle_batch(batch)
        except SalesforceTransientError as error:
            if attempt == ATTEMPTS_PER_BATCH:
                raise
            logger.warning(
                "Run %s of account %s: create of %s %s got no response (%s); "
                "looking them up again before retrying",
                run.pk,
                run.account.slug,
                len(batch),
                noun,
                error.error_code,
            )


def _failures(decisions: list) -> list:
    return [decision for decision in decisions if decision.action == Action.FAIL]
