from django.core.management.base import BaseCommand
from django.db import transaction

from integrations.crypto import TokenDecryptionError
from integrations.models import TOKEN_FIELDS, SalesforceConnection


class Command(BaseCommand):
    help = (
        "Encrypt every stored Salesforce token again under the first key of "
        "TOKEN_ENCRYPTION_KEY, so that the other keys can be removed. Safe to "
        "run again; connections whose tokens no key decrypts are listed and "
        "left unchanged."
    )

    def handle(self, *args, **options):
        reencrypted = 0
        unreadable = 0
        for pk in SalesforceConnection.objects.values_list("pk", flat=True):
            with transaction.atomic():
                connection = SalesforceConnection.objects.select_for_update().get(pk=pk)
                try:
                    connection.refresh_from_db(fields=TOKEN_FIELDS)
                except TokenDecryptionError:
                    unreadable += 1
                    self.stderr.write(
                        f"connection {pk}: no key in TOKEN_ENCRYPTION_KEY decrypts "
                        "its tokens; restore the old key or reconnect the org."
                    )
                    continue
                # Saving encrypts the decrypted tokens again with the first key.
                connection.save(update_fields=TOKEN_FIELDS)
                reencrypted += 1
        self.stdout.write(
            f"{reencrypted} connection(s) re-encrypted, {unreadable} unreadable."
        )
