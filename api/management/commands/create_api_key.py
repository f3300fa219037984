from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from api.keys import create_api_key
from outreach.models import Account


class Command(BaseCommand):
    help = (
        "Create an API key for an account and print it. Only its hash is stored, "
        "so copy the key now: it cannot be shown again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--account", required=True, metavar="SLUG", help="Slug of the account."
        )
        parser.add_argument(
            "--name",
            default="",
            metavar="LABEL",
            help="What will use the key, shown in the admin.",
        )
        parser.add_argument(
            "--created-by",
            metavar="USERNAME",
            help="User recorded as the key's creator.",
        )

    def handle(self, *args, account, name, created_by, **options):
        found = Account.objects.filter(slug=account).first()
        if found is None:
            known = ", ".join(Account.objects.values_list("slug", flat=True)[:10])
            raise CommandError(
                f"No account with slug {account!r}. Known accounts: {known or 'none'}."
            )
        creator = None
        if created_by:
            creator = get_user_model().objects.filter(username=created_by).first()
            if creator is None:
                raise CommandError(
                    f"No user with username {created_by!r}. Pass an existing "
                    "username, or leave out --created-by."
                )

        api_key, key = create_api_key(found, name=name, created_by=creator)

        # The key alone goes to stdout, so `KEY=$(manage.py create_api_key ...)`
        # captures it. The explanation goes to stderr.
        self.stderr.write(
            f"Created API key {api_key.prefix} for account {found.slug}. Copy it "
            "now; it cannot be shown again. Send it as 'Authorization: Bearer <key>'."
        )
        self.stdout.write(key)
