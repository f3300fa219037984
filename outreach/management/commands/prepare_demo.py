from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from outreach.models import Account, Campaign


class Command(BaseCommand):
    help = (
        "Create (or reset the password of) the demo staff user and the demo account "
        "it belongs to. Used by `make demo`."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--account", default="demo", help="Slug of the demo account."
        )
        parser.add_argument(
            "--campaign", default="Demo campaign", help="Campaign name."
        )
        parser.add_argument(
            "--username", default="demo", help="Username of the demo user."
        )
        parser.add_argument("--password", required=True, help="Password to set.")

    def handle(self, *args, account, campaign, username, password, **options):
        user, _ = get_user_model().objects.get_or_create(username=username)
        user.is_staff = True
        user.is_superuser = True
        user.set_password(password)
        user.save()
        demo_account, _ = Account.objects.get_or_create(
            slug=account, defaults={"name": "Demo account"}
        )
        demo_account.members.add(user)
        Campaign.objects.get_or_create(account=demo_account, name=campaign)
        self.stdout.write(f"Demo user {username!r} is a member of account {account!r}.")
