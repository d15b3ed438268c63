"""bench inside a Vagrant guest, tested at the subprocess seam under the real adapter.

The fake plays `vagrant` and `VBoxManage`; its "guest" is this machine: `vagrant ssh -c "python3 - ARGS"`
really runs the runner sent on stdin (with HOME pointing at a temporary "guest disk"), so the
whole path from status to the analysed result runs, except the hypervisor.
"""

from __future__ import annotations

import os
import re
import shlex
import sys
from collections.abc import Callable, Sequence
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

import pytest

from tests.bench.conftest import scratch_left
from vagrantkit.bench.guest import run_in_vagrant
from vagrantkit.bench.model import BenchOptions
from vagrantkit.bench.transport import LOADER, BenchInterrupted
from vagrantkit.errors import VagrantkitError
from vagrantkit.framing import END, SENTINEL, mark
from vagrantkit.process import Completed, interact
from vagrantkit.vagrant_adapter import VagrantAdapter

VM_ID = "0c4d5e1f-aaaa-bbbb-cccc-123456789abc"


class FakeVagrant:
    """The subprocess seam, answering as `vagrant` and `VBoxManage` would."""

    def __init__(
        self, root: Path, *, provider: str = "virtualbox", state: str = "poweroff", mount_ok: bool = True
    ) -> None:
        self.root = root
        self.provider = provider
        self.state = state
        self.mount_ok = mount_ok
        self.home = root / "guest-home"
        self.nfs = root / "host-project"  # the NFS folder serves the host's project folder
        self.mnt = root / "mnt"
        for d in (self.home, self.nfs, self.mnt):
            d.mkdir(parents=True)
        self.mounts = (
            f"/dev/sda1 / ext4 rw,relatime 0 0\n192.168.56.1:{self.nfs} {self.nfs} nfs rw,vers=3,nolock,actimeo=1 0 0\n"
        )
        self.runner_exit: int | None = None
        self.umount_busy = False
        # The VM's transient shares, name -> host path, as VBoxManage keeps them while it runs.
        self.shares: dict[str, str] = {}
        self.showvminfo_ok = True
        self.calls: list[list[str]] = []

    def __call__(
        self,
        argv: Sequence[str],
        *,
        timeout: float = 30,
        cwd: Path | None = None,
        env: Any = None,
        input: str | None = None,
    ) -> Completed:
        argv = [str(a) for a in argv]
        self.calls.append(argv)

        def done(code: int = 0, out: str = "", err: str = "") -> Completed:
            return Completed(tuple(argv), code, out, err)

        if argv[:2] == ["vagrant", "status"]:
            lines = [f"1,default,provider-name,{self.provider}", f"1,default,state,{self.state}"]
            return done(out="\n".join(lines) + "\n")
        if argv[:2] == ["vagrant", "up"]:
            self.state = "running"
            return done()
        if argv[:2] in (["vagrant", "halt"], ["vagrant", "suspend"]):
            self.state = {"halt": "poweroff", "suspend": "saved"}[argv[1]]
            return done()
        if argv[0] == "VBoxManage":
            return self.vboxmanage(argv, done)
        assert argv[:5] == ["vagrant", "ssh", "default", "--no-tty", "-c"], argv
        command = argv[5]
        if command == "cat /proc/mounts":
            return done(out=self.mounts)
        words = shlex.split(command)
        if "vboxsf" in words:
            if not self.mount_ok:
                return done(32, err="mount: unknown filesystem type 'vboxsf'")
            Path(words[-1]).symlink_to(self.nfs)  # stands in for the mount: a view of the host folder
            return done()
        if words[:3] == ["sudo", "umount", "-l"]:
            Path(words[3]).unlink()
            return done()
        if words[:2] == ["sudo", "umount"]:
            if self.umount_busy:
                return done(32, err=f"umount: {words[2]}: target is busy.")
            Path(words[2]).unlink()
            return done()
        if words[:2] == ["sudo", "rmdir"]:
            return done()
        raise AssertionError(f"unexpected guest command {command!r}")

    def vboxmanage(self, argv: list[str], done: Callable[..., Completed]) -> Completed:
        if argv[1] == "showvminfo":
            assert argv[2:] == [VM_ID, "--machinereadable"], argv
            if not self.showvminfo_ok:
                return done(1, err="VBoxManage: error: Could not find a registered machine")
            # Values escaped as newer VirtualBox prints them; the Vagrantfile's own share is a machine mapping.
            lines = ['name="project_default_1700000000000_12345"', 'VMState="running"']
            lines += ['SharedFolderNameMachineMapping1="vagrant"', 'SharedFolderPathMachineMapping1="C:\\\\proj"']
            for i, (name, path) in enumerate(self.shares.items(), 1):
                escaped = path.replace("\\", "\\\\")
                lines += [
                    f'SharedFolderNameTransientMapping{i}="{name}"',
                    f'SharedFolderPathTransientMapping{i}="{escaped}"',
                ]
            return done(out="\r\n".join(lines) + "\r\n")  # as on a Windows host: the seam keeps the CR
        assert argv[1] == "sharedfolder" and argv[3] == VM_ID and argv[-1] == "--transient", argv
        name = argv[argv.index("--name") + 1]
        if argv[2] == "add":
            self.shares[name] = argv[argv.index("--hostpath") + 1]
            return done()
        if self.shares.pop(name, None) is None:
            return done(1, err=f"VBoxManage: error: Could not find a shared folder named '{name}'.")
        return done()

    def vbox_verbs(self) -> list[str]:
        """The VBoxManage calls made, by verb: showvminfo, add, remove."""
        return [c[1] if c[1] == "showvminfo" else c[2] for c in self.vbox()]

    def interact(
        self,
        argv: Sequence[str],
        *,
        first: bytes,
        on_line: Callable[[str], str | None],
        timeout: float = 30,
        cwd: Path | None = None,
        env: Any = None,
    ) -> Completed:
        """`vagrant ssh --no-tty -c "<frame>; python3 -c LOADER ARGS; ..."`: the runner really runs, here."""
        argv = [str(a) for a in argv]
        self.calls.append(argv)
        assert argv[:5] == ["vagrant", "ssh", "default", "--no-tty", "-c"], argv
        framed = re.fullmatch(
            rf"{re.escape(mark('runner'))}; (python3 -c .*); rc=\$\?; {re.escape(mark(END))}; exit \$rc", argv[5]
        )
        assert framed, argv[5]
        words = shlex.split(framed[1])
        assert words[:3] == ["python3", "-c", LOADER]
        if self.runner_exit is not None:
            return Completed(
                tuple(argv), self.runner_exit, "", "runner.py: interrupted by SIGTERM; scratch folders removed\n"
            )
        done = interact(
            [sys.executable, "-I", "-c", LOADER, *words[3:]],
            first=first,
            on_line=on_line,
            timeout=120,
            env={**os.environ, "HOME": str(self.home)},
        )
        # As the guest's login shell prints it, a chatty profile included: only the frame is read.
        out = f"Welcome to the guest!\n{SENTINEL}runner\n{done.stdout}\n{SENTINEL}end\nlogout\n"
        return Completed(tuple(argv), done.returncode, out, done.stderr)

    def adapter(self, project: Path) -> VagrantAdapter:
        return VagrantAdapter(project, run=self, interact=self.interact)

    def vbox(self) -> list[list[str]]:
        return [c for c in self.calls if c[0] == "VBoxManage"]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / ".vagrant/machines/default/virtualbox").mkdir(parents=True)
    (root / ".vagrant/machines/default/virtualbox/id").write_text(VM_ID + "\n")
    (root / "Vagrantfile").write_text('Vagrant.configure("2") { |c| c.vm.box = "bento/ubuntu-24.04" }\n')
    return root


def _bench(project: Path, fake: FakeVagrant, *, ops: str = "stat,create,edit") -> Any:
    options = BenchOptions(project=project, size="20", reps=5, warmup=0, ops=ops, edits=4)
    notes: list[str] = []
    result = run_in_vagrant(
        options,
        adapter=fake.adapter(project),
        notify=notes.append,
        share_root=PurePosixPath(str(fake.mnt)),
    )
    return result, notes


def test_bench_in_virtualbox_compares_disk_nfs_and_a_transient_vboxsf_share(project: Path, tmp_path: Path) -> None:
    fake = FakeVagrant(tmp_path)
    result, notes = _bench(project, fake)
    assert notes[0] == "bench: starting default (vagrant up); it was poweroff..."
    assert ["vagrant", "up", "default"] in fake.calls
    # Left as it was found: halted again, after the share is gone, and said so.
    assert fake.calls[-1] == ["vagrant", "halt", "default"] and fake.state == "poweroff"
    assert notes[-1] == "bench: default was poweroff: vagrant halt default..."
    assert [t.label for t in result.targets] == ["disk", "nfs", "vboxsf"]
    assert result.baseline == "disk" and result.where == "vagrant:default (virtualbox)"
    paths = {t.label: Path(t.path) for t in result.targets}
    assert paths["disk"] == fake.home and paths["nfs"] == fake.nfs
    assert paths["vboxsf"].parent == fake.mnt
    name = paths["vboxsf"].name
    listed, add, remove = fake.vbox()
    assert listed == ["VBoxManage", "showvminfo", VM_ID, "--machinereadable"]  # for shares left by an earlier run
    assert add == [
        "VBoxManage",
        "sharedfolder",
        "add",
        VM_ID,
        "--name",
        name,
        "--hostpath",
        str(fake.nfs),
        "--transient",
    ]
    assert remove == ["VBoxManage", "sharedfolder", "remove", VM_ID, "--name", name, "--transient"]
    umount = next(i for i, c in enumerate(fake.calls) if "umount" in c[-1])
    assert umount < fake.calls.index(remove)  # unmounted in the guest before the share goes away
    assert not paths["vboxsf"].exists()
    for row in result.rows:
        if row.op == "edit":  # the shares only: the host edited the folder behind them, the guest saw it
            assert {c.label: (len(c.ns), c.misses) for c in row.cells} == {"nfs": (4, 0), "vboxsf": (4, 0)}
            continue
        assert {c.label for c in row.cells} == {"disk", "nfs", "vboxsf"}
        assert all((c.ratio is None) == (c.label == "disk") for c in row.cells)
    assert result.warnings == ("default was poweroff: started for the run, then halted again",)
    assert scratch_left(fake.home, fake.nfs) == []


def test_a_suspended_machine_is_suspended_again_and_a_running_one_left_running(project: Path, tmp_path: Path) -> None:
    saved = FakeVagrant(tmp_path / "saved", state="saved")
    _bench(project, saved)
    assert saved.calls[-1] == ["vagrant", "suspend", "default"] and saved.state == "saved"
    running = FakeVagrant(tmp_path / "running", state="running")
    _bench(project, running)
    assert not [c for c in running.calls if c[1] in ("up", "halt", "suspend")]


def test_a_machine_that_is_not_created_is_not_created_by_bench(project: Path, tmp_path: Path) -> None:
    fake = FakeVagrant(tmp_path, state="not_created")
    with pytest.raises(VagrantkitError, match="default is not created: bench measures a machine that exists"):
        _bench(project, fake)
    assert [c[:2] for c in fake.calls] == [["vagrant", "status"]]


def test_up_creates_a_machine_that_does_not_exist_says_so_and_halts_it_afterwards(
    project: Path, tmp_path: Path
) -> None:
    fake = FakeVagrant(tmp_path, state="not_created")
    options = BenchOptions(project=project, size="20", reps=5, warmup=0, ops="stat", up=True)
    notes: list[str] = []
    result = run_in_vagrant(
        options, adapter=fake.adapter(project), notify=notes.append, share_root=PurePosixPath(str(fake.mnt))
    )
    assert notes[0] == "bench: creating default (vagrant up, as --up asks); it stays created..."
    assert ["vagrant", "up", "default"] in fake.calls and fake.calls[-1] == ["vagrant", "halt", "default"]
    assert (
        "default was not created: created for the run (--up), then halted; `vagrant destroy default` removes it"
        in result.warnings
    )


def test_a_run_stopped_by_a_signal_still_halts_the_machine_it_started(project: Path, tmp_path: Path) -> None:
    fake = FakeVagrant(tmp_path, state="poweroff")
    fake.runner_exit = 143
    with pytest.raises(BenchInterrupted):
        _bench(project, fake)
    assert fake.calls[-1] == ["vagrant", "halt", "default"] and fake.state == "poweroff"


def test_a_share_the_guest_cannot_mount_is_skipped_with_a_warning_and_removed(project: Path, tmp_path: Path) -> None:
    fake = FakeVagrant(tmp_path, state="running", mount_ok=False)
    result, _ = _bench(project, fake)
    assert not any(c[:2] == ["vagrant", "up"] for c in fake.calls)
    assert [t.label for t in result.targets] == ["disk", "nfs"]
    assert result.warnings[0].startswith(
        "vboxsf skipped: mounting it in the guest failed (are the Guest Additions installed?)"
    )
    assert fake.vbox_verbs() == ["showvminfo", "add", "remove"]


def test_libvirt_measures_the_9p_folder_already_mounted(project: Path, tmp_path: Path) -> None:
    fake = FakeVagrant(tmp_path, provider="libvirt", state="running")
    share = tmp_path / "ninep"
    share.mkdir()
    fake.mounts += f"vagrant0 {share} 9p rw,trans=virtio,version=9p2000.L 0 0\n"
    result, _ = _bench(project, fake)
    assert [t.label for t in result.targets] == ["disk", "nfs", "9p"]
    assert fake.vbox() == []


def test_a_guest_run_stopped_by_a_signal_still_removes_the_share(project: Path, tmp_path: Path) -> None:
    fake = FakeVagrant(tmp_path, state="running")
    fake.runner_exit = 143
    with pytest.raises(BenchInterrupted) as caught:
        _bench(project, fake)
    assert caught.value.exit_code == 143
    assert fake.vbox_verbs() == ["showvminfo", "add", "remove"]
    assert list(fake.mnt.iterdir()) == []


def test_bench_without_local_needs_a_vagrantfile(
    cli_runner: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = cli_runner("bench", "--profile", "quick")
    assert result.exit_code == 1
    assert f"Error: no Vagrantfile in {tmp_path}" in result.stderr
    assert "--local PATH" in result.stderr
    assert os.listdir(tmp_path) == []


def test_command_in_the_guest_runs_in_copies_of_the_nfs_folder(project: Path, tmp_path: Path) -> None:
    fake = FakeVagrant(tmp_path, state="running")
    (fake.nfs / "manage.py").write_text("print('hi')\n")
    probe = f"{sys.executable} -c \"import os, sys; sys.exit(0 if os.path.exists('manage.py') else 7)\""
    options = BenchOptions(project=project, reps=5, warmup=0, command=probe)
    result = run_in_vagrant(options, adapter=fake.adapter(project), share_root=PurePosixPath(str(fake.mnt)))
    assert result.params["copy"] == str(fake.nfs)
    row = result.row("command")
    assert row is not None and {c.label for c in row.cells} == {"disk", "nfs", "vboxsf"}
    for label in ("disk", "nfs", "vboxsf"):
        assert len(result.document["results"][label]["command"]["ns"]) == 5
    assert scratch_left(fake.home, fake.nfs) == []
    assert sorted(os.listdir(fake.nfs)) == ["manage.py"]


def test_an_nfs_export_that_is_no_folder_here_is_said_not_silently_replaced(project: Path, tmp_path: Path) -> None:
    # WinNFSd's form of C:\Users\me\proj, read on a host that has no such folder.
    fake = FakeVagrant(tmp_path, state="running")
    fake.mounts = fake.mounts.replace(f"192.168.56.1:{fake.nfs} ", "192.168.56.1:/C/Users/me/proj ")
    result, _ = _bench(project, fake)
    assert (
        "the NFS export 192.168.56.1:/C/Users/me/proj maps to no folder of this host: vboxsf shares the "
        f"folder {project.resolve()} instead, and edit latency in nfs is n/a"
    ) in result.warnings
    add = fake.vbox()[1]
    assert add[add.index("--hostpath") + 1] == str(project.resolve())


def test_every_command_bench_sends_over_vagrant_ssh_is_ascii_even_for_paths_that_are_not(
    project: Path, tmp_path: Path
) -> None:
    # Vagrant hands `-c COMMAND` to ssh as an argument, which Windows converts to the console's code page.
    fake = FakeVagrant(tmp_path, state="running")
    fake.nfs, fake.home = tmp_path / "prøjekt", tmp_path / "hôme"
    fake.nfs.mkdir()
    fake.home.mkdir()
    fake.mounts = f"/dev/sda1 / ext4 rw 0 0\n192.168.56.1:{fake.nfs} {fake.nfs} nfs rw,vers=3 0 0\n"
    result, _ = _bench(project, fake)
    commands = [c[5] for c in fake.calls if c[:2] == ["vagrant", "ssh"]]
    assert len(commands) >= 4  # /proc/mounts, the share's mount and umount, the runner
    assert [c for c in commands if not c.isascii()] == []
    assert {t.label: t.path for t in result.targets}["nfs"] == str(fake.nfs)  # the path arrived whole
    assert result.status.value == "ok", result.errors
    assert scratch_left(fake.home, fake.nfs) == []


def test_the_runner_reads_arguments_sent_as_base64(tmp_path: Path) -> None:
    from vagrantkit.bench import runner

    folder = tmp_path / "dïr"
    folder.mkdir()
    sent = runner.encode_argv([f"x={folder}", "--size", "10"])
    assert sent[0] == "--argv-b64" and all(a.isascii() for a in sent)
    assert runner.decode_argv(sent[1:]) == [f"x={folder}", "--size", "10"]
    assert runner.encode_argv(["a=/srv", "--size", "10"]) == ["a=/srv", "--size", "10"]  # ASCII: as it is
    with pytest.raises(runner.UsageError, match="invalid --argv-b64"):
        runner.decode_argv(["bm90IGpzb24="])


def test_a_busy_share_is_unmounted_lazily_before_virtualbox_removes_it_and_said(project: Path, tmp_path: Path) -> None:
    fake = FakeVagrant(tmp_path, state="running")
    fake.umount_busy = True
    result, _ = _bench(project, fake)
    point = next(t.path for t in result.targets if t.label == "vboxsf")
    steps = [c[5] if c[:2] == ["vagrant", "ssh"] else " ".join(c[:3]) for c in fake.calls]
    tail = steps[steps.index(f"sudo umount {point}") :]
    assert tail == [
        f"sudo umount {point}",
        f"sudo umount -l {point}",
        f"sudo rmdir {point}",
        "VBoxManage sharedfolder remove",
    ]
    assert (
        f"vboxsf: umount {point} in the guest failed (umount: {point}: target is busy.); detached lazily (umount -l)"
        in result.warnings
    )


def test_an_smb_folder_is_measured_beside_nfs_and_edited_where_the_vagrantfile_says(
    project: Path, tmp_path: Path
) -> None:
    # Vagrant names the SMB share itself (vgt-<id>-<hash>): the host folder behind it is the
    # Vagrantfile's SMB folder with that guest path. The vboxsf share is made of the NFS export.
    fake = FakeVagrant(tmp_path, state="running")
    (project / "src").mkdir()
    guest = tmp_path / "srv-src"  # the guest's mount point: the fake's "guest" is this machine
    guest.symlink_to(project / "src")
    (project / "Vagrantfile").write_text(
        'Vagrant.configure("2") do |c|\n'
        '  c.vm.box = "bento/ubuntu-24.04"\n'
        f'  c.vm.synced_folder "src", "{guest}", type: "smb", mount_options: ["vers=3.02"]\n'
        "end\n"
    )
    fake.mounts += f"//192.168.56.1/vgt-0c4d5e1f-8a8b {guest} cifs rw,vers=3.02,mfsymlinks 0 0\n"
    result, _ = _bench(project, fake)
    assert [t.label for t in result.targets] == ["disk", "nfs", "smb", "vboxsf"]
    assert {t.label: t.path for t in result.targets}["smb"] == str(guest)
    edit = result.row("edit")  # the host edited project/src, and the guest saw it through the "smb" mount
    assert edit is not None and {c.label: (len(c.ns), c.misses) for c in edit.cells}["smb"] == (4, 0)
    add = fake.vbox()[1]
    assert add[add.index("--hostpath") + 1] == str(fake.nfs)  # vboxsf measures the files NFS serves
    assert not any("smb" in w for w in result.warnings), result.warnings


def test_an_smb_share_the_vagrantfile_does_not_name_is_measured_and_its_edits_are_said_to_be_na(
    project: Path, tmp_path: Path
) -> None:
    fake = FakeVagrant(tmp_path, state="running")
    fake.mounts = f"/dev/sda1 / ext4 rw 0 0\n//192.168.56.1/vgt-abc {fake.nfs} cifs rw,vers=3.02 0 0\n"
    result, _ = _bench(project, fake)
    assert [t.label for t in result.targets] == ["disk", "smb", "vboxsf"]
    assert (
        f"the SMB share //192.168.56.1/vgt-abc maps to no folder of this host: vboxsf shares the folder "
        f"{project.resolve()} instead, and edit latency in smb is n/a"
    ) in result.warnings
    assert "edit" not in result.document["results"]["smb"]  # no host side to edit: not measured there


def test_a_guest_with_no_synced_folder_says_so_by_every_sync_type(project: Path, tmp_path: Path) -> None:
    fake = FakeVagrant(tmp_path, state="running")
    fake.mounts = "/dev/sda1 / ext4 rw 0 0\n"
    result, _ = _bench(project, fake)
    assert [t.label for t in result.targets] == ["disk", "vboxsf"]
    assert "no NFS or SMB folder is mounted in the guest (vagrantkit init renders one)" in result.warnings


@pytest.mark.parametrize(
    ("host_path", "given"),
    [
        (r"C:\Users\me\proj", r"\\?\C:\Users\me\proj"),
        ("C:/Users/me/proj", r"\\?\C:\Users\me\proj"),  # slashes become backslashes, as \\?\ requires
        ("C:\\" + "\\".join(["deep" * 10] * 8), "\\\\?\\C:\\" + "\\".join(["deep" * 10] * 8)),  # 331 characters
        (r"\\server\share\proj", r"\\server\share\proj"),  # UNC: as it is
        ("//server/share/proj", r"\\server\share\proj"),
        (r"\\?\C:\Users\me\proj", r"\\?\C:\Users\me\proj"),  # already prefixed: not twice
        ("C:", "C:\\"),  # a bare drive: its root, unprefixed, as Vagrant does
        ("C:\\", "C:\\"),
    ],
)
def test_a_windows_host_path_reaches_virtualbox_long_path_prefixed_as_vagrant_passes_it(
    host_path: str, given: str
) -> None:
    from vagrantkit.vagrant_adapter import vbox_host_path

    assert vbox_host_path(host_path, windows=True) == given
    assert str(PureWindowsPath(given)) == given  # what Windows itself reads back, unchanged


def test_a_posix_host_path_reaches_virtualbox_unchanged() -> None:
    from vagrantkit.vagrant_adapter import vbox_host_path

    for path in ("/home/me/proj", "/home/me/" + "d" * 300, r"/home/me/odd\name"):
        assert vbox_host_path(path, windows=False) == path


def test_the_adapter_on_a_windows_host_adds_the_share_by_its_long_path_form(tmp_path: Path) -> None:
    fake = FakeVagrant(tmp_path)
    windows = VagrantAdapter(tmp_path, run=fake, interact=fake.interact, windows=True)
    assert windows.transient_share(VM_ID, "vagrantkit-bench-ab12cd34", Path(r"C:\Users\me\proj"), add=True).ok
    windows.transient_share(VM_ID, "vagrantkit-bench-ab12cd34", Path(r"C:\Users\me\proj"), add=False)
    add, remove = fake.vbox()
    assert add[add.index("--hostpath") + 1] == r"\\?\C:\Users\me\proj"
    assert "--hostpath" not in remove


def test_shares_and_mounts_a_killed_run_left_are_removed_first_and_said_and_no_one_elses(
    project: Path, tmp_path: Path
) -> None:
    fake = FakeVagrant(tmp_path, state="running")
    stale = fake.mnt / "vagrantkit-bench-0badc0de"
    stale.symlink_to(fake.nfs)  # still mounted in the guest: the earlier run was killed mid-measure
    users = {
        "vagrantkit-bench-notes": r"C:\Users\me\notes",  # a user's own shares, named like ours but not as bench names
        "vagrantkit-bench-0badc0de00": r"C:\Users\me\x",
        "vagrantkit-bench-0BADC0DE": r"C:\Users\me\y",
        "project": r"C:\Users\me\proj",
    }
    fake.shares = {"vagrantkit-bench-deadbeef": r"C:\Users\me\old", **users}
    notes, elsewhere = fake.mnt / "vagrantkit-bench-notes", tmp_path / "vagrantkit-bench-cafebabe"
    notes.mkdir()
    elsewhere.mkdir()
    fake.mounts += (
        f"vagrantkit-bench-0badc0de {stale} vboxsf rw,nodev,relatime 0 0\n"
        f"vagrantkit-bench-notes {notes} vboxsf rw,nodev,relatime 0 0\n"
        f"vagrantkit-bench-cafebabe {elsewhere} vboxsf rw,nodev,relatime 0 0\n"  # not under the share root
        f"tmpfs {fake.mnt / 'vagrantkit-bench-cafef00d'} tmpfs rw 0 0\n"  # not vboxsf
    )
    result, _ = _bench(project, fake, ops="stat")
    steps = [c[5] if c[:2] == ["vagrant", "ssh"] else " ".join(c[:6]) for c in fake.calls]
    add = next(i for i, s in enumerate(steps) if s.startswith("VBoxManage sharedfolder add"))
    assert steps[steps.index("cat /proc/mounts") + 1 : add] == [
        f"sudo umount {stale}",
        f"sudo rmdir {stale}",
        f"VBoxManage showvminfo {VM_ID} --machinereadable",
        f"VBoxManage sharedfolder remove {VM_ID} --name vagrantkit-bench-deadbeef",
    ]
    assert result.warnings == (
        f"vboxsf: unmounted a stale mount {stale} left by an earlier run",
        "vboxsf: removed a stale share vagrantkit-bench-deadbeef left by an earlier run",
    )
    assert fake.shares == users  # this run's share removed too, the user's left alone
    assert not stale.exists() and notes.is_dir() and elsewhere.is_dir()
    assert [t.label for t in result.targets] == ["disk", "nfs", "vboxsf"]


def test_shares_that_cannot_be_listed_are_said_not_swept_and_the_run_goes_on(project: Path, tmp_path: Path) -> None:
    fake = FakeVagrant(tmp_path, state="running")
    fake.showvminfo_ok = False
    result, _ = _bench(project, fake, ops="stat")
    assert result.warnings == (
        f"vboxsf: VBoxManage showvminfo {VM_ID} failed: shares left by an earlier run were not looked for",
    )
    assert [t.label for t in result.targets] == ["disk", "nfs", "vboxsf"]
    assert fake.vbox_verbs() == ["showvminfo", "add", "remove"]
