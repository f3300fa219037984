"""Create a connected account with an API key in the database of a running stack.

Run as `python -m tests.e2e.accounts` with the stack's environment, so that it
writes to the same database as the web server and the workers. Prints one
line of JSON: {"account_id": …, "api_key": …}.
"""

import argparse
import json
import os
from types import SimpleNamespace

import django


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--slug", required=True)
    parser.add_argument("--org-username", required=True)
    parser.add_argument("--org-password", required=True)
    parser.add_argument("--emulator-url", required=True)
    parser.add_argument("--ca-path", required=True)
    parser.add_argument("--trigger", default="all")
    parser.add_argument("--advanced-config", default="{}", help="JSON object.")
    options = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "artisan_sf.settings")
    django.setup()
    from api.keys import create_api_key
    from exports.models import ExportConfig
    from integrations.connections import store_authorization
    from outreach.models import Account
    from tests.conftest import authorize_org

    account = Account.objects.create(slug=options.slug, name=options.slug.title())
    account.campaigns.create(name="Outbound")
    ExportConfig.objects.create(
        account=account,
        export_trigger=options.trigger,
        advanced_config=json.loads(options.advanced_config),
    )
    emulator = SimpleNamespace(base_url=options.emulator_url, ca_path=options.ca_path)
    org = {"username": options.org_username, "password": options.org_password}
    store_authorization(account, authorize_org(emulator, org))
    _, api_key = create_api_key(account, name="outreach engine")
    print(json.dumps({"account_id": account.pk, "api_key": api_key}))


if __name__ == "__main__":
    main()
