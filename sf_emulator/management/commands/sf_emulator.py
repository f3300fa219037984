"""python manage.py sf_emulator: run the local Salesforce emulator."""

import logging

from django.core.management.base import BaseCommand

from sf_emulator import __main__ as cli


class Command(BaseCommand):
    help = "Run the local Salesforce emulator over HTTPS on a loopback address."

    def add_arguments(self, parser):
        cli.add_arguments(parser)

    def handle(self, *args, **options):
        package_logger = logging.getLogger("sf_emulator")
        if not package_logger.handlers:
            handler = logging.StreamHandler()
            handler.setFormatter(
                logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s")
            )
            package_logger.addHandler(handler)
            package_logger.setLevel(logging.INFO)
        cli.run(_Options(options))


class _Options:
    """Expose the command's options dict as attributes, as argparse does."""

    def __init__(self, options: dict):
        self.__dict__.update(options)
