"""The core of `vagrantkit init`: answers in, files (or a dry run) out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vagrantkit import __version__
from vagrantkit.errors import shown
from vagrantkit.files import FileChange, apply, plan
from vagrantkit.host import OS, Host, LocalHost
from vagrantkit.registry import DEFAULT_SYNC, PROVIDERS, SYNC_TYPES
from vagrantkit.render.comments import cache_words, mount_option_notes
from vagrantkit.render.environment import make_environment
from vagrantkit.render.options import ANSWERS_FILE, InitOptions, dump_answers, resolve, warnings_for

TEMPLATE = "Vagrantfile.j2"
OS_NAMES = {OS.WINDOWS: "Windows", OS.MACOS: "macOS", OS.LINUX: "Linux", OS.OTHER: "other"}


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
        sync=SYNC_TYPES[options.sync],
        provider=PROVIDERS[options.provider],
        mount_notes=mount_option_notes(options.mount_options, options.sync),
        cache=cache_words(options.mount_options),
    )


def host_warnings(options: InitOptions, host: Host) -> list[str]:
    """What the user should hear about rendering ``options`` on this host (the file is for any host)."""
    sync = SYNC_TYPES[options.sync]
    if host.os is OS.OTHER or host.os in sync.hosts:
        return []
    served = " and ".join(OS_NAMES[h] for h in OS if h in sync.hosts)
    return [
        f"--sync {sync.name}: Vagrant serves {sync.title} folders from {served} hosts only, not from this "
        f'{OS_NAMES[host.os]} host: here `vagrant up` stops ("your machine doesn\'t support {sync.title}"). '
        f"The file is fine for the others; on this host use --sync {DEFAULT_SYNC}."
    ]


def init(
    directory: Path,
    given: Mapping[str, Any],
    *,
    force: bool = False,
    dry_run: bool = False,
    host: Host | None = None,
) -> InitResult:
    """Render ``directory/Vagrantfile`` and save the answers next to it.

    Args:
        directory: The project folder; created if missing (not on a dry run).
        given: Options from the command line (``None`` = not given), see :func:`resolve`.
        force: Replace files that differ, keeping a timestamped backup of each; accept a UDP mount option.
        dry_run: Decide everything, write nothing.
        host: The host facts (default: this machine), for warnings only: the file is for any host.

    Raises:
        InvalidValue: A bad answer (exit code 2); nothing is written.
        VagrantkitError: A file would be overwritten without ``force``; nothing is written.
    """
    options = resolve(directory, given, allow_broken=force)
    text = render_vagrantfile(options)
    changes = [plan(directory / "Vagrantfile", text), plan(directory / ANSWERS_FILE, dump_answers(options))]
    warnings = warnings_for(options) + host_warnings(options, host or LocalHost())
    if not dry_run:
        changes = apply(changes, force=force)
    # On a dry run into a folder that does not exist yet, there is nothing to look at.
    if directory.is_dir() and not (directory / options.host_path).is_dir():
        warnings.append(
            f"the host path {shown(options.host_path)} is not a folder on this machine (relative to {directory}); "
            "`vagrant up` needs it to exist."
        )
    return InitResult(directory, options, text, tuple(changes), tuple(warnings), dry_run)
