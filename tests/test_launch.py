"""The entry point answers --help and --version without click, exactly as click would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from vagrantkit import __version__
from vagrantkit.launch import HELP


def run(*args: str, columns: str = "80", code: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": columns}
    command = [sys.executable, "-X", "importtime", *(["-c", code] if code else ["-m", "vagrantkit"]), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, env=env)


def imported(done: subprocess.CompletedProcess[str]) -> set[str]:
    return {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}


CLICK = "from vagrantkit.cli import main; main()"


def test_the_fast_help_is_what_click_prints_and_imports_neither_click_nor_tree_sitter() -> None:
    fast = run("--help")
    assert fast.returncode == 0 and fast.stdout == HELP
    assert not {"click", "tree_sitter"} & imported(fast)
    real = run("--help", code=CLICK)
    assert real.returncode == 0 and "click" in imported(real)
    assert real.stdout.replace("Usage: -c", "Usage: vagrantkit") == HELP  # click names the program after argv[0]


def test_version_is_what_click_prints() -> None:
    assert run("--version").stdout == f"vagrantkit, version {__version__}\n"
    assert run("--version", code=CLICK).stdout.replace("-c, version", "vagrantkit, version") == run("--version").stdout


def test_a_narrow_terminal_gets_clicks_own_layout() -> None:
    narrow = run("--help", columns="60")
    assert narrow.returncode == 0 and "click" in imported(narrow) and narrow.stdout != HELP


def test_commands_that_read_no_vagrantfile_do_not_load_tree_sitter(tmp_path: Path) -> None:
    done = run("init", "--dry-run", str(tmp_path / "p"))
    assert done.returncode == 0, done.stderr
    assert "tree_sitter" not in imported(done)
    linted = run("lint", "--host", "linux", str(Path(__file__).parent / "golden" / "default.Vagrantfile"))
    assert linted.returncode == 0, linted.stdout + linted.stderr
    assert "tree_sitter" in imported(linted)
