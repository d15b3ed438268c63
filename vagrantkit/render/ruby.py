"""The one filter through which every user value reaches a Vagrantfile.

A Vagrantfile is executable Ruby: a box name or a path that closed its string, or that
interpolated (``#{...}``), would become code. :func:`ruby_literal` renders a value as a
Ruby literal that reads back as exactly that value and can do nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence

# Printable ASCII is kept as typed; everything else becomes \u{...}, so the file is pure
# ASCII and means the same whatever encoding an editor later assumes.
_ESCAPES = {"\\": "\\\\", '"': '\\"', "#": "\\#"}  # '#' would start #{...}, #@ivar, #$global


def ruby_string(text: str, quote: str = '"') -> str:
    """Render ``text`` as a double-quoted Ruby string literal.

    ``quote="'"`` asks for a single-quoted literal (to match a file's style): it is given when
    ``text`` is printable ASCII, where only ``\\`` and ``\'`` need escaping; anything else still
    comes out double-quoted, the only form that can spell every character in ASCII.

    Raises:
        ValueError: ``text`` holds a lone surrogate, which is not a character Ruby can hold.
    """
    if quote == "'" and all(0x20 <= ord(ch) < 0x7F for ch in text):
        return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"
    out = ['"']
    for ch in text:
        code = ord(ch)
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif 0x20 <= code < 0x7F:
            out.append(ch)
        elif 0xD800 <= code <= 0xDFFF:
            raise ValueError(f"lone surrogate U+{code:04X} is not a character")
        else:
            out.append(f"\\u{{{code:x}}}")
    out.append('"')
    return "".join(out)


def ruby_literal(value: object) -> str:
    """Render a Python value (str, int, bool, None, or a list of those) as a Ruby literal.

    Raises:
        TypeError: for any other type; the template must never guess how to quote a value.
    """
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return ruby_string(value)
    if isinstance(value, Sequence):
        return "[" + ", ".join(ruby_literal(v) for v in value) + "]"
    raise TypeError(f"no Ruby literal for {type(value).__name__}")
