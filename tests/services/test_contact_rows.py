"""The listing's plain-row records: lists not loaded refuse to be read."""

from __future__ import annotations

import pytest

from app.services.contact_rows import UNLOADED, UNREAD


@pytest.mark.parametrize(
    "read",
    [list, len, lambda items: items[0], lambda items: "x" in items],
    ids=["iterate", "len", "index", "contains"],
)
def test_an_unloaded_list_refuses_to_be_read(read: object) -> None:
    with pytest.raises(LookupError, match="not loaded"):
        read(UNLOADED)  # type: ignore[operator]


def test_unread_fields_say_so() -> None:
    assert repr(UNREAD) == "UNREAD"
