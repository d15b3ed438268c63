"""The core of `vagrantkit init`: answers in, files (or a dry run) out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vagrantkit import __version__
from vagrantkit.errors import shown
from vagrantkit.files import FileChange, apply, plan
from vagrantkit.registry import DEFAULT_SYNC, PROVIDERS, SYNC_TYPES
from vagrantkit.render.comments import cache_words, mount_option_notes
from vagrantkit.render.environment import make_environment
from vagrantkit.render.options import ANSWERS_FILE, InitOptions, dump_answers, resolve, warnings_for

TEMPLATE = "Vagrantfile.j2"


@dataclass(frozen=True)
class InitResult:
    """What `init` rendered and what it did with it."""

    directory: Path
    options: InitOptions
    vagrantfile: str
    changes: tuple[FileChange, ...]
    warnings: tuple[str, ...]
    dry_run: bool


def render_vagrantfile(options: InitOptions) -> str:
    """Render the Vagrantfile text for validated ``options``.

    The sync type's and the provider's blocks are the templates their registry entries name.
    """
    template = make_environment().get_template(TEMPLATE)
    return template.render(
        o=options,
        version=__version__,
        sync=SYNC_TYPES[DEFAULT_SYNC],  # the only one init renders yet
        provider=PROVIDERS[options.provider],
        mount_notes=mount_option_notes(options.mount_options),
        cache=cache_words(options.mount_options),
    )


def init(directory: Path, given: Mapping[str, Any], *, force: bool = False, dry_run: bool = False) -> InitResult:
    """Render ``directory/Vagrantfile`` and save the answers next to it.

    Args:
        directory: The project folder; created if missing (not on a dry run).
        given: Options from the command line (``None`` = not given), see :func:`resolve`.
        force: Replace files that differ, keeping a timestamped backup of each; accept a UDP mount option.
        dry_run: Decide everything, write nothing.

    Raises:
        InvalidValue: A bad answer (exit code 2); nothing is written.
        VagrantkitError: A file would be overwritten without ``force``; nothing is written.
    """
    options = resolve(directory, given, allow_broken=force)
    text = render_vagrantfile(options)
    changes = [plan(directory / "Vagrantfile", text), plan(directory / ANSWERS_FILE, dump_answers(options))]
    warnings = warnings_for(options)
    if not dry_run:
        changes = apply(changes, force=force)
    # On a dry run into a folder that does not exist yet, there is nothing to look at.
    if directory.is_dir() and not (directory / options.host_path).is_dir():
        warnings.append(
            f"the host path {shown(options.host_path)} is not a folder on this machine (relative to {directory}); "
            "`vagrant up` needs it to exist."
        )
    return InitResult(directory, options, text, tuple(changes), tuple(warnings), dry_run)
