"""Run one account's export in the foreground, or queue it on the worker."""

import json

from django.core.management.base import BaseCommand, CommandError
from django_q.tasks import fetch
from tqdm import tqdm

from exports.engine import run_export
from exports.models import ExportRun, ExportTask
from exports.services import Outcome, enqueue_export
from outreach.models import Account


class Command(BaseCommand):
    help = (
        "Export an account's due leads and their messages to its connected "
        "Salesforce org and print a one-line summary. Exits non-zero when the "
        "run is refused or fails."
    )

    def add_arguments(self, parser):
        parser.add_argument("--account", required=True, metavar="SLUG")
        parser.add_argument(
            "--no-progress", action="store_true", help="Do not draw a progress bar."
        )
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="Queue the export on the django-q2 worker instead of running it here.",
        )
        parser.add_argument(
            "--wait",
            action="store_true",
            help="With --enqueue, wait for the worker to finish the run.",
        )
        parser.add_argument(
            "--timeout",
            type=int,
            default=600,
            metavar="SECONDS",
            help="How long --wait waits for the worker (default 600).",
        )
        parser.add_argument(
            "--trigger",
            default="command",
            help="What the run records as its trigger (default: command).",
        )
        parser.add_argument(
            "--json",
            action="store_true",
            help="Print the run as one line of JSON instead of the summary.",
        )

    def handle(self, *args, account, **options):
        found = Account.objects.filter(slug=account).first()
        if found is None:
            known = ", ".join(Account.objects.values_list("slug", flat=True)[:10])
            raise CommandError(
                f"No account with slug {account!r}. Known accounts: {known or 'none'}."
            )

        if options["enqueue"]:
            run = self._through_worker(found, options)
            if run is None:
                return
        else:
            run = self._in_foreground(
                found, options["trigger"], no_progress=options["no_progress"]
            )

        if options["json"]:
            self.stdout.write(json.dumps(run_as_dict(run)))
        elif run.status == ExportRun.Status.SUCCEEDED:
            self.stdout.write(f"Export run {run.pk} of {account}: {run.summary()}")
        if run.status != ExportRun.Status.SUCCEEDED:
            raise CommandError(
                f"Export run {run.pk} of {account} {run.status}: {run.error} "
                f"({run.summary()})"
            )

    def _in_foreground(self, account, trigger, *, no_progress: bool) -> ExportRun:
        bars = {}

        def progress(stage, done, total):
            if no_progress:
                return
            if stage not in bars:
                # One bar at a time: the leads are done when messages start.
                for bar in bars.values():
                    bar.close()
                bars[stage] = tqdm(total=total, desc=stage, unit=stage)
            bars[stage].update(done - bars[stage].n)

        try:
            return run_export(account, trigger=trigger, progress=progress)
        finally:
            for bar in bars.values():
                bar.close()

    def _through_worker(self, account, options) -> ExportRun | None:
        request = enqueue_export(account, trigger=options["trigger"])
        if not request.accepted:
            raise CommandError(
                f"Nothing queued: account {account.slug} has no usable Salesforce "
                "connection. Connect it in Settings → Integrations → Salesforce, "
                "then export again."
            )
        if request.outcome == Outcome.JOINED_QUEUED:
            self.stdout.write(
                f"An export of {account.slug} was already queued as task "
                f"{request.task_id}; it covers this request."
            )
        elif request.outcome == Outcome.AFTER_RUNNING:
            self.stdout.write(
                f"An export of {account.slug} is running as task {request.task_id}; "
                "another one runs right after it."
            )
        if not options["wait"]:
            if request.outcome == Outcome.QUEUED:
                self.stdout.write(
                    f"Queued the export of {account.slug} as task {request.task_id}."
                )
            return None

        task = self._wait_for(request.task_id, options["timeout"])
        if request.outcome == Outcome.AFTER_RUNNING:
            # The run this request asked for is the follow-up the task queued.
            follow_up = ExportTask.objects.get(account=account).task_id
            task = self._wait_for(follow_up, options["timeout"]) if follow_up else task
        if not task.success or task.result is None:
            raise CommandError(
                f"Task {task.id} failed on the worker: {task.result}. "
                "See the worker's log."
            )
        return ExportRun.objects.get(pk=task.result)

    def _wait_for(self, task_id: str, timeout: int):
        task = fetch(task_id, wait=timeout * 1000)
        if task is None:
            raise CommandError(
                f"The worker did not finish task {task_id} within {timeout} s. "
                "Is `manage.py qcluster` running? The task stays queued."
            )
        return task


def run_as_dict(run: ExportRun) -> dict:
    """Return the run's outcome as plain data for --json."""
    return {
        "run_id": run.pk,
        "account": run.account.slug,
        "status": run.status,
        "error": run.error,
        "summary": run.summary(),
        "created": run.created_count,
        "linked": run.linked_count,
        "updated": run.updated_count,
        "skipped": run.skipped_count,
        "failed": run.failed_count,
        "messages_synced": run.messages_synced_count,
        "messages_failed": run.messages_failed_count,
        "api_calls": run.api_calls,
    }
