"""vagrantkit.files: atomic replacement, the modes files end up with, and write errors as messages."""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from vagrantkit.errors import VagrantkitError
from vagrantkit.files import atomic_write, replacing, reporting_write_errors

posix_modes = pytest.mark.skipif(sys.platform == "win32", reason="Windows files have no POSIX mode bits")


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@posix_modes
def test_a_new_file_gets_the_umask_mode_not_the_private_mode_of_a_temp_file(tmp_path: Path, umask_022: None) -> None:
    target = tmp_path / "Vagrantfile"
    atomic_write(target, "# new\n")
    assert target.read_text() == "# new\n"
    assert mode(target) == 0o644


@posix_modes
def test_a_replaced_file_keeps_its_mode(tmp_path: Path, umask_022: None) -> None:
    target = tmp_path / "Vagrantfile"
    target.write_text("# old\n")
    target.chmod(0o640)
    atomic_write(target, "# new\n")
    assert (target.read_text(), mode(target)) == ("# new\n", 0o640)


def test_a_failing_writer_leaves_the_old_file_and_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "bench.png"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), replacing(target, suffix=".tmp.png") as tmp:
        assert tmp.parent == tmp_path and tmp.name.endswith(".tmp.png")
        tmp.write_bytes(b"half")
        raise RuntimeError("the writer broke")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bench.png"]


def test_write_errors_become_a_message_naming_the_file(tmp_path: Path) -> None:
    target = tmp_path / "missing" / "out.json"
    with pytest.raises(VagrantkitError) as caught, reporting_write_errors(target, hint="a hint"):
        atomic_write(target, "{}")
    assert caught.value.message.startswith(f"cannot write {target}: ")
    assert caught.value.hint == "a hint"
