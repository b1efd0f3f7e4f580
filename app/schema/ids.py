"""Opaque global IDs: URL-safe base64 of "Type:pk", stable over time.

The key is a row's integer primary key, but for a Session, whose key is
the UUID its access tokens carry (`sid`).
"""

import uuid
from functools import lru_cache

from app.errors import BadUserInput
from app.services import opaque

NODE_TYPES = frozenset({"User", "Contact", "Tag", "ContactMerge"})
UUID_NODE_TYPES = frozenset({"Session"})
# Digits of the largest key a 64-bit column holds. A longer number names no
# row, and int() refuses one of over 4,300 digits (ValueError): it stands
# for BEYOND_EVERY_PK, which every look-up finds missing.
PK_DIGITS = len(str(2**63 - 1))
BEYOND_EVERY_PK = 2**63


@lru_cache(maxsize=4096)
def to_global_id(type_name: str, pk: int | str) -> str:
    """Cached: a page of contacts repeats the same few tags many times."""
    return opaque.encode(f"{type_name}:{pk}")


def from_global_id(global_id: str, argument: str = "id") -> tuple[str, int | str]:
    """The (type name, key) an ID stands for: an int primary key, or a str
    for the UUID_NODE_TYPES. BAD_USER_INPUT if it is not one of ours, spelt
    as `to_global_id` spells it (opaque.decode refuses other spellings of
    the same text, and a UUID is read in its lower-case form only)."""
    try:
        type_name, _, raw_pk = opaque.decode(global_id).partition(":")
    except ValueError:
        type_name, raw_pk = "", ""
    if type_name in NODE_TYPES and _is_canonical_number(raw_pk):
        return type_name, int(raw_pk) if len(raw_pk) <= PK_DIGITS else BEYOND_EVERY_PK
    if type_name in UUID_NODE_TYPES and _is_canonical_uuid(raw_pk):
        return type_name, raw_pk
    raise BadUserInput(f"`{argument}` is not a valid ID.")


def uuid_of(global_id: str, type_name: str, argument: str = "id") -> str | None:
    """The UUID key if the ID names a `type_name` keyed by one (a Session),
    else None; BAD_USER_INPUT if it is not one of our IDs."""
    found_type, key = from_global_id(global_id, argument)
    return key if found_type == type_name and isinstance(key, str) else None


def _is_canonical_uuid(text: str) -> bool:
    """A UUID as str(uuid.UUID) writes it: lower-case hex with hyphens."""
    try:
        return str(uuid.UUID(text)) == text
    except ValueError:
        return False


def _is_canonical_number(text: str) -> bool:
    """ASCII digits as str(int) writes them: no sign, no leading zero."""
    return text.isascii() and text.isdigit() and (text[0] != "0" or text == "0")


def pk_of(global_id: str, type_name: str, argument: str = "id") -> int | None:
    """The primary key if the ID names a `type_name`, else None."""
    found_type, pk = from_global_id(global_id, argument)
    return pk if found_type == type_name and isinstance(pk, int) else None
