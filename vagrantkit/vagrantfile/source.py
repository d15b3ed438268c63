"""A Vagrantfile's bytes as read, and edits of exact byte ranges of them.

The file is kept as bytes: tree-sitter's positions are byte offsets, and an edit must leave every
byte it does not touch as it was (line endings, a byte-order mark, an encoding that is not UTF-8).
The BOM is set apart before parsing and put back on writing; offsets count from after it.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class Edit:
    """Replace ``source[start:end]`` with ``text`` (an insertion when ``start == end``)."""

    start: int
    end: int
    text: bytes

    def overlaps(self, other: Edit) -> bool:
        """Two edits that cannot both be applied: their ranges share a byte, or both insert at one point."""
        if self.start == self.end == other.start == other.end:
            return True
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True)
class Source:
    """The code of a Vagrantfile (without its BOM) and how its lines end."""

    code: bytes
    bom: bool = False

    @classmethod
    def from_bytes(cls, data: bytes) -> Source:
        if data.startswith(BOM):
            return cls(data[len(BOM) :], True)
        return cls(data)

    @classmethod
    def from_text(cls, text: str) -> Source:
        return cls.from_bytes(text.encode("utf-8"))

    def to_bytes(self) -> bytes:
        return (BOM if self.bom else b"") + self.code

    @cached_property
    def newline(self) -> bytes:
        """``\\r\\n`` when the file's first line ends so, else ``\\n``."""
        first = self.code.find(b"\n")
        return b"\r\n" if first > 0 and self.code[first - 1 : first] == b"\r" else b"\n"

    @cached_property
    def _line_starts(self) -> list[int]:
        starts = [0]
        find = self.code.find
        at = find(b"\n")
        while at >= 0:
            starts.append(at + 1)
            at = find(b"\n", at + 1)
        return starts

    def line_of(self, offset: int) -> int:
        """The 1-based line holding byte ``offset``."""
        return bisect.bisect_right(self._line_starts, offset)

    def column_of(self, offset: int) -> int:
        """The 1-based column (in characters) of byte ``offset``."""
        start = self._line_starts[self.line_of(offset) - 1]
        return len(self.code[start:offset].decode("utf-8", errors="replace")) + 1

    def line_start(self, line: int) -> int:
        return self._line_starts[line - 1]

    def line_end(self, line: int) -> int:
        """The offset of the line's end, before its ``\\r\\n`` or ``\\n``."""
        end = self._line_starts[line] - 1 if line < len(self._line_starts) else len(self.code)
        if end > 0 and self.code[end - 1 : end] == b"\r" and end < len(self.code):
            end -= 1
        return end

    def line_text(self, line: int) -> str:
        return self.code[self.line_start(line) : self.line_end(line)].decode("utf-8", errors="replace")

    def indent_of(self, offset: int) -> bytes:
        """The leading whitespace of the line holding ``offset``."""
        start = self._line_starts[self.line_of(offset) - 1]
        end = start
        while end < len(self.code) and self.code[end : end + 1] in (b" ", b"\t"):
            end += 1
        return self.code[start:end]

    def starts_line(self, offset: int) -> bool:
        """Only whitespace stands before ``offset`` on its line."""
        start = self._line_starts[self.line_of(offset) - 1]
        return not self.code[start:offset].strip()

    def apply(self, edits: Iterable[Edit]) -> Source:
        """The source with the edits made (they must not overlap); a line left blank by them goes whole."""
        ordered = sorted(edits, key=lambda e: (e.start, e.end))
        out: list[bytes] = []
        at = 0
        for edit in ordered:
            out.append(self.code[at : edit.start])
            out.append(edit.text)
            at = edit.end
        out.append(self.code[at:])
        return Source(b"".join(out), self.bom)
