"""THE host-facts object: everything doctor knows about the machine it runs on comes through here.

OS and release, WSL 1/2, the environment, PATH lookups, file reads/exists/glob, Windows
paths, and the output of programs (registry `reg query`, `netsh`, `tasklist`, `netstat`,
`VBoxManage`) through the subprocess seam. :class:`LocalHost` reads this machine; tests
subclass :class:`Host` (``tests/doctor/fakes.py``) to present a Windows, macOS, Linux or WSL
host without touching the real one.

Paths are strings in the host's own flavour (``C:\\Users\\dev`` on Windows); :meth:`Host.path`
turns them into a ``PureWindowsPath`` or ``PurePosixPath`` so that joining and globbing
follow the host's rules rather than the rules of the machine running the tests.
"""

from __future__ import annotations

import abc
import enum
import glob as _glob
import os
import platform
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath, PurePosixPath, PureWindowsPath

from vagrantkit import process
from vagrantkit.errors import CommandError


class OS(str, enum.Enum):
    """The host operating system families doctor knows."""

    WINDOWS = "windows"
    MACOS = "macos"
    LINUX = "linux"
    OTHER = "other"


_SYSTEMS = {"Windows": OS.WINDOWS, "Darwin": OS.MACOS, "Linux": OS.LINUX}


@dataclass(frozen=True)
class FileInfo:
    """Size and modification time of a file."""

    size: int
    mtime: float


class Host(abc.ABC):
    """Facts about one host. Subclasses provide the file primitives; the rest is shared logic.

    Args:
        system: ``platform.system()``: ``Windows``, ``Darwin``, ``Linux``.
        release: ``platform.release()``: the kernel release (``6.1.0-18-amd64``, ``23.4.0``, ``10``).
        version: The OS version: Windows build (``10.0.22631``), macOS product version (``14.4.1``),
            Linux kernel version string.
        machine: ``platform.machine()`` (``x86_64``, ``arm64``, ``AMD64``).
        environ: The environment variables.
        uid: The effective user id (None on Windows).
        run: The subprocess seam.
    """

    def __init__(
        self,
        *,
        system: str,
        release: str,
        version: str,
        machine: str,
        environ: Mapping[str, str],
        uid: int | None,
        run: process.ProcessRunner,
    ) -> None:
        self.system = system
        self.os = _SYSTEMS.get(system, OS.OTHER)
        self.release = release
        self.version = version
        self.machine = machine
        self.uid = uid
        self.runner = run
        # Windows environment variable names are case-insensitive.
        if self.os is OS.WINDOWS:
            self.environ: Mapping[str, str] = {k.upper(): v for k, v in environ.items()}
        else:
            self.environ = dict(environ)

    # --- primitives (the file system) ---------------------------------------------------

    @abc.abstractmethod
    def read_text(self, path: str) -> str | None:
        """The text of a file, or None when it is missing or unreadable."""

    @abc.abstractmethod
    def exists(self, path: str) -> bool:
        """Whether anything (file, folder, device) is at ``path``."""

    @abc.abstractmethod
    def is_file(self, path: str) -> bool:
        """Whether ``path`` is an existing file."""

    @abc.abstractmethod
    def is_dir(self, path: str) -> bool:
        """Whether ``path`` is an existing folder."""

    @abc.abstractmethod
    def is_executable(self, path: str) -> bool:
        """Whether ``path`` is a file this user may run."""

    @abc.abstractmethod
    def glob(self, pattern: str) -> list[str]:
        """Existing paths matching ``pattern`` (``*`` within one path component), sorted."""

    @abc.abstractmethod
    def stat(self, path: str) -> FileInfo | None:
        """Size and mtime of a file, or None when it is missing."""

    @abc.abstractmethod
    def now(self) -> float:
        """The current time (seconds since the epoch)."""

    # --- shared logic -------------------------------------------------------------------

    @property
    def is_windows(self) -> bool:
        return self.os is OS.WINDOWS

    def env(self, name: str) -> str | None:
        """An environment variable (case-insensitive on Windows); empty values count as unset."""
        value = self.environ.get(name.upper() if self.is_windows else name)
        return value or None

    def path(self, *parts: str) -> PurePath:
        """A path in the host's flavour."""
        return PureWindowsPath(*parts) if self.is_windows else PurePosixPath(*parts)

    def home(self) -> PurePath:
        """The user's home folder (``%USERPROFILE%`` on Windows, ``$HOME`` elsewhere)."""
        home = self.env("USERPROFILE") if self.is_windows else self.env("HOME")
        return self.path(home or ("C:\\" if self.is_windows else "/"))

    def vagrant_home(self) -> PurePath:
        """Vagrant's user data folder: ``VAGRANT_HOME`` or ``~/.vagrant.d`` (Vagrant.user_data_path)."""
        given = self.env("VAGRANT_HOME")
        return self.path(given) if given else self.home() / ".vagrant.d"

    @property
    def wsl(self) -> int | None:
        """1 or 2 when this is Linux inside WSL, else None.

        WSL 2 runs a real Linux kernel whose release ends in ``microsoft-standard-WSL2``;
        WSL 1 translates syscalls and reports releases like ``4.4.0-19041-Microsoft``.
        """
        if self.os is not OS.LINUX:
            return None
        release = self.release.lower()
        if "microsoft" not in release and not self.env("WSL_DISTRO_NAME"):
            return None
        if "wsl2" in release or "microsoft-standard" in release or self.env("WSL_INTEROP"):
            return 2
        return 1

    def describe(self) -> str:
        """A human name for the OS and its version: ``Windows 11 (10.0.22631)``, ``macOS 14.4.1``."""
        if self.os is OS.WINDOWS:
            build = self.version.split(".")
            # Windows 11 still reports major version 10; builds from 22000 on are Windows 11.
            name = "Windows 11" if len(build) >= 3 and build[2].isdigit() and int(build[2]) >= 22000 else "Windows 10"
            return f"{name} ({self.version})"
        if self.os is OS.MACOS:
            return f"macOS {self.version}"
        if self.os is OS.LINUX:
            pretty = self.os_release().get("PRETTY_NAME", "Linux")
            wsl = f", WSL {self.wsl}" if self.wsl else ""
            return f"{pretty} (kernel {self.release}{wsl})"
        return f"{self.system} {self.release}"

    def os_release(self) -> dict[str, str]:
        """The keys and values of a Linux host's /etc/os-release (empty when there is none)."""
        values = {}
        for line in (self.read_text("/etc/os-release") or "").splitlines():
            key, sep, value = line.partition("=")
            if sep:
                values[key.strip()] = value.strip().strip('"')
        return values

    def which(self, name: str) -> str | None:
        """Find ``name`` on the host's PATH (with PATHEXT on Windows), like ``shutil.which``."""
        sep = ";" if self.is_windows else ":"
        exts = [""]
        if self.is_windows and not os.path.splitext(name)[1]:
            exts = [e.lower() for e in (self.env("PATHEXT") or ".COM;.EXE;.BAT;.CMD").split(";") if e]
        for folder in (self.env("PATH") or "").split(sep):
            folder = folder.strip('"')
            if not folder:
                continue
            for ext in exts:
                candidate = str(self.path(folder, name + ext))
                if self.is_executable(candidate):
                    return candidate
        return None

    def run(self, argv: Sequence[str], *, timeout: float = 10.0) -> process.Completed | None:
        """Run a program through the subprocess seam; None when it is missing or hangs."""
        try:
            return self.runner(argv, timeout=timeout)
        except CommandError:
            return None

    def output(self, argv: Sequence[str], *, timeout: float = 10.0) -> str | None:
        """The standard output of a program that succeeded, else None."""
        done = self.run(argv, timeout=timeout)
        return done.stdout if done is not None and done.ok else None

    def registry_value(self, key: str, name: str) -> str | None:
        """A Windows registry value read with ``reg query KEY /v NAME`` (None when absent)."""
        out = self.output(["reg", "query", key, "/v", name])
        if out is None:
            return None
        for line in out.splitlines():
            parts = line.split(None, 2)
            if len(parts) == 3 and parts[0].lower() == name.lower() and parts[1].startswith("REG_"):
                return parts[2].strip()
        return None


class LocalHost(Host):
    """The machine vagrantkit runs on."""

    def __init__(self, *, environ: Mapping[str, str] | None = None, run: process.ProcessRunner = process.run) -> None:
        system = platform.system()
        if system == "Windows":
            version = platform.version()
        elif system == "Darwin":
            version = platform.mac_ver()[0]
        else:
            version = platform.version()
        super().__init__(
            system=system,
            release=platform.release(),
            version=version,
            machine=platform.machine(),
            environ=os.environ if environ is None else environ,
            uid=os.geteuid() if hasattr(os, "geteuid") else None,
            run=run,
        )

    def read_text(self, path: str) -> str | None:
        try:
            return Path(path).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None

    def exists(self, path: str) -> bool:
        return Path(path).exists()

    def is_file(self, path: str) -> bool:
        return Path(path).is_file()

    def is_dir(self, path: str) -> bool:
        return Path(path).is_dir()

    def is_executable(self, path: str) -> bool:
        if self.is_windows:
            return Path(path).is_file()
        return Path(path).is_file() and os.access(path, os.X_OK)

    def glob(self, pattern: str) -> list[str]:
        return sorted(_glob.glob(pattern))

    def stat(self, path: str) -> FileInfo | None:
        try:
            st = Path(path).stat()
        except OSError:
            return None
        return FileInfo(st.st_size, st.st_mtime)

    def now(self) -> float:
        return time.time()
