"""`vagrantkit init` writes the Vagrantfile and vagrantkit.toml together or not at all.

The failures are real: a tmpfs too small for the second file (a full disk), and a
vagrantkit.toml the kernel refuses to replace (immutable). Both need root, as scripts/test runs.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests import mounts
from tests.conftest import Cli, build_file_tree, need, unavailable


def snapshot(folder: Path) -> dict[str, tuple[bytes | None, int]]:
    """Every entry of ``folder`` (hidden temporary files included): content (None for a folder) and mode."""
    return {p.name: (None if p.is_dir() else p.read_bytes(), p.stat().st_mode) for p in sorted(folder.iterdir())}


def _need_root(what: str) -> None:
    if os.geteuid() != 0:
        unavailable(f"{what} needs root (scripts/test runs as root)")


@pytest.fixture
def one_page_disk(tmp_path: Path) -> Iterator[Path]:
    """A tmpfs of 4 KiB: room for the Vagrantfile (one page), none left for vagrantkit.toml."""
    _need_root("mounting a tmpfs")
    need("mount")
    point = tmp_path / "disk"
    point.mkdir()
    with mounts.tmpfs(point, size="4k"):
        yield point


def test_a_full_disk_writes_neither_file(one_page_disk: Path, cli_runner: Cli) -> None:
    project = one_page_disk / "shop"
    result = cli_runner("init", str(project))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: cannot write {project / 'vagrantkit.toml'}: No space left on device\n")
    assert snapshot(project) == {}, "no Vagrantfile without its answers, no temporary file"


@pytest.fixture
def make_immutable() -> Iterator[Callable[[Path], None]]:
    """Makes a file immutable (chattr +i): the kernel refuses to rename anything over it. Undone afterwards."""
    _need_root("chattr +i")
    chattr = need("chattr")
    made: list[Path] = []

    def make(path: Path) -> None:
        done = subprocess.run([chattr, "+i", str(path)], capture_output=True, text=True, timeout=30)
        if done.returncode != 0:
            unavailable(f"chattr +i is not supported here: {done.stderr.strip()}")
        made.append(path)

    yield make
    for path in made:
        subprocess.run([chattr, "-i", str(path)], check=True, timeout=30)


def test_a_refused_second_rename_puts_the_first_file_back(
    tmp_path: Path, cli_runner: Cli, make_immutable: Callable[[Path], None]
) -> None:
    assert cli_runner("init", str(tmp_path), "--memory", "1024").exit_code == 0
    (tmp_path / "Vagrantfile").chmod(0o640)  # the restored file keeps its mode too
    before = snapshot(tmp_path)
    answers = tmp_path / "vagrantkit.toml"
    make_immutable(answers)
    result = cli_runner("init", str(tmp_path), "--memory", "4096", "--force")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: cannot write {answers}: Operation not permitted\n")
    assert snapshot(tmp_path) == before, "the Vagrantfile put back, no backup and no temporary file left"
    assert "vm.memory = 1024" in (tmp_path / "Vagrantfile").read_text()


def test_an_answers_file_that_is_a_folder_leaves_the_vagrantfile_alone(tmp_path: Path, cli_runner: Cli) -> None:
    build_file_tree(tmp_path, {"Vagrantfile": "# mine\n", "vagrantkit.toml/keep": "x"})
    before = snapshot(tmp_path)
    result = cli_runner("init", str(tmp_path), "--force")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {tmp_path / 'vagrantkit.toml'} is a folder; a file is needed there\n")
    assert snapshot(tmp_path) == before
