"""Opaque strings for clients (global IDs, cursors): URL-safe base64 of
UTF-8 text, without padding, decoded strictly: only the spelling `encode`
gives is read, so that one value has one opaque string."""

import base64
import binascii
import re

# Python's base64 decoder skips characters outside the alphabet, so
# "<id>\0" or "<cur sor>" would decode as the valid value: only the alphabet
# itself is accepted (`encode` writes no padding).
BASE64URL = re.compile(r"[A-Za-z0-9_-]+")


# base64's alphabet to the URL-safe one: what urlsafe_b64encode does, less
# its Python wrapper (a page encodes two opaque strings a contact).
_URL_SAFE = bytes.maketrans(b"+/", b"-_")


def encode(text: str) -> str:
    return encode_bytes(text.encode())


def encode_bytes(data: bytes) -> str:
    """`encode` of the text whose UTF-8 is `data`."""
    return (
        binascii.b2a_base64(data, newline=False)
        .translate(_URL_SAFE)
        .rstrip(b"=")
        .decode()
    )


def decode(opaque: str) -> str:
    """The text `encode` made `opaque` from; ValueError if it is not one.
    Other spellings of the same bytes (padding, or set bits in the last
    character's unused low bits) are refused too: with them, one object
    would answer to several IDs."""
    if not BASE64URL.fullmatch(opaque):
        raise ValueError("not URL-safe base64")
    padded = opaque + "=" * (-len(opaque) % 4)
    try:
        data = base64.urlsafe_b64decode(padded)
        text = data.decode()
    except (binascii.Error, UnicodeDecodeError) as error:
        raise ValueError("not URL-safe base64 of UTF-8 text") from error
    if encode_bytes(data) != opaque:
        raise ValueError("not the canonical spelling")
    return text
