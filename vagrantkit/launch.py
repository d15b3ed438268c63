"""The console entry point: ``vagrantkit --help`` and ``--version`` answered without importing click.

Starting Python takes about 12 ms here; importing click and building every command's options
takes 45 ms more. The two answers people ask for most are printed from here instead, as click
would print them (``tests/test_launch.py`` holds this text to click's own rendering); everything
else goes to :mod:`vagrantkit.cli`.
"""

from __future__ import annotations

import os
import sys

from vagrantkit import __version__

HELP = """\
Usage: vagrantkit [OPTIONS] COMMAND [ARGS]...

  Fast, correct Vagrant synced folders: render them, check them, measure them.

  Exit codes: 0 ok, 1 failure (or doctor found a FAIL), 2 usage error, 130 interrupted.

Options:
  --version   Show the version and exit.
  -h, --help  Show this message and exit.

Commands:
  bench   Measure how fast each synced folder is: the guest's disk vs NFS...
  doctor  Check the host and the Vagrantfile; print the exact fix for...
  fix     Make every safe lint fix in place (a timestamped backup kept)...
  init    Render DIR/Vagrantfile: a private DHCP network and a tuned NFS...
  lint    Lint Vagrantfiles from their syntax tree (nothing is executed).
  watch   Push host edits into the guest, so an NFS folder can cache...
"""


def _columns() -> int:
    """The width click lays help out for (it caps it at 80 columns), found as shutil finds it."""
    try:
        return int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        pass
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        return 80


def main() -> None:
    """``vagrantkit``: the fast answers here, the rest through click."""
    args = sys.argv[1:]
    if args in (["--help"], ["-h"]) and _columns() >= 80:
        sys.stdout.write(HELP)
        return
    if args == ["--version"]:
        sys.stdout.write(f"vagrantkit, version {__version__}\n")
        return
    from vagrantkit.cli import main as cli_main

    cli_main()
