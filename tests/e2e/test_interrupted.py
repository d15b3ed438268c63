"""The e2e's world torn down when the run is stopped: SIGTERM or Ctrl-C leaves no namespace, process or export.

A real World (libvirtd, virtlogd, rpcbind in a new namespace, the box added to Vagrant) in a child
process, stopped by a signal once it is up; everything it made must be gone, and /etc/exports as it
was (the main e2e run checks that too, after Vagrant wrote to it). Marked ``e2e`` (it needs the box
and libvirt).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.harness import EXPORTS
from tests.netns import process_alive

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[2]

CHILD = """
import json, sys, time
from pathlib import Path
from tests.e2e.harness import World
from tests.netns import sigterm_unwinds
with sigterm_unwinds(), World(Path(sys.argv[1])) as world:
    info = {"netns": world.sandbox.netns, "root": str(world.sandbox.root), "pids": sorted(world.sandbox.pids())}
    print(json.dumps(info), flush=True)
    time.sleep(600)
"""


def test_a_run_stopped_by_sigterm_or_ctrl_c_leaves_no_namespace_process_or_export(box: Path) -> None:
    # Two worlds at once, one stopped by SIGTERM, one by Ctrl-C. /etc/exports exists first (as a
    # World makes it when it is missing), so that the two restoring it cannot race.
    created = not EXPORTS.exists()
    EXPORTS.touch()
    before = EXPORTS.read_text()
    children = {
        signum: subprocess.Popen(
            [sys.executable, "-c", CHILD, str(box)], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for signum in (signal.SIGTERM, signal.SIGINT)
    }
    infos = {}
    try:
        for signum, child in children.items():
            assert child.stdout is not None
            line = child.stdout.readline()
            assert line, child.stderr.read() if child.stderr else ""
            infos[signum] = json.loads(line)
            assert infos[signum]["pids"], "libvirtd, virtlogd and rpcbind run in the namespace"
        for signum, child in children.items():
            os.kill(child.pid, signum)
        for child in children.values():
            child.wait(timeout=120)
    finally:
        for child in children.values():
            if child.poll() is None:
                child.kill()
                child.wait()
        after = EXPORTS.read_text() if EXPORTS.exists() else None
        if created:
            EXPORTS.unlink(missing_ok=True)
    # Both unwind first: SIGTERM becomes SystemExit(143); Ctrl-C a KeyboardInterrupt, after which
    # Python ends itself with SIGINT, as a program stopped by Ctrl-C does.
    assert children[signal.SIGTERM].returncode == 143
    assert children[signal.SIGINT].returncode == -signal.SIGINT
    netns = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    for info in infos.values():
        assert [pid for pid in info["pids"] if process_alive(pid)] == []
        assert info["netns"] not in netns
        assert not Path(info["root"]).exists()
    assert after == before
