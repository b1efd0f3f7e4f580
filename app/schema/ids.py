"""Opaque global IDs: URL-safe base64 of "Type:pk", stable over time."""

import base64
import binascii
import re

from app.errors import BadUserInput

NODE_TYPES = frozenset({"User", "Contact", "Tag"})
# Python's base64 decoder skips characters outside the alphabet, so an ID
# with junk inside would still decode: only the alphabet itself is accepted.
BASE64URL = re.compile(r"[A-Za-z0-9_-]+={0,2}")


def to_global_id(type_name: str, pk: int) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{pk}".encode()).decode().rstrip("=")


def from_global_id(global_id: str, argument: str = "id") -> tuple[str, int]:
    """The (type name, primary key) an ID stands for; BAD_USER_INPUT if it is
    not one of ours."""
    try:
        if not BASE64URL.fullmatch(global_id):
            raise ValueError("not base64url")
        padded = global_id + "=" * (-len(global_id) % 4)
        decoded = base64.urlsafe_b64decode(padded.encode("ascii")).decode()
        type_name, _, raw_pk = decoded.partition(":")
        if type_name in NODE_TYPES and raw_pk.isascii() and raw_pk.isdigit():
            return type_name, int(raw_pk)
    except (ValueError, UnicodeError, binascii.Error):
        pass
    raise BadUserInput(f"`{argument}` is not a valid ID.")


def pk_of(global_id: str, type_name: str, argument: str = "id") -> int | None:
    """The primary key if the ID names a `type_name`, else None."""
    found_type, pk = from_global_id(global_id, argument)
    return pk if found_type == type_name else None
