from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from outreach.importing import CsvFormatError, import_leads_csv
from outreach.models import Account, Campaign


class Command(BaseCommand):
    help = (
        "Import leads from a CSV file (headers such as First Name, Last Name, "
        "Email or Email 1, Title or Job Title, Company, Website) into a campaign."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "path", type=Path, help="CSV file, UTF-8, first row headers."
        )
        parser.add_argument(
            "--account", required=True, help="Slug of the Artisan account."
        )
        parser.add_argument(
            "--campaign",
            default="Imported leads",
            help="Campaign name; created if the account has none by that name.",
        )
        parser.add_argument(
            "--encoding",
            default="utf-8",
            help="Text encoding of the file when it has no byte-order mark "
            "(default utf-8; cp1252 for a Windows Excel export).",
        )
        parser.add_argument(
            "--create-account",
            action="store_true",
            help="Create the account when no account has this slug.",
        )

    def handle(self, *args, path: Path, account: str, campaign: str, **options):
        if not path.is_file():
            raise CommandError(f"No such file: {path}. Pass the path of a CSV file.")
        artisan_account = self._account(account, create=options["create_account"])
        target, _ = Campaign.objects.get_or_create(
            account=artisan_account, name=campaign
        )
        try:
            report = import_leads_csv(
                path, campaign=target, encoding=options["encoding"]
            )
        except CsvFormatError as error:
            raise CommandError(f"Cannot import {path}: {error}") from error

        for rejected in report.rejected:
            self.stderr.write(f"line {rejected.line}: rejected, {rejected.reason}")
        for warning in report.warnings:
            self.stderr.write(f"line {warning.line}: stored, but {warning.reason}")
        if report.ignored_headers:
            self.stdout.write(f"Ignored columns: {', '.join(report.ignored_headers)}")
        self.stdout.write(
            self.style.SUCCESS(f"{path} into {target}: {report.summary()}")
        )

    def _account(self, slug: str, *, create: bool) -> Account:
        if create:
            account, created = Account.objects.get_or_create(
                slug=slug, defaults={"name": slug}
            )
            if created:
                self.stdout.write(f"Created account {slug!r}.")
            return account
        try:
            return Account.objects.get(slug=slug)
        except Account.DoesNotExist:
            raise CommandError(
                f"No account with slug {slug!r}. Check the slug, or pass "
                "--create-account to create it."
            ) from None
