"""What a contact file is: its text encoding and its format.

Exports in the wild are UTF-8, UTF-8 with a byte-order mark (Outlook,
Excel) or UTF-16 with one (Outlook's "Unicode CSV"); a BOM settles the
encoding, and without one the file is read as UTF-8. The format follows
from the first line that is not blank: a vCard begins `BEGIN:VCARD`, any
other text is taken for a CSV header row.
"""

from __future__ import annotations

import codecs
import io
from enum import Enum
from typing import Any, BinaryIO, TextIO

BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# A BOM that survived decoding (a string from JSON, say) is not content.
BOM_CHARACTER = "\ufeff"


class Format(Enum):
    VCARD = "VCARD"
    CSV = "CSV"


def encoding_of(head: bytes) -> str:
    """The encoding a file starting with `head` is read in."""
    for bom, encoding in BOMS:
        if head.startswith(bom):
            return encoding
    return "utf-8"


def decode(data: bytes) -> str:
    """`data` as text, by its BOM (which does not stay in the text)."""
    return data.decode(encoding_of(data[:3]))


def open_text(stream: BinaryIO) -> TextIO:
    """`stream` (a file opened "rb") read as text, by its BOM, without
    reading it whole: a file far larger than memory is read a buffer at a
    time. Line endings are kept as written (CSV and vCard both need them).

    The BOM is read, not peeked: a pipe may hand out fewer bytes than a
    BOM in one read, and `peek` does only one."""
    head = stream.read(len(codecs.BOM_UTF8))
    whole = io.BufferedReader(_Rewound(head, stream))
    return io.TextIOWrapper(whole, encoding=encoding_of(head), newline="")


class _Rewound(io.RawIOBase):
    """`head`, the bytes already read from `rest`, then the rest of it."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self.head = head
        self.rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.head:
            size = min(len(buffer), len(self.head))
            buffer[:size] = self.head[:size]
            self.head = self.head[size:]
            return size
        data = self.rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self.rest.close()
        super().close()


def without_bom(text: str) -> str:
    return text.removeprefix(BOM_CHARACTER)


def detect(text: str) -> Format:
    """The format of a file whose text starts with `text` (a few hundred
    characters are enough)."""
    first_line = next(
        (line for line in without_bom(text).splitlines() if line.strip()), ""
    )
    if first_line.strip().upper().startswith("BEGIN:VCARD"):
        return Format.VCARD
    return Format.CSV
