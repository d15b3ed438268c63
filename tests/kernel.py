"""Debian's kernel from this machine's /boot, for guests under QEMU: its modules and a small initramfs.

The lab boots it with a busybox initramfs that does the lab's job; the e2e's box boots it with one
that mounts the root disk and hands over to systemd. Both need the same pieces: the newest kernel
that has its modules installed, the module files a guest needs (dependencies resolved with
``modinfo``, dependencies first), and an initramfs (the kernel's 'newc' cpio, gzip'd) holding
busybox, those modules (decompressed) and an ``/init`` script.
"""

from __future__ import annotations

import gzip
import io
import lzma
import os
import re
import shutil
import stat
import subprocess
from collections.abc import Sequence
from pathlib import Path

BUSYBOX = Path("/bin/busybox")


class KernelUnavailable(RuntimeError):
    """No usable kernel, module or busybox here; the message says what is missing."""


def kernel_release() -> str:
    """The newest kernel in /boot that has its modules installed."""
    candidates = sorted(
        (p.name.removeprefix("vmlinuz-") for p in Path("/boot").glob("vmlinuz-*")),
        key=lambda v: [int(x) if x.isdigit() else x for x in re.split(r"[.-]", v)],
    )
    for release in reversed(candidates):
        if Path("/lib/modules", release, "modules.dep").exists():
            return release
    raise KernelUnavailable("no kernel with modules in /boot (apt-get install linux-image-amd64)")


def _modinfo() -> str:
    found = shutil.which("modinfo", path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")
    if not found:
        raise KernelUnavailable("modinfo is not installed (kmod)")
    return found


def resolve_modules(release: str, wanted: Sequence[str]) -> list[Path]:
    """The module files for ``wanted`` and their dependencies, dependencies first (built-in ones need none)."""
    modinfo = _modinfo()
    order: list[Path] = []
    seen: set[str] = set()

    def visit(name: str) -> None:
        if name in seen:
            return
        seen.add(name)
        info = subprocess.run([modinfo, "-k", release, name], capture_output=True, text=True, timeout=30)
        if info.returncode != 0:
            raise KernelUnavailable(f"kernel {release} has no module {name}: {info.stderr.strip()}")
        fields: dict[str, str] = {}
        for line in info.stdout.splitlines():
            key, _, value = line.partition(":")
            fields.setdefault(key.strip(), value.strip())
        for dep in fields.get("depends", "").split(","):
            if dep.strip():
                visit(dep.strip())
        filename = fields.get("filename", "")
        if filename.startswith("/"):  # "(builtin)" needs no file
            order.append(Path(filename))

    for name in wanted:
        visit(name)
    return order


def module_bytes(module: Path) -> bytes:
    """A module file's contents, decompressed (insmod in busybox takes plain ``.ko`` files)."""
    data = module.read_bytes()
    if module.suffix == ".xz":
        return lzma.decompress(data)
    if module.suffix == ".zst":
        raise KernelUnavailable(f"{module}: zstd-compressed modules are not supported")
    return data


def module_name(module: Path) -> str:
    """``ext4.ko.xz`` -> ``ext4.ko``."""
    return module.name.split(".ko")[0] + ".ko"


class Cpio:
    """A minimal writer of the 'newc' cpio format the kernel unpacks as its initramfs."""

    def __init__(self) -> None:
        self.buffer = io.BytesIO()
        self.ino = 1

    def _entry(self, name: str, mode: int, data: bytes = b"", rdev: tuple[int, int] = (0, 0)) -> None:
        encoded = name.encode() + b"\0"
        fields = [self.ino, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(encoded), 0]
        self.ino += 1
        header = b"070701" + b"".join(b"%08X" % f for f in fields)
        self.buffer.write(header + encoded)
        self.buffer.write(b"\0" * (-(len(header) + len(encoded)) % 4))
        self.buffer.write(data)
        self.buffer.write(b"\0" * (-len(data) % 4))

    def directory(self, name: str) -> None:
        self._entry(name, stat.S_IFDIR | 0o755)

    def file(self, name: str, data: bytes, mode: int = 0o644) -> None:
        self._entry(name, stat.S_IFREG | mode, data)

    def char_device(self, name: str, major: int, minor: int) -> None:
        self._entry(name, stat.S_IFCHR | 0o600, rdev=(major, minor))

    def finish(self) -> bytes:
        self._entry("TRAILER!!!", 0)
        return self.buffer.getvalue()


# What every /init starts with: busybox's applets, the kernel's file systems, the modules loaded.
INIT_PROLOGUE = r"""#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in $(cat /modules.list); do insmod "/modules/$m" || echo "init: insmod $m failed"; done
"""


def initramfs(release: str, modules: Sequence[str], init: str, folders: Sequence[str] = ()) -> bytes:
    """A gzip'd initramfs: busybox, ``modules`` and their dependencies in /modules (listed in load
    order in /modules.list), /init (:data:`INIT_PROLOGUE`, then the shell script ``init``), and
    empty ``folders``."""
    if not BUSYBOX.exists():
        raise KernelUnavailable("busybox-static is not installed")
    archive = Cpio()
    for folder in ("bin", "dev", "proc", "sys", "modules", *folders):
        archive.directory(folder)
    archive.char_device("dev/console", 5, 1)
    archive.char_device("dev/null", 1, 3)
    archive.file("bin/busybox", BUSYBOX.read_bytes(), 0o755)
    archive.file("init", (INIT_PROLOGUE + init).encode(), 0o755)
    names = []
    for module in resolve_modules(release, modules):
        archive.file(f"modules/{module_name(module)}", module_bytes(module))
        names.append(module_name(module))
    archive.file("modules.list", ("\n".join(names) + "\n").encode())
    return gzip.compress(archive.finish(), compresslevel=1)
