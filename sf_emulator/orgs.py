"""Creating orgs: validating their configuration, the admin user, the demo org.

An org's configuration is plain JSON stored with it. It lists custom fields
per object and picklist overrides keyed "Object.Field". It also sets whether
the standard duplicate rules are on, sets the daily API request limit, and
may name the user that the lead assignment rule gives new Leads to.
"""

import logging
import re
import secrets

from sf_emulator import dml, ids, schema, validation
from sf_emulator.storage import Storage

logger = logging.getLogger(__name__)

DEMO_ORG_NAME = "Artisan Demo Org"
DEMO_USERNAME = "admin@demo-org.example"
# The demo login is public by design because the emulator contains no real data.
DEMO_PASSWORD = "demo-password"  # noqa: S105
DEFAULT_API_LIMIT = 15000
CONFIG_KEYS = {
    "name",
    "custom_fields",
    "picklists",
    "duplicate_rules",
    "api_limit",
    "username",
    "password",
    "email",
    "first_name",
    "last_name",
}


class InvalidConfig(ValueError):
    """An org or user configuration that the control API rejects."""


def validate_config(config: object) -> dict:
    """Return the stored form of an org configuration, or raise InvalidConfig."""
    if not isinstance(config, dict):
        raise InvalidConfig("the org configuration must be a JSON object")
    unknown = sorted(set(config) - CONFIG_KEYS)
    if unknown:
        raise InvalidConfig(f"unknown org configuration keys: {', '.join(unknown)}")
    custom_fields = config.get("custom_fields", {})
    if not isinstance(custom_fields, dict):
        raise InvalidConfig("custom_fields must map object names to lists of fields")
    for object_name, fields in custom_fields.items():
        spec = schema.STANDARD_OBJECTS.get(object_name)
        if spec is None or not spec.createable:
            raise InvalidConfig(f"cannot add custom fields to {object_name!r}")
        if not isinstance(fields, list):
            raise InvalidConfig(f"custom_fields[{object_name!r}] must be a list")
        for field_config in fields:
            problem = schema.validate_custom_field_config(object_name, field_config)
            if problem:
                raise InvalidConfig(problem)
    stored = {
        "custom_fields": custom_fields,
        "picklists": {},
        "duplicate_rules": bool(config.get("duplicate_rules", True)),
        "api_limit": config.get("api_limit", DEFAULT_API_LIMIT),
        "assignment_rule_owner": None,
    }
    if not isinstance(stored["api_limit"], int) or stored["api_limit"] < 0:
        raise InvalidConfig("api_limit must be a non-negative integer")
    stored["picklists"] = _validate_picklists(config.get("picklists", {}), stored)
    return stored


def _validate_picklists(picklists: object, stored: dict) -> dict:
    if not isinstance(picklists, dict):
        raise InvalidConfig("picklists must map 'Object.Field' to a picklist")
    for key, picklist in picklists.items():
        object_name, _, field_name = key.partition(".")
        object_schema = schema.object_schema(object_name, stored)
        spec = object_schema.fields.get(field_name) if object_schema else None
        if spec is None or spec.type not in ("picklist", "multipicklist"):
            raise InvalidConfig(f"{key!r} is not a picklist field")
        if not isinstance(picklist, dict) or not isinstance(
            picklist.get("values"), list
        ):
            raise InvalidConfig(f"picklist {key!r} needs a 'values' list")
        values = [
            value["value"] if isinstance(value, dict) else value
            for value in picklist["values"]
        ]
        if not values or not all(isinstance(value, str) for value in values):
            raise InvalidConfig(f"picklist {key!r} needs at least one string value")
        for option in ("default", "converted"):
            if picklist.get(option) is not None and picklist[option] not in values:
                raise InvalidConfig(
                    f"{option} {picklist[option]!r} of picklist {key!r} is not one "
                    "of its values"
                )
    return picklists


def create_org(storage: Storage, config: dict) -> dict:
    """Create an org with its admin user; return its id and the admin's login."""
    stored = validate_config(config)
    name = config.get("name") or "Emulated Org"
    org_id = ids.new_id("Organization")
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "org"
    username = config.get("username") or f"admin@{slug}-{org_id[-6:].lower()}.example"
    password = config.get("password") or secrets.token_urlsafe(12)
    with storage.transaction():
        storage.create_org(org_id, name, stored)
        user_id = create_user(
            storage,
            org_id,
            username=username,
            password=password,
            email=config.get("email") or username,
            first_name=config.get("first_name", "Admin"),
            last_name=config.get("last_name", "User"),
            company=name,
        )
    logger.info("Created org %s (%s) with admin user %s", org_id, name, user_id)
    return {
        "org_id": org_id,
        "username": username,
        "password": password,
        "user_id": user_id,
    }


def create_user(
    storage: Storage,
    org_id: str,
    *,
    username: str,
    password: str,
    email: str,
    first_name: str | None,
    last_name: str,
    company: str | None = None,
) -> str:
    """Create a user who can log in to the org; return the user id."""
    if not validation.EMAIL_PATTERN.match(username):
        raise InvalidConfig(f"username {username!r} must have the form of an email")
    if storage.username_taken(username):
        raise InvalidConfig(f"username {username!r} is already taken")
    user_id = ids.new_id("User")
    timestamp = validation.now()
    record = {spec.name: None for spec in schema.USER.fields}
    record.update(
        Id=user_id,
        Username=username,
        FirstName=first_name,
        LastName=last_name,
        Name=" ".join(part for part in (first_name, last_name) if part),
        CompanyName=company,
        Email=email,
        Alias=(((first_name or "")[:1] + last_name)[:8]).lower(),
        IsActive=True,
        UserType="Standard",
        CreatedDate=timestamp,
        CreatedById=user_id,
        LastModifiedDate=timestamp,
        LastModifiedById=user_id,
        SystemModstamp=timestamp,
    )
    with storage.transaction():
        storage.create_user(org_id, user_id, username, password)
        storage.insert_record(org_id, "User", record)
    return user_id


def ensure_demo_org(storage: Storage) -> None:
    """Create the demo org on the first start of an empty data directory."""
    if storage.has_orgs():
        return
    created = create_org(
        storage,
        {
            "name": DEMO_ORG_NAME,
            "username": DEMO_USERNAME,
            "password": DEMO_PASSWORD,
            "first_name": "Demo",
            "last_name": "Admin",
        },
    )
    logger.info("Created the demo org %s", created["org_id"])


def org_context(storage: Storage, org_id: str) -> dml.OrgContext | None:
    """Return a context acting as the org's first (admin) user."""
    org = storage.org(org_id)
    if org is None:
        return None
    users = storage.records(org_id, "User")
    return dml.OrgContext(storage=storage, org=org, user_id=users[0]["Id"])
