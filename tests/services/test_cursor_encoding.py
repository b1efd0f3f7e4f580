"""Cursors and global IDs are written with orjson and binascii on the hot
path: byte for byte what the standard library's encoders give, so that a
cursor stays the same string whichever way it was made."""

from __future__ import annotations

import base64
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from app.services import opaque
from app.services.contact_queries import COMPACT_JSON, compact_json

SORT_KEYS = st.one_of(st.text(), st.characters(max_codepoint=127).map(lambda c: c * 3))


@settings(max_examples=500, deadline=None)
@given(key=SORT_KEYS, row_id=st.integers(min_value=1, max_value=2**63 - 1))
def test_compact_json_is_the_standard_encoding(key: str, row_id: int) -> None:
    value = ["LAST_NAME", key, row_id]

    assert compact_json(value) == COMPACT_JSON(value).encode()


def test_compact_json_escapes_what_orjson_would_not() -> None:
    for key in ("\x7f", "café", "\ud800", "\x1f"):
        assert compact_json([key]) == json.dumps([key]).encode()


@settings(max_examples=500, deadline=None)
@given(data=st.binary())
def test_encode_bytes_is_url_safe_base64_without_padding(data: bytes) -> None:
    expected = base64.urlsafe_b64encode(data).decode().rstrip("=")

    assert opaque.encode_bytes(data) == expected


@settings(max_examples=200, deadline=None)
@given(text=st.text(min_size=1))
def test_encoded_text_decodes_to_itself(text: str) -> None:
    assert opaque.decode(opaque.encode(text)) == text
