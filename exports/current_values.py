"""Reading the current values of matched records before they are overwritten.

Planning compares these values with Artisan's and PATCHes only what differs.
One SOQL query per object per chunk of ids, never one per record.
"""

import re
from collections.abc import Mapping

from exports.lookup import chunked_queries

# Field names come from the org's describe, but they are placed into SOQL
# unquoted, so anything beyond an API name's characters is rejected.
FIELD_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def read_current_values(
    client, wanted: Mapping[str, Mapping[str, list[str]]]
) -> dict[str, dict[str, object]]:
    """Return record id → field → value for `wanted` (object → id → fields).

    Records that no longer exist are missing from the result.
    """
    values: dict[str, dict[str, object]] = {}
    for sobject, records in wanted.items():
        fields = sorted({name for names in records.values() for name in names})
        if not records or not fields:
            continue
        for name in (sobject, *fields):
            if not FIELD_NAME.match(name):
                raise ValueError(
                    f"{name!r} is not an API name; it cannot go into SOQL."
                )
        # Names were checked above; the ids are quoted by format_soql.
        columns = ", ".join(fields)
        template = f"SELECT Id, {columns} FROM {sobject} WHERE Id IN {{}}"  # noqa: S608
        for soql in chunked_queries(template, sorted(records)):
            for row in client.query(soql):
                values[row["Id"]] = {
                    name: value for name, value in row.items() if name != "attributes"
                }
    return values
