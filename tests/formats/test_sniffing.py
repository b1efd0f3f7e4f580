"""A contact file's encoding and format (app/formats/sniffing.py): text
decoded by its byte-order mark, whole or streamed, and the format told
from the first line that is not blank."""

from __future__ import annotations

import io
from typing import Any

import pytest

from app.formats.sniffing import Format, decode, detect, open_text

TEXT = 'First Name,Notes\r\nЖанна 山田 ✓,"two\r\nlines"\n'
ENCODED = [
    pytest.param(TEXT.encode("utf-8"), id="utf-8"),
    pytest.param(b"\xef\xbb\xbf" + TEXT.encode("utf-8"), id="utf-8 with BOM"),
    pytest.param(b"\xff\xfe" + TEXT.encode("utf-16-le"), id="utf-16 LE with BOM"),
    pytest.param(b"\xfe\xff" + TEXT.encode("utf-16-be"), id="utf-16 BE with BOM"),
]


class Trickle(io.RawIOBase):
    """A raw stream that hands out one byte per read, as a pipe may."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if not self.data:
            return 0
        buffer[0] = self.data[0]
        self.data = self.data[1:]
        return 1


@pytest.mark.parametrize("data", ENCODED)
def test_decode(data: bytes) -> None:
    assert decode(data) == TEXT


@pytest.mark.parametrize("data", ENCODED)
def test_open_text_reads_lines_as_written(data: bytes) -> None:
    with open_text(io.BufferedReader(io.BytesIO(data))) as text:
        assert list(text) == [
            "First Name,Notes\r\n",
            'Жанна 山田 ✓,"two\r\n',
            'lines"\n',
        ]


@pytest.mark.parametrize("data", ENCODED)
def test_open_text_from_a_stream_that_trickles(data: bytes) -> None:
    with open_text(io.BufferedReader(Trickle(data))) as text:
        assert text.read() == TEXT


def test_open_text_of_an_empty_file() -> None:
    with open_text(io.BufferedReader(io.BytesIO(b""))) as text:
        assert text.read() == ""


VCARD = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ada\r\nEND:VCARD\r\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (VCARD, Format.VCARD),
        ("\ufeff\r\n \r\n\tbegin:vcard\r\nVERSION:4.0\r\n", Format.VCARD),
        (decode(b"\xef\xbb\xbf\r\n\r\n" + VCARD.encode()), Format.VCARD),
        (decode(b"\xff\xfe" + ("\n" + VCARD).encode("utf-16-le")), Format.VCARD),
        (TEXT, Format.CSV),
        ("\ufeffFirst Name,Last Name\r\nBEGIN:VCARD\r\n", Format.CSV),
        ("", Format.CSV),
    ],
)
def test_detect(text: str, expected: Format) -> None:
    assert detect(text) is expected
