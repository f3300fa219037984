"""What the export needs to know about an org's objects, read from describe.

`ObjectSchema` is plain data, so planning stays pure. `load_schema` is the one
place that calls describe. It caches per org for a few minutes, so the
periodic sweep does not spend an API call per object on every run.
"""

import logging
import threading
import time
from dataclasses import dataclass, field

logger = logging.getLogger(__name__)

SCHEMA_CACHE_SECONDS = 300

# Types whose values are free text that can be shortened to fit. Picklists are
# left out on purpose: a shortened choice would not be a valid choice.
TRUNCATABLE_TYPES = frozenset(
    {"string", "textarea", "url", "phone", "combobox", "encryptedstring"}
)


@dataclass(frozen=True)
class FieldSchema:
    name: str
    type: str
    length: int
    createable: bool = True
    updateable: bool = True
    nillable: bool = True
    defaulted_on_create: bool = False
    restricted_picklist: bool = False
    picklist_values: tuple[str, ...] = ()
    filterable: bool = True
    # For reference fields: the objects it may point to and the name a SOQL
    # path uses to reach them (AccountId -> "Account").
    reference_to: tuple[str, ...] = ()
    relationship_name: str | None = None

    @property
    def is_truncatable(self) -> bool:
        return self.type in TRUNCATABLE_TYPES and self.length > 0


@dataclass(frozen=True)
class ObjectSchema:
    name: str
    fields: dict[str, FieldSchema] = field(default_factory=dict)

    @classmethod
    def from_describe(cls, describe: dict) -> "ObjectSchema":
        fields = {}
        for item in describe.get("fields", []):
            fields[item["name"]] = FieldSchema(
                name=item["name"],
                type=item.get("type", "string"),
                length=item.get("length") or 0,
                createable=item.get("createable", True),
                updateable=item.get("updateable", True),
                nillable=item.get("nillable", True),
                defaulted_on_create=item.get("defaultedOnCreate", False),
                restricted_picklist=item.get("restrictedPicklist", False),
                picklist_values=tuple(
                    value["value"]
                    for value in item.get("picklistValues") or ()
                    if value.get("active", True)
                ),
                filterable=item.get("filterable", True),
                reference_to=tuple(item.get("referenceTo") or ()),
                relationship_name=item.get("relationshipName"),
            )
        return cls(name=describe.get("name", ""), fields=fields)

    def get(self, field_name: str) -> FieldSchema | None:
        return self.fields.get(field_name)


_cache: dict[tuple[str, str], tuple[float, ObjectSchema]] = {}
_cache_lock = threading.Lock()


def load_schema(client, org_id: str, sobject: str) -> ObjectSchema:
    """Return the org's schema of `sobject`, from describe or a recent copy."""
    key = (org_id, sobject)
    now = time.monotonic()
    with _cache_lock:
        cached = _cache.get(key)
    if cached and now - cached[0] < SCHEMA_CACHE_SECONDS:
        return cached[1]

    schema = ObjectSchema.from_describe(client.describe(sobject))
    with _cache_lock:
        _cache[key] = (now, schema)
    logger.info("Loaded describe of %s for org %s", sobject, org_id)
    return schema


def clear_schema_cache() -> None:
    """Forget every cached describe; tests and org reconfiguration call this."""
    with _cache_lock:
        _cache.clear()
