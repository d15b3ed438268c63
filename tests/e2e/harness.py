"""The end-to-end test's world: libvirt, rpcbind and Vagrant in a sandbox, Vagrant's NFS served by ganesha.

:class:`World` sets up, in a network namespace and a private mount namespace of the test's own
(:class:`tests.netns.Sandbox`):

- virtlogd and libvirtd, with private state (/run, /var/lib/libvirt, its logs and cache) and a
  private copy of /etc/libvirt without the ``default`` network, which is never defined, let alone
  started: vagrant-libvirt makes its management network itself, inside the namespace;
- rpcbind (ganesha registers with it; the guest's mount.nfs asks it for the ports);
- a VAGRANT_HOME of the test's own, whose Vagrantfile points Vagrant's Linux-host NFS commands at
  :mod:`tests.e2e.nfs_shim`, and the box of :mod:`tests.e2e.box`, added with ``vagrant box add``.

Vagrant writes the real /etc/exports (it always does, through sudo): the file's content before the
test is kept and put back on every exit path. Everything else lives in the sandbox's folder and
goes with it; every process the test started is inside the namespace and is stopped there.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from tests.e2e.nfs_shim import home_vagrantfile
from tests.ganesha import GaneshaError, start_rpcbind
from tests.netns import Sandbox, wait_until

BOX_NAME = "local/debian12"
PROJECT_NAME = "e2e-project"  # init's default hostname is the folder's name
LIBVIRT_URI = "qemu:///system"
EXPORTS = Path("/etc/exports")
PRIVATE = ("/run", "/var/lib/libvirt", "/var/log/libvirt", "/var/cache/libvirt", "/var/lib/nfs")
COPIED = ("/etc/libvirt",)
PROGRAMS = ("vagrant", "virsh", "libvirtd", "virtlogd", "rpcbind", "rpcinfo", "ganesha.nfsd", "sudo", "qemu-img")


class WorldUnavailable(RuntimeError):
    """The e2e cannot run here (a program or permission is missing); the message says which."""


def check_prerequisites() -> None:
    """Raise :class:`WorldUnavailable` naming what is missing."""
    if os.name != "posix" or os.geteuid() != 0:
        raise WorldUnavailable("the e2e needs root (namespaces, libvirtd, /etc/exports)")
    for program in PROGRAMS:
        if shutil.which(program, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin") is None:
            raise WorldUnavailable(f"{program} is not installed (scripts/test installs it)")
    gems = Path("/usr/share/rubygems-integration/all/gems")
    if not any(gems.glob("vagrant-libvirt-*")):
        raise WorldUnavailable("vagrant-libvirt is not installed (apt-get install vagrant-libvirt)")


@dataclass
class Exports:
    """/etc/exports as it was before the test: its text, or None when it did not exist."""

    before: str | None = None
    created: bool = False

    def save(self) -> None:
        self.before = EXPORTS.read_text() if EXPORTS.exists() else None
        if self.before is None:
            # Vagrant stats the file before writing it (Errno::ENOENT otherwise); a user creates it
            # with `sudo touch /etc/exports`, as doctor says.
            EXPORTS.touch()
            self.created = True

    def restore(self) -> None:
        if self.before is None:
            EXPORTS.unlink(missing_ok=True)
        else:
            EXPORTS.write_text(self.before)


@dataclass
class World:
    """The sandbox, its daemons and the Vagrant environment; use as a context manager.

    Attributes:
        box: The box file to add.
        sandbox: The namespaces everything runs in.
        project: The project folder (init writes its Vagrantfile there).
        env: The environment for vagrant and vagrantkit (VAGRANT_HOME of the test's own).
        nfs_state: The NFS shim's folder: ganesha's configuration, log, pid and what Vagrant asked.
    """

    box: Path
    sandbox: Sandbox = field(default_factory=lambda: Sandbox("e2e", private=PRIVATE, copied=COPIED))
    project: Path = Path()
    env: dict[str, str] = field(default_factory=dict)
    nfs_state: Path = Path()
    exports: Exports = field(default_factory=Exports)
    _stack: ExitStack = field(default_factory=ExitStack)

    def __enter__(self) -> World:
        check_prerequisites()
        try:
            self._stack.enter_context(self.sandbox)
            self.exports.save()
            self._stack.callback(self.exports.restore)
            self._start_daemons()
            self._vagrant_home()
            self._stack.callback(self.destroy_quietly)
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    # --- set-up --------------------------------------------------------------------------------

    def _start_daemons(self) -> None:
        root = self.sandbox.root
        networks = root / "private" / "etc_libvirt" / "qemu" / "networks"
        (networks / "default.xml").unlink(missing_ok=True)  # never defined, never started
        shutil.rmtree(networks / "autostart", ignore_errors=True)
        for argv in (["virtlogd", "-d"], ["libvirtd", "-d"]):
            done = self.sandbox.run(argv, timeout=60)
            if done.returncode != 0:
                raise WorldUnavailable(f"{argv[0]} did not start: {(done.stderr or done.stdout).strip()}")
        try:
            start_rpcbind(self.sandbox)
        except GaneshaError as exc:
            raise WorldUnavailable(str(exc)) from exc
        wait_until(lambda: self.virsh("version").returncode == 0, 60, "libvirtd")

    def _vagrant_home(self) -> None:
        root = self.sandbox.root
        self.project = root / PROJECT_NAME
        self.project.mkdir()
        self.nfs_state = root / "nfs"
        self.nfs_state.mkdir()
        home = root / "vagrant-home"
        home.mkdir()
        (home / "Vagrantfile").write_text(home_vagrantfile(self.nfs_state, self.project))
        self.env = {
            **os.environ,
            "VAGRANT_HOME": str(home),
            "VAGRANT_CHECKPOINT_DISABLE": "1",
            "VAGRANT_DEFAULT_PROVIDER": "libvirt",
            "LIBVIRT_DEFAULT_URI": LIBVIRT_URI,
        }
        done = self.vagrant("box", "add", "--name", BOX_NAME, str(self.box), timeout=600, cwd=root)
        if done.returncode != 0:
            raise WorldUnavailable(f"vagrant box add failed: {(done.stderr or done.stdout).strip()[-2000:]}")

    # --- running things inside ----------------------------------------------------------------

    def run(
        self,
        argv: Sequence[str],
        *,
        timeout: float,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
        input: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """``argv`` inside the sandbox, in the project folder, with the Vagrant environment."""
        return self.sandbox.run(argv, timeout=timeout, env=env or self.env, cwd=cwd or self.project, input=input)

    def vagrant(self, *args: str, timeout: float = 600, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        return self.run(["vagrant", *args], timeout=timeout, cwd=cwd)

    def vagrantkit(self, *args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
        """`vagrantkit ARGS` as a user runs it from the project folder (a new process, this interpreter)."""
        return self.run([sys.executable, "-m", "vagrantkit", *args], timeout=timeout)

    def virsh(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.sandbox.run(["virsh", "-c", LIBVIRT_URI, *args], timeout=60)

    def names(self, *args: str) -> list[str]:
        """The names a virsh listing (``list --all --name``...) prints, one per line."""
        done = self.virsh(*args)
        if done.returncode != 0:
            raise AssertionError(f"virsh {' '.join(args)} failed: {done.stderr.strip()}")
        return [line.strip() for line in done.stdout.splitlines() if line.strip()]

    def ssh(self, command: str, *, timeout: float = 120, input: str | None = None) -> subprocess.CompletedProcess[str]:
        """``vagrant ssh -c COMMAND`` in the project."""
        return self.run(["vagrant", "ssh", "-c", command], timeout=timeout, input=input)

    # --- tearing down -------------------------------------------------------------------------

    def destroy_quietly(self) -> None:
        """``vagrant destroy -f`` when a machine may still exist (a failed or interrupted run)."""
        if (self.project / ".vagrant" / "machines").exists() and self.names("list", "--all", "--name"):
            self.vagrant("destroy", "-f", timeout=300)
