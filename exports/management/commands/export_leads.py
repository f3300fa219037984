"""Run one account's export in the foreground, with a progress bar."""

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from exports.engine import run_export
from exports.models import ExportRun
from outreach.models import Account


class Command(BaseCommand):
    help = (
        "Export an account's due leads and their emails to its connected "
        "Salesforce org, as the background task would, and print a summary."
    )

    def add_arguments(self, parser):
        parser.add_argument("--account", required=True, metavar="SLUG")
        parser.add_argument(
            "--no-progress", action="store_true", help="Do not draw a progress bar."
        )

    def handle(self, *args, account, no_progress, **options):
        found = Account.objects.filter(slug=account).first()
        if found is None:
            known = ", ".join(Account.objects.values_list("slug", flat=True)[:10])
            raise CommandError(
                f"No account with slug {account!r}. Known accounts: {known or 'none'}."
            )

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
            run = run_export(found, trigger="command", progress=progress)
        finally:
            for bar in bars.values():
                bar.close()

        if run.status == ExportRun.Status.SUCCEEDED:
            self.stdout.write(f"Export run {run.pk} of {account}: {run.summary()}")
            return
        raise CommandError(
            f"Export run {run.pk} of {account} {run.status}: {run.error} "
            f"({run.summary()})"
        )
