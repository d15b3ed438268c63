"""The versioned JSON envelope every command can emit with ``--json``."""

from __future__ import annotations

import dataclasses
import enum
import json
from collections.abc import Sequence
from pathlib import PurePath
from typing import Any

ENVELOPE_VERSION = "1"
# Text that is piped or redirected (no terminal to ask) is laid out this wide, by every command.
PIPED_WIDTH = 100


def to_jsonable(value: Any) -> Any:
    """Turn dataclasses, enums, paths and tuples into plain JSON values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return to_jsonable(value.value)
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, dict):
        return {str(to_jsonable(k)): to_jsonable(v) for k, v in value.items()}  # an enum key: its value
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    return value


def envelope(command: str, status: str, exit_code: int, data: Any, errors: Sequence[str] = ()) -> dict[str, Any]:
    """Build ``{"vagrantkit": "1", "command", "status", "exit_code", "data", "errors"}``."""
    return {
        "vagrantkit": ENVELOPE_VERSION,
        "command": command,
        "status": status,
        "exit_code": exit_code,
        "data": to_jsonable(data),
        "errors": list(errors),
    }


def dumps(document: Any) -> str:
    """Serialise for stdout or a file: stable key order, UTF-8 kept readable."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
