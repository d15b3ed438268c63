"""``vagrantkit watch`` from the command line: bad input, a machine that cannot be watched, Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import Cli
from tests.sshd import cmdline, descendants
from tests.watch.conftest import World, wait_for
from vagrantkit.errors import InvalidValue, VagrantkitError
from vagrantkit.vagrant_adapter import MachineStatus
from vagrantkit.watch import lock
from vagrantkit.watch.core import parse_folder, run_watch


class Adapter:
    """The Vagrant adapter's two verbs watch uses, at the seam."""

    def __init__(self, state: str = "running", config: str = "") -> None:
        self.state = state
        self.config = config

    def status(self) -> list[MachineStatus]:
        return [MachineStatus("default", self.state, "libvirt")]

    def ssh_config(self, machine: str) -> str:
        return self.config


@pytest.mark.parametrize("value", ["nowhere=/vagrant", "=/vagrant", "{here}=relative", "{here}"])
def test_a_bad_folder_is_named_with_what_is_allowed_and_exit_2(
    cli_runner: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.chdir(tmp_path)
    result = cli_runner("watch", "--folder", value.format(here=tmp_path))
    assert result.exit_code == 2
    assert "Invalid value for --folder" in result.stderr
    assert "HOST=GUEST: a folder of this host and the absolute path the guest mounts it at" in result.stderr
    assert list(tmp_path.iterdir()) == [], "nothing written"


def test_watch_outside_a_project_says_so(cli_runner: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = cli_runner("watch")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: no Vagrantfile in {tmp_path}")


def test_a_machine_never_created_or_unknown_is_refused(tmp_path: Path) -> None:
    with pytest.raises(VagrantkitError, match="default is not created: nothing to watch for"):
        run_watch(tmp_path, adapter=Adapter("not_created"))
    with pytest.raises(InvalidValue, match="a machine of this project \\(default\\)"):
        run_watch(tmp_path, machine="web", adapter=Adapter())


def test_a_guest_without_nfs_mounts_is_refused_with_the_way_to_name_a_folder(world: World) -> None:
    with pytest.raises(VagrantkitError, match="default mounts no NFS folder of this host") as caught:
        run_watch(world.host.parent, adapter=Adapter(config=world.guest.ssh_config("default")))
    assert "--folder HOST=GUEST" in str(caught.value.hint)
    assert not lock.running(world.host.parent, "default"), "the lock goes with watch"


def test_one_watch_per_machine(world: World) -> None:
    held = lock.hold(world.host.parent, "default")
    try:
        assert lock.running(world.host.parent, "default")
        with pytest.raises(VagrantkitError, match="a vagrantkit watch already runs for default"):
            run_watch(world.host.parent, folders=[parse_folder(f"{world.host}={world.view}")], adapter=Adapter())
    finally:
        held.release()


CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    import vagrantkit.vagrant_adapter as seam

    class Adapter:  # the Vagrant adapter seam: the machine runs, ssh-config points at the test's server
        def __init__(self, root, *args, **kwargs):
            pass
        def status(self):
            return [seam.MachineStatus("default", "running", "libvirt")]
        def ssh_config(self, machine):
            return Path(sys.argv[1]).read_text()

    seam.VagrantAdapter = Adapter
    from vagrantkit.cli import cli
    cli(["watch", "--folder", sys.argv[2]], prog_name="vagrantkit")
    """
)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_ctrl_c_or_sigterm_stops_watch_cleanly_with_exit_130(world: World, tmp_path: Path, signum: int) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "Vagrantfile").write_text("Vagrant.configure('2') { |c| c.vm.box = 'x' }\n")
    config = tmp_path / "ssh_config"
    config.write_text(world.guest.ssh_config("default"))
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(config), f"{world.host}={world.view}"],
        cwd=project,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stderr is not None
    first = child.stderr.readline()
    assert first.startswith("watch: connected to default over ssh:"), first
    assert lock.running(project, "default")
    ssh = [pid for pid in descendants(child.pid) if Path(cmdline(pid)[0]).name == "ssh"]
    assert len(ssh) == 1, "watch's ssh session"
    argv = cmdline(ssh[0])
    config_folder = Path(argv[argv.index("-F") + 1]).parent
    child.send_signal(signum)
    assert child.wait(30) == 130
    assert "Interrupted." in child.stderr.read()
    wait_for(lambda: not any(os.path.exists(f"/proc/{pid}") for pid in ssh), 10, "the ssh session to end")
    assert not lock.running(project, "default")
    assert not config_folder.exists(), "the ssh configuration written for the session is removed"
