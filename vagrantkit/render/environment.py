"""The one jinja2 Environment factory for vagrantkit templates."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from vagrantkit.render.ruby import ruby_literal

if TYPE_CHECKING:
    import jinja2


def templates_dir() -> Path:
    """Where the templates are: inside the installed package, or at the top of a checkout."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "templates", package.parent / "templates"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"vagrantkit templates not found next to {package}")


def make_environment() -> jinja2.Environment:
    """A strict environment: an undefined name is an error, not an empty string."""
    import jinja2  # lazy: keeps `vagrantkit --help` fast

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir()),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        # No autoescape: a Vagrantfile is Ruby, not HTML. Quoting is done by the `ruby`
        # filter, which every user value goes through.
        autoescape=False,
    )
    env.filters["ruby"] = ruby_literal
    return env
