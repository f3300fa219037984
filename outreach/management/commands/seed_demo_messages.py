from django.core.management.base import BaseCommand, CommandError

from outreach.models import Account
from outreach.seeding import seed_demo_messages


class Command(BaseCommand):
    help = "Add a few outbound demo emails to every lead of an account (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--account", required=True, help="Slug of the Artisan account."
        )
        parser.add_argument(
            "--per-lead",
            type=int,
            default=3,
            help="Emails per lead, 1 to 3 (default 3).",
        )

    def handle(self, *args, account: str, per_lead: int, **options):
        if not 1 <= per_lead <= 3:
            raise CommandError(f"--per-lead must be between 1 and 3, not {per_lead}.")
        try:
            artisan_account = Account.objects.get(slug=account)
        except Account.DoesNotExist:
            raise CommandError(f"No account with slug {account!r}.") from None
        created = seed_demo_messages(artisan_account, per_lead=per_lead)
        self.stdout.write(f"Added {created} demo emails to {artisan_account.slug}.")
