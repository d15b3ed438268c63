"""doctor inside the running machine: one `vagrant ssh`, and the synced folders judged against the Vagrantfile.

Through the fake host (the Vagrant adapter's subprocess seam); the real machine is the e2e's
(tests/e2e), where the same checks run against a real guest.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.doctor.fakes import FakeHost, linux_host
from vagrantkit.doctor.core import run_doctor
from vagrantkit.doctor.guest import PROBE_SCRIPT
from vagrantkit.doctor.model import CheckResult, Status
from vagrantkit.framing import SENTINEL
from vagrantkit.render.init import init

RUNNING = (
    "1764000000,default,metadata,provider,libvirt\n"
    "1764000000,default,provider-name,libvirt\n"
    "1764000000,default,state,running\n"
    "1764000000,,ui,info,Current machine states:\n"
)
NFS_MOUNT = (
    "192.168.121.1:/home/dev/shop /vagrant nfs rw,relatime,vers=3,rsize=1048576,wsize=1048576,namlen=255,"
    "acregmin=1,acregmax=1,acdirmin=1,acdirmax=1,hard,nolock,proto=tcp,timeo=600,retrans=2,sec=sys,"
    "mountaddr=192.168.121.1,mountvers=3,mountport=20048,mountproto=tcp,local_lock=all,addr=192.168.121.1 0 0"
)
ROOT = "/dev/vda / ext4 rw,relatime 0 0"
SSH = f"vagrant ssh default --no-tty -c {PROBE_SCRIPT}"


def probe_output(*mounts: str, prefix: str = "", before: str = "", nfs_utils: str = "2.6.2") -> str:
    version = f"mount.nfs: (linux nfs-utils {nfs_utils})" if nfs_utils else "sh: 1: mount.nfs: not found"
    return (
        before
        + f"{SENTINEL}mounts\n"
        + "".join(m + "\n" for m in (ROOT, *mounts))
        + f"{SENTINEL}kernel\n6.1.0-50-amd64\n"
        + f"{SENTINEL}nfs-utils\n{version}\n"
        + f"{SENTINEL}pycache\n{prefix}\n"
        + f"{SENTINEL}end\n"
    )


def host_with(probe: str | tuple[int, str, str], status: str = RUNNING) -> FakeHost:
    host = linux_host()
    host.fake_runner.answers["vagrant status --machine-readable"] = status
    host.fake_runner.answers[SSH] = probe
    return host


def guest_results(host: FakeHost, project: Path, **init_answers: object) -> dict[str, CheckResult]:
    init(project, {"provider": "libvirt", **init_answers})
    created = project / ".vagrant" / "machines" / "default" / "libvirt" / "id"  # as `vagrant up` leaves it
    created.parent.mkdir(parents=True, exist_ok=True)
    created.write_text("5f3c0a8e-1d2b-4c3d-9e8f-0a1b2c3d4e5f")
    return {c.id: c for c in run_doctor(host=host, cwd=project, only=["guest"]).checks}


def test_nfs_folder_mounted_as_rendered_passes_naming_what_is_in_force(tmp_path: Path) -> None:
    host = host_with(probe_output(NFS_MOUNT))
    results = guest_results(host, tmp_path)
    r = results["guest.synced-folders:default:/vagrant"]
    assert r.status is Status.PASS, r
    assert r.message == (
        "nfs from 192.168.121.1:/home/dev/shop (vers=3, proto=tcp, nolock, acregmin=1, acregmax=1, acdirmin=1, "
        "acdirmax=1)"
    )
    assert results["guest.versions:default"].message == "default: kernel 6.1.0-50-amd64, nfs-utils 2.6.2"
    assert results["guest.pycache-prefix"].status is Status.SKIP  # no manage.py


def test_every_guest_check_shares_one_vagrant_ssh(tmp_path: Path) -> None:
    (tmp_path / "manage.py").write_text("")
    host = host_with(probe_output(NFS_MOUNT))
    guest_results(host, tmp_path)
    assert host.fake_runner.count("vagrant", "ssh") == 1
    assert host.fake_runner.count("vagrant", "status") == 1


def test_a_chatty_login_profile_around_the_frames_changes_nothing(tmp_path: Path) -> None:
    host = host_with(probe_output(NFS_MOUNT, before="Welcome!\n@@not-ours\nacregmin=9\n") + "logout\n")
    assert guest_results(host, tmp_path)["guest.synced-folders:default:/vagrant"].status is Status.PASS


@pytest.mark.parametrize(
    ("mount", "words"),
    [
        (
            "none /vagrant vboxsf rw,nodev,relatime,iocharset=utf8,uid=1000,gid=1000 0 0",
            "mounted as VirtualBox shared folder (vboxsf) (vboxsf), not as the nfs folder Vagrantfile:",
        ),
        (NFS_MOUNT.replace("proto=tcp", "proto=udp"), "but proto=udp in force: UDP"),
        (NFS_MOUNT.replace("acregmin=1,acregmax=1", "acregmin=3,acregmax=60"), "acregmin=1 asked, acregmin=3 in force"),
        (NFS_MOUNT.replace("nolock,", ""), "nolock asked, not in force"),
        (NFS_MOUNT.replace("vers=3", "vers=4.2").replace(" nfs ", " nfs4 "), "vers=3 asked, vers=4.2 in force"),
    ],
)
def test_a_folder_mounted_otherwise_than_asked_fails_saying_how(mount: str, words: str, tmp_path: Path) -> None:
    r = guest_results(host_with(probe_output(mount)), tmp_path)["guest.synced-folders:default:/vagrant"]
    assert r.status is Status.FAIL
    assert words in r.message
    assert r.fix is not None and r.fix.commands == ("vagrant reload default",)


def test_a_folder_that_is_not_mounted_fails(tmp_path: Path) -> None:
    r = guest_results(host_with(probe_output()), tmp_path)["guest.synced-folders:default:/vagrant"]
    assert (r.status, r.message) == (Status.FAIL, "not mounted (the folder is on /, ext4)")


def test_custom_cache_options_are_what_the_guest_must_show(tmp_path: Path) -> None:
    mount = NFS_MOUNT.replace(
        "acregmin=1,acregmax=1,acdirmin=1,acdirmax=1", "acregmin=60,acregmax=60,acdirmin=60,acdirmax=60"
    )
    host = host_with(probe_output(mount.replace("hard,", "hard,nocto,")))
    results = guest_results(host, tmp_path, mount_options=["nolock", "actimeo=60", "nocto"])
    assert results["guest.synced-folders:default:/vagrant"].status is Status.PASS


@pytest.mark.parametrize(
    ("state", "words"), [("poweroff", "default is poweroff"), ("not_created", "default is not created")]
)
def test_a_machine_that_does_not_run_is_skipped_with_the_reason(state: str, words: str, tmp_path: Path) -> None:
    host = host_with(probe_output(NFS_MOUNT), status=RUNNING.replace("state,running", f"state,{state}"))
    results = guest_results(host, tmp_path)
    for check_id in ("guest.synced-folders", "guest.versions"):
        assert results[check_id].status is Status.SKIP
        assert results[check_id].message.startswith(words), results[check_id].message
    assert host.fake_runner.count("vagrant", "ssh") == 0


def test_an_ssh_that_fails_is_a_warning_not_a_verdict_on_the_folders(tmp_path: Path) -> None:
    host = host_with((255, "", "ssh: connect to host 192.168.121.5 port 22: Connection refused\n"))
    r = guest_results(host, tmp_path)["guest.synced-folders:default"]
    assert r.status is Status.WARN
    assert r.message == (
        "default runs, but its inside could not be read: `vagrant ssh default` failed: "
        "ssh: connect to host 192.168.121.5 port 22: Connection refused"
    )


def test_an_answer_cut_short_is_a_warning(tmp_path: Path) -> None:
    host = host_with(probe_output(NFS_MOUNT).split(f"{SENTINEL}pycache")[0])
    r = guest_results(host, tmp_path)["guest.versions:default"]
    assert r.status is Status.WARN and "lacks pycache, end" in r.message


@pytest.mark.parametrize(("prefix", "status"), [("", Status.WARN), ("/home/vagrant/.cache/pycache", Status.PASS)])
def test_pycache_prefix_of_the_vagrant_user_is_checked_for_a_django_project(
    prefix: str, status: Status, tmp_path: Path
) -> None:
    (tmp_path / "manage.py").write_text("")
    results = guest_results(host_with(probe_output(NFS_MOUNT, prefix=prefix)), tmp_path)
    r = results["guest.pycache-prefix:default"]
    assert r.status is status
    if status is Status.WARN:
        assert r.fix is not None and r.fix.commands == (
            "echo 'export PYTHONPYCACHEPREFIX=\"$HOME/.cache/pycache\"' >> ~/.profile",
        )


def test_a_project_without_a_created_machine_is_skipped_without_asking_vagrant(tmp_path: Path) -> None:
    host = host_with(probe_output(NFS_MOUNT))
    init(tmp_path, {"provider": "libvirt"})
    results = {c.id: c for c in run_doctor(host=host, cwd=tmp_path, only=["guest"]).checks}
    assert results["guest.synced-folders"].message == "no machine of this project is created (`vagrant up` creates one)"
    assert host.fake_runner.count("vagrant", "status") == host.fake_runner.count("vagrant", "ssh") == 0


# As the kernel shows actimeo=60,nocto: acregmax and acdirmax are its defaults (60), so left out.
LONG_CACHE_MOUNT = NFS_MOUNT.replace("acregmin=1,acregmax=1,acdirmin=1,acdirmax=1", "acregmin=60,acdirmin=60").replace(
    "hard,nolock", "hard,nocto,nolock"
)


def test_a_long_cache_folder_without_a_running_watch_warns_with_the_command(tmp_path: Path) -> None:
    from vagrantkit.watch import lock

    host = host_with(probe_output(LONG_CACHE_MOUNT))
    results = guest_results(host, tmp_path, watch=True)
    folder = results["guest.synced-folders:default:/vagrant"]
    assert folder.status is Status.PASS, folder  # acregmax=60 asked, and in force though not shown
    result = results["guest.watch:default"]
    assert result.status is Status.WARN
    assert result.message == (
        "default: /vagrant (acregmax=60, acdirmax=60, nocto) cache attributes and no vagrantkit watch runs: "
        "host edits can stay unseen in the guest for up to a minute"
    )
    assert result.fix is not None and result.fix.commands == ("vagrantkit watch --machine default",)
    held = lock.hold(tmp_path, "default")  # as a running `vagrantkit watch` holds it
    try:
        again = {c.id: c for c in run_doctor(host=host, cwd=tmp_path, only=["guest"]).checks}["guest.watch:default"]
    finally:
        held.release()
    assert again.status is Status.PASS and "vagrantkit watch runs for /vagrant" in again.message


def test_a_short_cache_folder_needs_no_watch(tmp_path: Path) -> None:
    result = guest_results(host_with(probe_output(NFS_MOUNT)), tmp_path)["guest.watch:default"]
    assert result.status is Status.PASS and result.message == "default: no NFS folder caches attributes for long"


SMB_MOUNT = (
    "//192.168.56.1/vgt-8d1b4c2a /vagrant cifs rw,relatime,vers=3.02,sec=ntlmssp,cache=strict,username=me,uid=1000,"
    "forceuid,gid=1000,forcegid,addr=192.168.56.1,file_mode=0755,dir_mode=0755,soft,nounix,serverino,mapposix,"
    "mfsymlinks,rsize=4194304,wsize=4194304,bsize=1048576,echo_interval=60,actimeo=1,closetimeo=1 0 0"
)


def test_an_smb_folder_mounted_with_cifs_passes_and_one_mounted_otherwise_fails(tmp_path: Path) -> None:
    good = guest_results(host_with(probe_output(SMB_MOUNT)), tmp_path / "good", sync="smb")
    r = good["guest.synced-folders:default:/vagrant"]
    assert (r.status, r.message) == (Status.PASS, "cifs from //192.168.56.1/vgt-8d1b4c2a")
    vboxsf = "none /vagrant vboxsf rw,nodev,relatime,iocharset=utf8,uid=1000,gid=1000 0 0"
    bad = guest_results(host_with(probe_output(vboxsf)), tmp_path / "bad", sync="smb")
    r = bad["guest.synced-folders:default:/vagrant"]
    assert r.status is Status.FAIL and "not as the smb folder" in r.message, r
