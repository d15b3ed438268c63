"""A real PostgreSQL server for the Django reproduction, and copies of the reproduction project."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import need
from vagrantkit.doctor.model import DoctorContext
from vagrantkit.host import LocalHost
from vagrantkit.process import run

REPRO = Path(__file__).parent / "repro"


@dataclass(frozen=True)
class Postgres:
    """Where the test server listens (trust authentication on loopback only)."""

    host: str
    port: int
    user: str

    def env(self, name: str) -> dict[str, str]:
        """The environment the reproduction project's settings read, for database ``name``."""
        return {**os.environ, "DB_HOST": self.host, "DB_PORT": str(self.port), "DB_NAME": name, "DB_USER": self.user}


def _pg_bindir() -> Path:
    """Debian keeps the server programs out of PATH, in /usr/lib/postgresql/<version>/bin."""
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name), reverse=True)
    if versions:
        return versions[0]
    return Path(need("initdb")).parent


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """A throwaway PostgreSQL cluster on 127.0.0.1, stopped and deleted at the end of the session.

    The server refuses to run as root, so as root it runs as the `postgres` user (runuser), on a
    data folder that user owns: pytest's own tmp folders are private to root.
    """
    bindir = _pg_bindir()
    initdb, pg_ctl = need(str(bindir / "initdb")), need(str(bindir / "pg_ctl"))
    as_user: list[str] = []
    owner = None
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        as_user = [need("runuser"), "-u", "postgres", "--"]
        owner = "postgres"
    base = Path(tempfile.mkdtemp(prefix="vagrantkit-pg-"))
    data, sockets, log = base / "data", base / "sockets", base / "server.log"
    sockets.mkdir()
    if owner:
        for path in (base, sockets):
            shutil.chown(path, owner)
    port = _free_port()
    try:
        done = run(
            [*as_user, initdb, "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"],
            timeout=120,
        )
        assert done.ok, done.stdout + done.stderr
        options = f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
        done = run(
            [*as_user, pg_ctl, "-D", str(data), "-l", str(log), "-w", "-t", "60", "-o", options, "start"], timeout=90
        )
        assert done.ok, done.stdout + done.stderr + (log.read_text() if log.exists() else "")
        yield Postgres("127.0.0.1", port, "postgres")
    finally:
        if (data / "postmaster.pid").exists():
            run([*as_user, pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"], timeout=60)
        shutil.rmtree(base, ignore_errors=True)


def repro_project(destination: Path, variant: str) -> Path:
    """A copy of the reproduction project with ``variants/<variant>.py`` as ``shop/background.py``."""
    project = destination / f"repro-{variant}"
    shutil.copytree(REPRO / "project", project, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copyfile(REPRO / "variants" / f"{variant}.py", project / "shop" / "background.py")
    return project


class GuestHost(LocalHost):
    """This machine, except for the mount table and the environment (the host-facts seam)."""

    def __init__(self, mounts: str | None, environ: Mapping[str, str]) -> None:
        super().__init__(environ=environ)
        self.mounts = mounts

    def read_text(self, path: str) -> str | None:
        return self.mounts if path == "/proc/mounts" else super().read_text(path)


def django_context(
    root: Path, *, mounts: str | None = None, environ: Mapping[str, str] | None = None, vagrantfile: Path | None = None
) -> DoctorContext:
    """A doctor context for the Django project ``root`` on this machine, mount table and environment given."""
    return DoctorContext(GuestHost(mounts, environ or {}), root, vagrantfile, root)
