"""Single checks in the situations they exist for, each presented through a fake host."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.doctor.fakes import (
    NETSH_RULE,
    VAGRANT_NO_PLUGINS,
    WIN_VBOX,
    WINNFSD_EXE,
    FakeHost,
    linux_host,
    macos_host,
    netsh_rule,
    windows_host,
    wsl_host,
)
from vagrantkit.doctor.core import run_doctor
from vagrantkit.doctor.model import CheckResult, Status

NFS_VAGRANTFILE = (
    'Vagrant.configure("2") do |config|\n'
    '  config.vm.network "private_network", ip: "{ip}"\n'
    '  config.vm.synced_folder ".", "/vagrant", type: "nfs", nfs_version: 3\n'
    "end\n"
)


def run(host: FakeHost, tmp_path: Path, *ids: str, ip: str = "192.168.56.10") -> dict[str, CheckResult]:
    (tmp_path / "Vagrantfile").write_text(NFS_VAGRANTFILE.replace("{ip}", ip))
    return {c.id: c for c in run_doctor(host=host, cwd=tmp_path, only=ids).checks}


def calls_of(host: FakeHost, method: str) -> list[str]:
    """The first argument of each later call of ``host.<method>`` (which still answers as before)."""
    calls: list[str] = []
    original = getattr(host, method)

    def recording(first: str, *rest: object) -> object:
        calls.append(first)
        return original(first, *rest)

    setattr(host, method, recording)
    return calls


@pytest.mark.parametrize(
    ("vagrant", "status", "words"),
    [
        ("2.4.1", Status.FAIL, '`vagrant up` stops with "It appears your machine doesn\'t support NFS"'),
        ("2.2.9", Status.WARN, "silently falls back to slow VirtualBox shared folders"),
    ],
)
def test_windows_without_winnfsd_fails_from_vagrant_2_2_10_on(
    vagrant: str, status: Status, words: str, tmp_path: Path
) -> None:
    host = windows_host()
    host.fake_runner.answers["vagrant --version"] = f"Vagrant {vagrant}\n"
    host.fake_runner.answers["vagrant plugin list --machine-readable"] = VAGRANT_NO_PLUGINS
    del host.files[host.key(WINNFSD_EXE)]
    r = run(host, tmp_path, "nfs.winnfsd-plugin")["nfs.winnfsd-plugin"]
    assert r.status is status and words in r.message
    assert r.fix is not None and r.fix.commands == ("vagrant plugin install vagrant-winnfsd",)


def test_winnfsd_exe_missing_although_the_plugin_is_installed(tmp_path: Path) -> None:
    host = windows_host()
    del host.files[host.key(WINNFSD_EXE)]
    r = run(host, tmp_path, "nfs.winnfsd-exe")["nfs.winnfsd-exe"]
    assert r.status is Status.FAIL and "antivirus" in r.message
    assert r.fix is not None and r.fix.commands[-1] == "vagrant plugin install vagrant-winnfsd"
    assert r.details == (r"looked for C:\Users\dev\.vagrant.d\gems\*\gems\vagrant-winnfsd-*\bin\winnfsd.exe",)


def test_winnfsd_exe_is_found_under_vagrant_home(tmp_path: Path) -> None:
    exe = r"D:\vagrant\gems\3.3.0\gems\vagrant-winnfsd-1.4.0\bin\winnfsd.exe"
    host = windows_host(
        environ={"USERPROFILE": r"C:\Users\dev", "VAGRANT_HOME": r"D:\vagrant", "Path": r"C:\Program Files\Vagrant\bin"}
    )
    del host.files[host.key(WINNFSD_EXE)]
    host.files[host.key(exe)] = ""
    host.names[host.key(exe)] = exe
    assert run(host, tmp_path, "nfs.winnfsd-exe")["nfs.winnfsd-exe"].message == exe


def test_missing_firewall_rule_gives_the_netsh_commands(tmp_path: Path) -> None:
    host = windows_host()
    host.fake_runner.answers[NETSH_RULE] = (
        1,
        "No rules match the specified criteria.\n",
    )
    results = run(host, tmp_path, "nfs.winnfsd-firewall", "security.winnfsd-exposure")
    r = results["nfs.winnfsd-firewall"]
    assert r.status is Status.FAIL and "no inbound firewall rule VagrantWinNFSd-1.4.0" in r.message
    assert r.fix is not None and r.fix.commands[0] == (
        'netsh advfirewall firewall add rule name="VagrantWinNFSd-1.4.0" dir=in action=allow protocol=any '
        f'program="{WINNFSD_EXE}" profile=private'
    )
    assert results["security.winnfsd-exposure"].status is Status.SKIP


def test_a_rule_limited_to_private_networks_is_not_an_exposure(tmp_path: Path) -> None:
    host = windows_host()
    host.fake_runner.answers[NETSH_RULE] = netsh_rule("VagrantWinNFSd-1.4.0", "Private", "192.168.56.0/21")
    r = run(host, tmp_path, "security.winnfsd-exposure")["security.winnfsd-exposure"]
    assert r.status is Status.PASS and "profiles: Private" in r.message


def test_a_port_held_by_another_program_names_it_and_its_pid(tmp_path: Path) -> None:
    host = windows_host()
    host.fake_runner.answers["netstat -ano"] = (
        "  Proto  Local Address          Foreign Address        State           PID\n"
        "  TCP    0.0.0.0:2049           0.0.0.0:0              LISTENING       3100\n"
        "  UDP    0.0.0.0:111            *:*                                    3100\n"
    )
    host.fake_runner.answers["tasklist /fo csv /nh"] = '"nfssvc.exe","3100","Services","0","9,000 K"\r\n'
    results = run(host, tmp_path, "nfs.winnfsd-ports", "nfs.winnfsd-process")
    assert [(k, r.status) for k, r in results.items()] == [
        ("nfs.winnfsd-ports:111", Status.FAIL),
        ("nfs.winnfsd-ports:2049", Status.FAIL),
        ("nfs.winnfsd-process", Status.PASS),
    ]
    r = results["nfs.winnfsd-ports:2049"]
    assert r.message == "port 2049 (nfs) is held by nfssvc.exe (PID 3100): WinNFSd cannot start"
    assert r.fix is not None and r.fix.commands == ('tasklist /svc /fi "PID eq 3100"', "taskkill /pid 3100 /f")


def test_the_ports_process_and_exposure_checks_all_recognise_winnfsd_whatever_its_case(tmp_path: Path) -> None:
    host = windows_host()
    host.fake_runner.answers["tasklist /fo csv /nh"] = '"WinNFSd.EXE","4242","Console","1","5,120 K"\r\n'
    results = run(host, tmp_path, "nfs.winnfsd-ports", "nfs.winnfsd-process", "security.winnfsd-exposure")
    assert results["nfs.winnfsd-ports"].message == "111, 1058, 2049 held by winnfsd.exe"
    assert results["nfs.winnfsd-process"].message.startswith("winnfsd.exe (PID 4242) is running")
    assert "(listening on 0.0.0.0:111, 0.0.0.0:1058, 0.0.0.0:2049)" in results["security.winnfsd-exposure"].message
    assert host.fake_runner.count("tasklist") == 1


def test_winnfsd_serving_a_running_vm_is_fine(tmp_path: Path) -> None:
    host = windows_host()
    host.fake_runner.answers[WIN_VBOX + r"\VBoxManage.exe list runningvms"] = (
        '"shop_default_1764000000" {0b7c6a3e-1f6e-4d2a-9a59-3c1f5b2b9d11}\n'
    )
    assert run(host, tmp_path, "nfs.winnfsd-process")["nfs.winnfsd-process"].status is Status.PASS


def test_virtualbox_found_only_through_the_registry(tmp_path: Path) -> None:
    host = windows_host(environ={"USERPROFILE": r"C:\Users\dev", "Path": r"C:\Program Files\Vagrant\bin"})
    del host.files[host.key(WIN_VBOX + r"\VBoxManage.exe")]
    exe = r"D:\Apps\VirtualBox\VBoxManage.exe"
    host.files[host.key(exe)] = ""
    host.fake_runner.answers[r"reg query HKLM\SOFTWARE\Oracle\VirtualBox /v InstallDir"] = (
        "    InstallDir    REG_SZ    D:\\Apps\\VirtualBox\\\r\n"
    )
    host.fake_runner.answers[exe + " --version"] = "7.0.20r163906\n"
    r = run(host, tmp_path, "provider.virtualbox")["provider.virtualbox"]
    assert (r.status, r.message) == (Status.PASS, f"VirtualBox 7.0.20r163906 ({exe})")


def test_virtualbox_missing_on_windows_names_every_place_looked(tmp_path: Path) -> None:
    host = windows_host(environ={"USERPROFILE": r"C:\Users\dev", "Path": r"C:\Program Files\Vagrant\bin"})
    del host.files[host.key(WIN_VBOX + r"\VBoxManage.exe")]
    r = run(host, tmp_path, "provider.virtualbox")["provider.virtualbox"]
    assert r.status is Status.FAIL
    assert r.message == "VBoxManage was not found on PATH, in VBOX_MSI_INSTALL_PATH, the registry or %ProgramFiles%"
    assert r.fix is not None and r.fix.commands == ("winget install Oracle.VirtualBox",)


@pytest.mark.parametrize(
    ("on_path", "status", "message"),
    [
        (
            False,
            Status.WARN,
            "VirtualBox 7.0.14r161095 is installed in Windows but VBoxManage.exe is not on the WSL PATH",
        ),
        (True, Status.PASS, "VirtualBox 7.0.14r161095 (/mnt/c/Program Files/Oracle/VirtualBox/VBoxManage.exe)"),
    ],
)
def test_wsl_looks_for_vboxmanage_exe_on_path_once(tmp_path: Path, on_path: bool, status: Status, message: str) -> None:
    folder = "/mnt/c/Program Files/Oracle/VirtualBox"
    environ = dict(wsl_host().environ)
    if on_path:
        environ["PATH"] += ":" + folder
    host = wsl_host(environ=environ)
    looked = calls_of(host, "which")
    r = run(host, tmp_path, "provider.virtualbox")["provider.virtualbox"]
    assert (r.status, r.message) == (status, message)
    assert looked.count("VBoxManage.exe") == 1


def test_virtualbox_7_1_needs_vagrant_2_4_2(tmp_path: Path) -> None:
    host = linux_host()
    host.fake_runner.answers["vagrant --version"] = "Vagrant 2.3.4\n"
    host.fake_runner.answers["/usr/bin/VBoxManage --version"] = "7.1.4r165100\n"
    r = run(host, tmp_path, "provider.virtualbox")["provider.virtualbox"]
    assert (r.status, r.message) == (Status.FAIL, "VirtualBox 7.1.4r165100 needs Vagrant >= 2.4.2 (this is 2.3.4)")


def test_hyperv_running_under_virtualbox_is_a_warning_with_the_bcdedit_fix(tmp_path: Path) -> None:
    host = windows_host()
    host.fake_runner.answers[
        "powershell -NoProfile -Command (Get-CimInstance -ClassName Win32_ComputerSystem).HypervisorPresent"
    ] = "True\r\n"
    r = run(host, tmp_path, "provider.hyperv")["provider.hyperv"]
    assert r.status is Status.WARN
    assert r.fix is not None and r.fix.commands == ("bcdedit /set hypervisorlaunchtype off",)


@pytest.mark.parametrize(
    ("conf", "ip", "status"),
    [
        (None, "192.168.56.10", Status.PASS),
        (None, "10.0.0.10", Status.FAIL),
        ("* 192.168.56.0/21\n", "192.168.33.10", Status.FAIL),
        ("* 10.0.0.0/8 192.168.0.0/16\n", "192.168.33.10", Status.PASS),
    ],
)
def test_hostonly_address_must_be_inside_the_ranges_virtualbox_allows(
    conf: str | None, ip: str, status: Status, tmp_path: Path
) -> None:
    host = linux_host()
    if conf is None:
        del host.files["/etc/vbox/networks.conf"]
    else:
        host.files["/etc/vbox/networks.conf"] = conf
    results = run(host, tmp_path, "provider.hostonly-range", ip=ip)
    (r,) = results.values()
    assert r.status is status
    if status is Status.FAIL:
        assert r.id == "provider.hostonly-range:L2" and r.message.startswith(f"line 2: {ip} is outside")
        assert r.fix is not None and r.fix.commands[-1].startswith("echo '* ")


def test_old_virtualbox_has_no_hostonly_restriction(tmp_path: Path) -> None:
    host = linux_host()
    host.fake_runner.answers["/usr/bin/VBoxManage --version"] = "6.1.26r145957\n"
    r = run(host, tmp_path, "provider.hostonly-range", ip="10.0.0.10")["provider.hostonly-range"]
    assert r.status is Status.SKIP


def test_libvirt_chosen_without_its_plugin(tmp_path: Path) -> None:
    host = linux_host()
    (tmp_path / "Vagrantfile").write_text(
        'Vagrant.configure("2") do |config|\n  config.vm.provider "libvirt" do |lv|\n  end\nend\n'
    )
    results = {c.id: c for c in run_doctor(host=host, cwd=tmp_path, only=["provider"]).checks}
    assert results["provider.libvirt"].status is Status.FAIL
    assert "vagrant-libvirt plugin is not installed" in results["provider.libvirt"].message
    assert results["provider.virtualbox"].status is Status.PASS  # installed anyway: reported, not required


LIBVIRT_PLUGIN = (  # Debian's vagrant-libvirt package, as `vagrant plugin list` shows it
    "1764000000,,ui,info,vagrant-libvirt (0.11.2%!(VAGRANT_COMMA) system)\n"
    "1764000000,,plugin-name,vagrant-libvirt\n"
    "1764000000,vagrant-libvirt,plugin-version,0.11.2%!(VAGRANT_COMMA) system\n"
)


def test_libvirt_with_dev_kvm_says_only_what_it_looked_at(tmp_path: Path) -> None:
    # /dev/kvm can be present and still not run guests (seen on this kind of machine).
    host = linux_host()
    host.fake_runner.answers["vagrant plugin list --machine-readable"] = LIBVIRT_PLUGIN
    host.executables.add(host.key("/usr/bin/virsh"))
    host.files["/dev/kvm"] = ""
    (tmp_path / "Vagrantfile").write_text('Vagrant.configure("2") do |config|\n  config.vm.provider "libvirt"\nend\n')
    r = {c.id: c for c in run_doctor(host=host, cwd=tmp_path, only=["provider.libvirt"]).checks}["provider.libvirt"]
    assert (r.status, r.message) == (
        Status.PASS,
        "vagrant-libvirt installed, virsh found, /dev/kvm present (whether KVM can run guests is not tested)",
    )


def test_linux_without_nfs_server_gives_the_package_for_its_family(tmp_path: Path) -> None:
    host = linux_host()
    host.executables.discard("/usr/sbin/exportfs")
    del host.files["/usr/sbin/exportfs"]
    host.files["/etc/os-release"] = 'PRETTY_NAME="Fedora Linux 40"\nID=fedora\n'
    r = run(host, tmp_path, "nfs.server")["nfs.server"]
    assert r.status is Status.FAIL
    assert r.fix is not None
    assert r.fix.commands == ("sudo dnf install -y nfs-utils", "sudo systemctl enable --now nfs-server")


def test_sudoers_all_allowed_passes_and_uses_wheel_on_fedora(tmp_path: Path) -> None:
    host = linux_host()
    for key in list(host.fake_runner.answers):
        if key.startswith("sudo -n -l"):
            host.fake_runner.answers[key] = "ok\n"
    assert run(host, tmp_path, "nfs.sudoers")["nfs.sudoers"].status is Status.PASS
    fedora = linux_host()
    fedora.files["/etc/os-release"] = "ID=fedora\n"
    r = run(fedora, tmp_path, "nfs.sudoers")["nfs.sudoers"]
    assert r.fix is not None and "\n%wheel ALL=(root) NOPASSWD: VAGRANT_EXPORTS_CHOWN" in r.fix.commands[0]


@pytest.mark.parametrize("uid", [0, 1000])
def test_sudo_missing_is_a_fail_with_the_install_command_even_for_root(uid: int, tmp_path: Path) -> None:
    # Vagrant's Linux host runs its NFS start/apply commands through sudo even as root.
    host = linux_host(uid=uid)
    host.executables.discard("/usr/bin/sudo")
    del host.files["/usr/bin/sudo"]
    r = run(host, tmp_path, "nfs.sudoers")["nfs.sudoers"]
    assert r.status is Status.FAIL
    assert r.message == "sudo is not installed: Vagrant runs its NFS commands through sudo, even as root"
    assert r.fix is not None and r.fix.commands == ("apt-get install -y sudo",)
    assert ("add yourself to the admin group" in r.fix.text) is (uid != 0)


def test_root_with_sudo_passes_without_asking_sudo_anything(tmp_path: Path) -> None:
    host = linux_host(uid=0)
    asked = calls_of(host, "run")
    r = run(host, tmp_path, "nfs.sudoers")["nfs.sudoers"]
    assert (r.status, r.message) == (
        Status.PASS,
        "running as root: sudo runs Vagrant's NFS commands without a password",
    )
    assert not [c for c in asked if "sudo" in str(c)]


@pytest.mark.parametrize(("make", "status"), [(linux_host, Status.FAIL), (macos_host, Status.PASS)])
def test_missing_etc_exports_fails_on_linux_where_vagrant_cannot_create_it(
    make: Callable[[], FakeHost], status: Status, tmp_path: Path
) -> None:
    # Linux: Vagrant stats the file before replacing it (Errno::ENOENT); macOS: `tee -a` creates it.
    host = make()
    host.files.pop("/etc/exports", None)
    r = run(host, tmp_path, "nfs.exports")["nfs.exports"]
    assert r.status is status
    if status is Status.FAIL:
        assert r.fix is not None and r.fix.commands == ("sudo touch /etc/exports",)


def test_winnfsd_on_macos_is_a_fail_citing_the_vagrant_issue(tmp_path: Path) -> None:
    r = run(macos_host(), tmp_path, "nfs.winnfsd-unix")["nfs.winnfsd-unix"]
    assert r.status is Status.FAIL and r.fix is not None
    assert "hashicorp/vagrant#12902" in r.fix.text
    assert r.fix.commands == ("vagrant plugin uninstall vagrant-winnfsd",)


def test_etc_exports_is_read_once_for_the_nfs_and_the_security_check(tmp_path: Path) -> None:
    host = linux_host()
    host.files["/etc/exports"] = "# VAGRANT-BEGIN: 1000 abc\n/home/dev/a 192.168.56.10(rw)\n# VAGRANT-END: 1000 abc\n"
    reads = calls_of(host, "read_text")
    results = run(host, tmp_path, "nfs.exports", "security.nfs-exports")
    assert results["nfs.exports"].message == "/etc/exports exists (1 Vagrant export block(s))"
    assert results["security.nfs-exports"].message == "every export names single hosts"
    assert reads.count("/etc/exports") == 1


def test_exports_to_single_addresses_are_narrow_and_wildcards_or_networks_are_wide(tmp_path: Path) -> None:
    host = linux_host()
    host.files["/etc/exports"] = (
        '"/home/dev/a" 192.168.56.10(rw) 192.168.56.11(rw)\n'
        "/home/dev/b 192.168.56.0/24(rw,sync)\n"
        "/home/dev/c \\\n    *.example.com(ro)\n"
        "/home/dev/d 192.168.56.12/32(rw)\n"
    )
    results = run(host, tmp_path, "security.nfs-exports")
    assert list(results) == ["security.nfs-exports:L2", "security.nfs-exports:L3"]
    assert results["security.nfs-exports:L2"].details == (
        "written:   /home/dev/b 192.168.56.0/24(rw,sync)",
        "corrected: /home/dev/b <guest-ip>(rw,sync)",
    )


def test_a_failing_plugin_list_is_a_warning_with_the_repair_commands(tmp_path: Path) -> None:
    host = linux_host()
    host.fake_runner.answers["vagrant plugin list --machine-readable"] = (
        1,
        "",
        "Vagrant failed to initialize at a very early stage: The plugins failed to load properly.\n",
    )
    results = run(host, tmp_path, "vagrant.plugins", "nfs.winnfsd-unix")
    r = results["vagrant.plugins"]
    assert (r.status, r.message) == (Status.WARN, "`vagrant plugin list` failed")
    assert r.fix is not None and r.fix.commands == ("vagrant plugin repair", "vagrant plugin expunge --reinstall")
    assert results["nfs.winnfsd-unix"].status is Status.SKIP


def test_a_macos_project_in_documents_needs_full_disk_access_for_nfsd(tmp_path: Path) -> None:
    host = macos_host(environ={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin:/usr/sbin:/sbin"})
    inside = tmp_path / "Documents" / "shop"
    inside.mkdir(parents=True)
    r = run(host, inside, "nfs.macos-privacy")["nfs.macos-privacy"]
    assert r.status is Status.WARN and "~/Documents" in r.message
    assert r.fix is not None and r.fix.commands[-1] == "sudo nfsd restart"
    outside = tmp_path / "projects" / "shop"
    outside.mkdir(parents=True)
    assert run(host, outside, "nfs.macos-privacy")["nfs.macos-privacy"].status is Status.PASS


def test_macos_exports_to_a_network_are_wide_and_the_correction_drops_network_and_mask(tmp_path: Path) -> None:
    host = macos_host()
    host.files["/etc/exports"] = (
        "/Users/dev/a -alldirs -mapall=501:20 -network 192.168.0.0 -mask 255.255.0.0\n"
        "/Users/dev/b -alldirs -mapall=501:20 192.168.56.10\n"
        "/Users/dev/c -ro\n"
    )
    results = run(host, tmp_path, "security.nfs-exports")
    assert list(results) == ["security.nfs-exports:L1", "security.nfs-exports:L3"]
    assert results["security.nfs-exports:L1"].details[1] == "corrected: /Users/dev/a -alldirs -mapall=501:20 <guest-ip>"
    assert results["security.nfs-exports:L3"].details[1] == "corrected: /Users/dev/c -ro <guest-ip>"
