"""The one adapter through which vagrantkit talks to Vagrant, over python-vagrant.

Tests replace :class:`VagrantAdapter` (or pass a fake with the same methods); nothing else
in vagrantkit runs `vagrant` or imports python-vagrant. Verbs python-vagrant lacks
(`validate --ignore-provider`) go through the subprocess seam, with a timeout.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vagrantkit import process
from vagrantkit.errors import CommandError

_VERSION = re.compile(r"Vagrant (\d+(?:\.\d+)+)")
# `showvminfo --machinereadable`: one line per transient share's name; newer VirtualBox versions
# (its outputMachineReadableString) escape backslashes and double quotes in the value with a backslash.
_TRANSIENT_NAME = re.compile(r'^SharedFolderNameTransientMapping\d+="(.*)"\r?$', re.MULTILINE)


@dataclass(frozen=True)
class Plugin:
    name: str
    version: str


class VagrantAdapter:
    """Vagrant for one project folder.

    Args:
        root: The folder that holds the Vagrantfile.
        env: Environment for `vagrant` (default: inherited). Vagrant's update check is turned
            off in it unless set: that network call takes seconds, or hangs on an offline host.
        run: The subprocess seam (replaced in tests).
        interact: Its conversational half, for ``ssh_stream`` (replaced in tests).
        windows: Whether this host is Windows (default: this host's OS), which decides how host
            paths are handed to VirtualBox.
    """

    def __init__(
        self,
        root: Path,
        *,
        env: Mapping[str, str] | None = None,
        run: process.ProcessRunner = process.run,
        interact: process.Interactor = process.interact,
        windows: bool | None = None,
    ) -> None:
        self.root = root
        self.env = dict(env if env is not None else os.environ)
        self.env.setdefault("VAGRANT_CHECKPOINT_DISABLE", "1")
        self.run = run
        self.interact = interact
        self.windows = os.name == "nt" if windows is None else windows

    def _python_vagrant(self) -> Any:
        import vagrant  # lazy: python-vagrant is only needed when Vagrant is really driven

        return vagrant.Vagrant(root=str(self.root), env=self.env, quiet_stdout=True, quiet_stderr=True)  # type: ignore[no-untyped-call]

    def version(self) -> str | None:
        """Vagrant's version (``2.3.4``), or None when `vagrant` is not installed."""
        try:
            out = self.run(["vagrant", "--version"], timeout=30, env=self.env)
        except CommandError:
            return None
        match = _VERSION.search(out.stdout)
        return match[1] if match else None

    def plugins(self) -> list[Plugin]:
        """Installed Vagrant plugins (``vagrant plugin list``), parsed by python-vagrant.

        Run through the subprocess seam (python-vagrant's own call has no timeout).
        """
        out = self.run(["vagrant", "plugin", "list", "--machine-readable"], timeout=30, env=self.env)
        if not out.ok:
            raise CommandError(f"vagrant plugin list failed: {(out.stderr or out.stdout).strip()}")
        return [Plugin(p.name, p.version) for p in self._python_vagrant()._parse_plugin_list(out.stdout)]

    def validate(self) -> process.Completed:
        """``vagrant validate --ignore-provider`` in the project folder."""
        return self.run(["vagrant", "validate", "--ignore-provider"], cwd=self.root, timeout=60, env=self.env)

    # -- verbs for `bench`: all through the subprocess seam, so each has a timeout

    def status(self) -> list[MachineStatus]:
        """Each machine's state (``running``, ``poweroff``, ``not_created``...) and provider."""
        out = self.run(["vagrant", "status", "--machine-readable"], cwd=self.root, timeout=120, env=self.env)
        if not out.ok:
            raise CommandError(f"vagrant status failed: {(out.stderr or out.stdout).strip()}")
        parsed = self._python_vagrant()._parse_status(out.stdout)
        # The `ui` lines have no target: python-vagrant gives them a status without a name.
        return [MachineStatus(s.name, s.state, s.provider) for s in parsed if s.name]

    def up(self, machine: str) -> None:
        """``vagrant up MACHINE`` (booting and mounting NFS can take minutes)."""
        self._verb("up", machine, timeout=1800)

    def halt(self, machine: str) -> None:
        """``vagrant halt MACHINE`` (a clean shutdown)."""
        self._verb("halt", machine, timeout=600)

    def suspend(self, machine: str) -> None:
        """``vagrant suspend MACHINE`` (saves its state)."""
        self._verb("suspend", machine, timeout=600)

    def _verb(self, verb: str, machine: str, *, timeout: float) -> None:
        out = self.run(["vagrant", verb, machine], cwd=self.root, timeout=timeout, env=self.env)
        if not out.ok:
            raise CommandError(f"vagrant {verb} {machine} failed: {(out.stderr or out.stdout).strip()[-500:]}")

    def ssh(
        self, command: str, *, machine: str | None = None, input: str | None = None, timeout: float = 600
    ) -> process.Completed:
        """``vagrant ssh [MACHINE] --no-tty -c COMMAND`` with ``input`` on its stdin; the exit code is the command's.

        ``--no-tty``: ``vagrant ssh -c`` asks ssh for a pseudo-terminal by default, which on a console
        merges stderr into stdout, turns newlines into CRLF and echoes the input; with no console on
        Windows, Win32-OpenSSH prints "GetConsoleMode on STD_INPUT_HANDLE failed" and hangs
        (PowerShell/Win32-OpenSSH#856). The subprocess seam always gives it a pipe for stdin.
        """
        argv = ["vagrant", "ssh", *([machine] if machine else []), "--no-tty", "-c", command]
        return self.run(argv, cwd=self.root, timeout=timeout, env=self.env, input=input)

    def ssh_stream(
        self,
        command: str,
        *,
        machine: str | None = None,
        first: bytes,
        on_line: Callable[[str], str | None],
        timeout: float = 600,
    ) -> process.Completed:
        """``vagrant ssh [MACHINE] --no-tty -c COMMAND`` as a conversation (:func:`vagrantkit.process.interact`):
        ``first`` on its stdin, each stderr line to ``on_line``, whose answers go back on stdin."""
        argv = ["vagrant", "ssh", *([machine] if machine else []), "--no-tty", "-c", command]
        return self.interact(argv, first=first, on_line=on_line, cwd=self.root, timeout=timeout, env=self.env)

    def ssh_config(self, machine: str) -> str:
        """``vagrant ssh-config MACHINE``: the OpenSSH configuration that reaches it (host alias: the machine's name).

        Raises:
            CommandError: Vagrant could not give one (the machine is not running).
        """
        out = self.run(["vagrant", "ssh-config", machine], cwd=self.root, timeout=120, env=self.env)
        if not out.ok or "HostName" not in out.stdout:
            raise CommandError(f"vagrant ssh-config {machine} failed: {(out.stderr or out.stdout).strip()[-500:]}")
        return out.stdout

    def machine_id(self, machine: str, provider: str) -> str | None:
        """The provider's id for the machine (VirtualBox's VM UUID), from ``.vagrant/machines``."""
        path = self.root / ".vagrant" / "machines" / machine / provider / "id"
        try:
            return path.read_text(encoding="utf-8").strip() or None
        except OSError:
            return None

    def transient_shares(self, vm_id: str) -> list[str] | None:
        """The names of the running VM's transient shared folders (``VBoxManage showvminfo --machinereadable``),
        or None when VBoxManage cannot say."""
        out = self.run(["VBoxManage", "showvminfo", vm_id, "--machinereadable"], timeout=60, env=self.env)
        if not out.ok:
            return None
        return [re.sub(r"\\(.)", r"\1", m[1]) for m in _TRANSIENT_NAME.finditer(out.stdout)]

    def transient_share(self, vm_id: str, name: str, host_path: Path, *, add: bool) -> process.Completed:
        """Add (or remove) a transient VirtualBox shared folder on a running VM, through VBoxManage.

        The host path goes as Vagrant's VirtualBox driver passes it (:func:`vbox_host_path`).
        """
        argv = ["VBoxManage", "sharedfolder", "add" if add else "remove", vm_id, "--name", name]
        hostpath = vbox_host_path(str(host_path), windows=self.windows)
        argv += ["--hostpath", hostpath, "--transient"] if add else ["--transient"]
        return self.run(argv, timeout=60, env=self.env)


def vbox_host_path(path: str, *, windows: bool) -> str:
    """A host folder as VirtualBox is given it, the way Vagrant's VirtualBox driver does it.

    On a Windows host a path that is not already UNC becomes ``\\\\?\\`` + the path with
    backslashes, so that VirtualBox accepts folders whose path is longer than 260 characters
    (MAX_PATH); a UNC path (``\\\\server\\share``) or one already prefixed (``\\\\?\\C:\\...``) stays as
    it is, and a bare drive (``C:``) becomes its root ``C:\\`` unprefixed. Elsewhere the path is
    unchanged. (Vagrant: ``Vagrant::Util::Platform.windows_unc_path``, called from
    ``share_folders`` in plugins/providers/virtualbox/driver/version_5_0.rb.)
    """
    if not windows:
        return path
    path = path.replace("/", "\\")
    if re.fullmatch(r"[A-Za-z]:\\?", path):
        return path.rstrip("\\") + "\\"
    if path.startswith("\\\\"):
        return path
    return "\\\\?\\" + path


@dataclass(frozen=True)
class MachineStatus:
    name: str
    state: str
    provider: str
