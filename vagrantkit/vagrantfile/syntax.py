"""tree-sitter's Ruby grammar, loaded on first use, and what a node means as a Ruby value.

Nothing here runs Ruby: a value is read off the syntax tree when it is a literal (a string
without interpolation, a symbol, a number, true/false/nil, an array or hash of those) and is
:data:`COMPUTED` otherwise (a variable, a method call, YAML): the linter never guesses at it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tree_sitter import Node, Parser, Query, Tree


class _Computed:
    """A value only running the Vagrantfile would know."""

    def __repr__(self) -> str:
        return "COMPUTED"


COMPUTED: Any = _Computed()


@dataclass(frozen=True)
class Symbol:
    """A Ruby symbol (``:nfs``), kept apart from the string ``"nfs"``."""

    name: str

    def __str__(self) -> str:
        return self.name


@cache
def _language() -> Any:
    import tree_sitter
    import tree_sitter_ruby

    return tree_sitter.Language(tree_sitter_ruby.language())


def parser() -> Parser:
    import tree_sitter

    return tree_sitter.Parser(_language())


@cache
def query(pattern: str) -> Query:
    import tree_sitter

    return tree_sitter.Query(_language(), pattern)


def captures(pattern: str, node: Node) -> dict[str, list[Node]]:
    """The nodes under ``node`` that each capture of ``pattern`` names, in source order."""
    import tree_sitter

    found = tree_sitter.QueryCursor(query(pattern)).captures(node)
    return {name: sorted(nodes, key=lambda n: n.start_byte) for name, nodes in found.items()}


def parse(code: bytes) -> Tree:
    return parser().parse(code)


def text(node: Node) -> str:
    return (node.text or b"").decode("utf-8", errors="replace")


# Escapes a double-quoted Ruby string may hold, read as Ruby reads them (others: COMPUTED).
_ESCAPES = {"n": "\n", "t": "\t", "s": " ", "0": "\0", "e": "\x1b", "r": "\r", "a": "\a", "b": "\b"}


def _string(node: Node) -> Any:
    parts = []
    single = (node.text or b"").startswith((b"'", b"%q"))
    for child in node.named_children:
        if child.type == "string_content":
            content = text(child)
            parts.append(content.replace("\\\\", "\\").replace("\\'", "'") if single else content)
        elif child.type == "escape_sequence":
            escaped = text(child)[1:]
            if escaped in _ESCAPES:
                parts.append(_ESCAPES[escaped])
            elif len(escaped) == 1 and not escaped.isalnum():
                parts.append(escaped)
            else:
                return COMPUTED
        else:  # interpolation
            return COMPUTED
    return "".join(parts)


def literal(node: Node | None) -> Any:
    """The Python value of a Ruby literal node, or :data:`COMPUTED`."""
    if node is None:
        return COMPUTED
    kind = node.type
    if kind == "string":
        return _string(node)
    if kind == "chained_string":
        parts = [literal(child) for child in node.named_children]
        return COMPUTED if any(p is COMPUTED for p in parts) else "".join(parts)
    if kind in ("simple_symbol", "hash_key_symbol"):
        return Symbol(text(node).strip(":"))
    if kind == "delimited_symbol":
        value = _string(node)
        return value if value is COMPUTED else Symbol(value)
    if kind == "integer":
        try:
            return int(text(node).replace("_", ""), 0)
        except ValueError:
            return COMPUTED
    if kind == "float":
        return float(text(node).replace("_", ""))
    if kind in ("true", "false"):
        return kind == "true"
    if kind == "nil":
        return None
    if kind in ("string_array", "symbol_array"):
        words = [text(child) for child in node.named_children]
        return [Symbol(w) for w in words] if kind == "symbol_array" else words
    if kind == "array":
        items = [literal(child) for child in elements(node)]
        return COMPUTED if any(i is COMPUTED for i in items) else items
    if kind == "hash":
        pairs = {}
        for child in node.named_children:
            if child.type != "pair":
                return COMPUTED
            key = key_name(child)
            if key is None and (node_key := child.child_by_field_name("key")) is not None:
                key = literal(node_key) if node_key.type == "string" else None
            value = literal(child.child_by_field_name("value"))
            if key is None or key is COMPUTED or value is COMPUTED:
                return COMPUTED
            pairs[key] = value
        return pairs
    if kind == "parenthesized_statements" and node.named_child_count == 1:
        return literal(node.named_children[0])
    return COMPUTED


def elements(node: Node) -> list[Node]:
    """The items of an array literal (comments between them left out)."""
    return [child for child in node.named_children if child.type != "comment"]


def key_name(pair: Node) -> str | None:
    """``type`` for ``type: ...``, ``:type => ...`` and ``"type": ...``; None for a key that is not a literal name.

    A string key (``"type" => ...``) is not the symbol Vagrant looks up, so it is not a name here.
    """
    key = pair.child_by_field_name("key")
    if key is None:
        return None
    if key.type == "hash_key_symbol":
        return text(key)
    if key.type == "simple_symbol":
        return text(key)[1:]
    if key.type == "delimited_symbol" or (key.type == "string" and text(pair).lstrip().startswith(text(key) + ":")):
        value = _string(key)
        return None if value is COMPUTED else value
    return None


def truthy(value: Any) -> bool | None:
    """Ruby's truth: everything but ``false`` and ``nil`` is true; None for a computed value."""
    if value is COMPUTED:
        return None
    return value is not False and value is not None


def inside(node: Node | None, types: tuple[str, ...]) -> bool:
    """``node`` or one of its ancestors is of one of ``types``."""
    while node is not None:
        if node.type in types:
            return True
        node = node.parent
    return False


def ancestors(node: Node) -> Iterator[tuple[Node, Node]]:
    """(parent, the child of it on the way to ``node``), from ``node`` up to the root."""
    child = node
    parent = node.parent
    while parent is not None:
        yield parent, child
        child, parent = parent, parent.parent


def same(a: Node | None, b: Node | None) -> bool:
    return (
        a is not None
        and b is not None
        and a.start_byte == b.start_byte
        and a.end_byte == b.end_byte
        and a.type == b.type
    )


def receiver_chain(node: Node) -> list[Node]:
    """``a.b.c`` -> [a, b, c]: the root receiver, then each method name, for a call or an assignment target."""
    names: list[Node] = []
    while node.type == "call":
        method = node.child_by_field_name("method")
        receiver = node.child_by_field_name("receiver")
        if method is None or receiver is None:
            break
        names.append(method)
        node = receiver
    names.append(node)
    return names[::-1]


def call_arguments(call: Node) -> tuple[list[Node], list[Node], bool]:
    """A call's positional arguments, its ``key: value`` pairs (a trailing ``{...}`` hash's too), and
    whether a ``**splat`` or a computed hash may add options that cannot be read."""
    args = call.child_by_field_name("arguments")
    positional: list[Node] = []
    pairs: list[Node] = []
    unknown = False
    children = [] if args is None else args.named_children
    for index, child in enumerate(children):
        if child.type == "pair":
            pairs.append(child)
        elif child.type == "hash_splat_argument":
            unknown = True
        elif child.type == "hash" and index == len(children) - 1:
            pairs.extend(c for c in child.named_children if c.type == "pair")
            unknown = unknown or any(c.type not in ("pair", "comment") for c in child.named_children)
        elif child.type in ("splat_argument", "block_argument"):
            unknown = True
        elif child.type != "comment":
            positional.append(child)
    return positional, pairs, unknown
