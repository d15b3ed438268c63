"""The edits rules propose, built on the syntax tree: each one changes exact byte ranges only.

A fix never re-prints a line: it removes a pair or an item with its comma, inserts an option
after another, replaces one value, or adds a line. So comments, indentation, quote style and
line endings around it stay as the user wrote them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vagrantkit.vagrantfile.source import Edit, Source
from vagrantkit.vagrantfile.syntax import inside

if TYPE_CHECKING:
    from tree_sitter import Node

_LITERALS = ("string", "heredoc_body", "heredoc_content", "string_content", "string_array", "regex", "subshell")


def replace(node: Node, new: str) -> Edit:
    return Edit(node.start_byte, node.end_byte, new.encode("utf-8"))


def insert_after(node: Node, new: str) -> Edit:
    return Edit(node.end_byte, node.end_byte, new.encode("utf-8"))


def _horizontal_space(code: bytes, at: int, step: int) -> int:
    """Move from ``at`` over spaces and tabs, forwards (step 1) or backwards (step -1)."""
    while 0 <= at + (0 if step > 0 else -1) < len(code) and code[at + (0 if step > 0 else -1)] in b" \t":
        at += step
    return at


def _separator(node: Node, forward: bool) -> Node | None:
    sibling = node.next_sibling if forward else node.prev_sibling
    return sibling if sibling is not None and sibling.type == "," else None


def remove_items(source: Source, nodes: list[Node], *, words: bool = False) -> list[Edit]:
    """Remove items of a list (call arguments, hash pairs, array elements) with their separators.

    An item takes the comma after it, or the comma before it when it is the last one. A line that
    is left holding only whitespace goes whole; one that keeps a comment keeps it. ``words``:
    items of ``%w(...)``, separated by whitespace.
    """
    code = source.code
    ranges: list[tuple[int, int]] = []
    taken = {(n.start_byte, n.end_byte) for n in nodes}
    for node in nodes:
        if words:
            end = _horizontal_space(code, node.end_byte, 1)
            start = node.start_byte if end > node.end_byte else _horizontal_space(code, node.start_byte, -1)
            ranges.append((start, end))
            continue
        after = _separator(node, True)
        before = _separator(node, False)
        following = after.next_sibling if after is not None else None
        if after is not None and not (following is not None and (following.start_byte, following.end_byte) in taken):
            ranges.append((node.start_byte, _horizontal_space(code, after.end_byte, 1)))
        elif before is not None:
            ranges.append((before.start_byte, before.end_byte))
            ranges.append((_horizontal_space(code, node.start_byte, -1), node.end_byte))
        elif after is not None:
            ranges.append((node.start_byte, _horizontal_space(code, after.end_byte, 1)))
        else:
            ranges.append((node.start_byte, node.end_byte))
    return _collapse(source, _merge(ranges))


def _merge(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _collapse(source: Source, ranges: list[tuple[int, int]]) -> list[Edit]:
    """Deletions; a line they leave blank (that was not blank) is deleted whole, line ending included."""
    by_line: dict[int, list[tuple[int, int]]] = {}
    for start, end in ranges:
        by_line.setdefault(source.line_of(start), []).append((start, end))
    out: list[tuple[int, int]] = []
    for line, cuts in by_line.items():
        first, last = source.line_start(line), source.line_end(line)
        if any(end > last for _, end in cuts):
            out.extend(cuts)  # a cut that runs into the next line: keep it as it is
            continue
        kept, at = b"", first
        for start, end in cuts:
            kept += source.code[at:start]
            at = end
        kept += source.code[at:last]
        if kept.strip() or not source.code[first:last].strip():
            out.extend(cuts)
        else:
            following = source.line_start(line + 1) if source.line_of(len(source.code)) > line else len(source.code)
            out.append((first, following))
    return [Edit(start, end, b"") for start, end in _merge(out)]


def in_literal(node: Node | None) -> bool:
    """``node`` lies inside a string, heredoc or regex (where indentation is content)."""
    return inside(node, _LITERALS)


def wrap(source: Source, root: Node, statement: Node, opening: str, closing: str = "end") -> list[Edit] | None:
    """Put ``statement`` inside ``opening`` ... ``closing``, indented one level more; None when the
    statement does not stand on lines of its own."""
    first, last = source.line_of(statement.start_byte), source.line_of(statement.end_byte)
    if not source.starts_line(statement.start_byte) or source.code[statement.end_byte : source.line_end(last)].strip(
        b" \t"
    ).startswith((b";",)):
        return None
    indent = source.indent_of(statement.start_byte)
    unit = b"\t" if indent.startswith(b"\t") else b"  "
    nl = source.newline
    start = source.line_start(first)
    edits = [Edit(start, start, indent + opening.encode("utf-8") + nl + unit)]
    for line in range(first + 1, last + 1):
        at = source.line_start(line)
        if not in_literal(root.descendant_for_byte_range(at, at)):
            edits.append(Edit(at, at, unit))
    end = source.line_end(last)
    edits.append(Edit(end, end, nl + indent + closing.encode("utf-8")))
    return edits


def line_before(source: Source, statement: Node, new: str) -> Edit:
    """A new line ``new`` above ``statement``, with its indentation."""
    at = source.line_start(source.line_of(statement.start_byte))
    return Edit(at, at, source.indent_of(statement.start_byte) + new.encode("utf-8") + source.newline)
