"""Saving an account's export config, with a history entry for every change.

`update_export_config` is the one way the admin, the settings page and code
change an `ExportConfig`, so every change leaves an `ExportConfigChange`
that records who changed what, when, from what to what.
"""

import json
import logging
from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import transaction

from exports.config import advanced_config_problems
from exports.models import ExportConfig, ExportConfigChange

logger = logging.getLogger(__name__)

EDITABLE_FIELDS = (
    "object_mapping",
    "export_trigger",
    "apply_assignment_rules",
    "advanced_config",
)


def update_export_config(
    account,
    *,
    changes: Mapping[str, object],
    user=None,
    source: str = ExportConfigChange.Source.CODE,
) -> ExportConfig:
    """Apply `changes` (field name → new value) to the account's config and save it.

    Raises ValidationError naming the field when a value is invalid.
    """
    unknown = sorted(set(changes) - set(EDITABLE_FIELDS))
    if unknown:
        raise ValueError(
            f"Cannot change {', '.join(unknown)} of an export config; the editable "
            f"fields are {', '.join(EDITABLE_FIELDS)}."
        )
    if "advanced_config" in changes:
        problems = advanced_config_problems(changes["advanced_config"])
        if problems:
            raise ValidationError({"advanced_config": problems})

    with transaction.atomic():
        config, _ = ExportConfig.objects.select_for_update().get_or_create(
            account=account
        )
        before = _snapshot(config)
        for name, value in changes.items():
            setattr(config, name, value)
        # Only the changed fields are checked, so an advanced configuration that
        # an older schema accepted does not block a change of the object mapping.
        config.clean_fields(exclude=[f for f in EDITABLE_FIELDS if f not in changes])
        diff = config_diff(before, _snapshot(config))
        if not diff:
            return config
        config.save()
        ExportConfigChange.objects.create(
            export_config=config, changed_by=user, source=source, changes=diff
        )
    logger.info(
        "Export config of account %s changed: %s",
        account.slug,
        ", ".join(entry["path"] for entry in diff),
        extra={"account_id": account.pk, "user_id": getattr(user, "pk", None)},
    )
    return config


def _snapshot(config: ExportConfig) -> dict:
    # Through JSON, so that a choice enum and its plain string compare equal.
    values = {name: getattr(config, name) for name in EDITABLE_FIELDS}
    return json.loads(json.dumps(values))


def config_diff(before: object, after: object, path: str = "") -> list[dict]:
    """Return the differences of two JSON values, key by key inside objects.

    Each entry contains `path`, `change` ("added", "removed" or "changed"),
    `from` and `to`. Lists are compared whole.
    """
    if isinstance(before, dict) and isinstance(after, dict):
        entries = []
        for key in [*before, *(key for key in after if key not in before)]:
            inner = f"{path}.{key}" if path else str(key)
            if key not in after:
                entries.append(_entry(inner, "removed", before[key], None))
            elif key not in before:
                entries.append(_entry(inner, "added", None, after[key]))
            else:
                entries.extend(config_diff(before[key], after[key], inner))
        return entries
    if before == after and type(before) is type(after):
        return []
    return [_entry(path, "changed", before, after)]


def _entry(path: str, change: str, before: object, after: object) -> dict:
    return {"path": path, "change": change, "from": before, "to": after}
