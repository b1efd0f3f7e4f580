"""Opaque global IDs: URL-safe base64 of "Type:pk", stable over time."""

from functools import lru_cache

from app import opaque
from app.errors import BadUserInput

NODE_TYPES = frozenset({"User", "Contact", "Tag"})


@lru_cache(maxsize=4096)
def to_global_id(type_name: str, pk: int) -> str:
    """Cached: a page of contacts repeats the same few tags many times."""
    return opaque.encode(f"{type_name}:{pk}")


def from_global_id(global_id: str, argument: str = "id") -> tuple[str, int]:
    """The (type name, primary key) an ID stands for; BAD_USER_INPUT if it is
    not one of ours."""
    try:
        type_name, _, raw_pk = opaque.decode(global_id).partition(":")
    except ValueError:
        type_name, raw_pk = "", ""
    if type_name in NODE_TYPES and raw_pk.isascii() and raw_pk.isdigit():
        return type_name, int(raw_pk)
    raise BadUserInput(f"`{argument}` is not a valid ID.")


def pk_of(global_id: str, type_name: str, argument: str = "id") -> int | None:
    """The primary key if the ID names a `type_name`, else None."""
    found_type, pk = from_global_id(global_id, argument)
    return pk if found_type == type_name else None
