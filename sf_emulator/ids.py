"""Salesforce record ids: key prefixes, the 15 to 18 character checksum, new ids.

A Salesforce id is 15 case-sensitive characters (a 3-character key prefix naming
the object, then the record part). The REST API returns the 18-character form,
which appends a 3-character checksum encoding the case of the first 15, so the
18-character form can be compared case-insensitively. Both forms are accepted
as input.
"""

import itertools
import secrets
import string
import threading

# Prefixes that Salesforce uses. EmailMessageRelation and LeadStatus prefixes
# are not documented, so the emulator picks its own for them.
KEY_PREFIXES = {
    "Account": "001",
    "Contact": "003",
    "User": "005",
    "Opportunity": "006",
    "Organization": "00D",
    "Lead": "00Q",
    "Task": "00T",
    "Event": "00U",
    "LeadStatus": "01J",
    "EmailMessage": "02s",
    # NOTE: unverified prefix; no public source lists EmailMessageRelation's.
    "EmailMessageRelation": "0Ep",
    "Case": "500",
    "Campaign": "701",
    # Query locators (the part before "-" in nextRecordsUrl) look like ids too.
    "QueryLocator": "01g",
}
OBJECT_BY_PREFIX = {prefix: name for name, prefix in KEY_PREFIXES.items()}

_ID_CHARS = string.ascii_letters + string.digits
_CHECKSUM_CHARS = string.ascii_uppercase + "012345"
_sequence = itertools.count(1)
_sequence_lock = threading.Lock()


def checksum(id15: str) -> str:
    """Return the 3-character suffix that turns a 15-character id into 18."""
    suffix = ""
    for block_start in range(0, 15, 5):
        bits = 0
        for position, char in enumerate(id15[block_start : block_start + 5]):
            if char.isupper():
                bits |= 1 << position
        suffix += _CHECKSUM_CHARS[bits]
    return suffix


def to_18(id15: str) -> str:
    return id15 + checksum(id15)


def normalize(value: object) -> str | None:
    """Return the canonical 18-character id for a 15 or 18 character id.

    An 18-character id may come in any letter case because its checksum
    restores the case of the first 15 characters. Returns None when the value
    is not a well-formed id.
    """
    if not isinstance(value, str) or not value.isalnum() or not value.isascii():
        return None
    if len(value) == 15:
        return to_18(value)
    if len(value) != 18:
        return None
    suffix = value[15:].upper()
    if any(char not in _CHECKSUM_CHARS for char in suffix):
        return None
    restored = []
    for block, suffix_char in enumerate(suffix):
        bits = _CHECKSUM_CHARS.index(suffix_char)
        for position, char in enumerate(value[block * 5 : block * 5 + 5]):
            if bits & (1 << position):
                if not char.isalpha():
                    return None
                restored.append(char.upper())
            else:
                restored.append(char.lower())
    return to_18("".join(restored))


def object_type(record_id: str) -> str | None:
    """Return the object name for an id's key prefix, or None if unknown."""
    return OBJECT_BY_PREFIX.get(record_id[:3])


def new_id(object_name: str) -> str:
    """Return a new, unique 18-character id for a record of object_name.

    After the prefix come 2 random characters, which keep ids from different
    data directories apart, then a process-wide sequence in base 62 with a
    random tail so that ids mix letter cases as real ones do.
    """
    with _sequence_lock:
        number = next(_sequence)
    digits = ""
    while number:
        number, remainder = divmod(number, 62)
        digits = _ID_CHARS[remainder] + digits
    random_part = "".join(secrets.choice(_ID_CHARS) for _ in range(2))
    tail_length = 10 - len(digits)
    tail = "".join(secrets.choice(_ID_CHARS) for _ in range(tail_length))
    return to_18(KEY_PREFIXES[object_name] + random_part + tail + digits)
