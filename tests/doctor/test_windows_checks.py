"""The Windows checks of issue 14: the WinNFSd firewall rule's program, WinNFSd with new guest kernels,
SMB readiness, Hyper-V with virtualization-based security; each presented through the fake host, and
shown skipped with its reason on the other host kinds."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.doctor.fakes import (
    FIREWALL_NAMES,
    NETSH_RULE,
    WIN_VBOX,
    WINNFSD_EXE,
    FakeHost,
    netsh_rule,
    windows_host,
)
from tests.doctor.test_guest import NFS_MOUNT, SSH, probe_output
from tests.doctor.test_host_kinds import KINDS
from vagrantkit.doctor.core import run_doctor
from vagrantkit.doctor.model import CheckResult, Status

NEW_CHECKS = (
    "nfs.winnfsd-guest-kernel",
    "smb.server",
    "smb.elevated",
    "smb.versions",
    "smb.autodisconnect",
)
NFS = 'type: "nfs", nfs_version: 3'
SMB = 'type: "smb"'
HYPERVISOR = "powershell -NoProfile -Command (Get-CimInstance -ClassName Win32_ComputerSystem).HypervisorPresent"
DEVICE_GUARD = (
    r"powershell -NoProfile -Command Get-CimInstance -ClassName Win32_DeviceGuard -Namespace "
    r"root\Microsoft\Windows\DeviceGuard | Select-Object VirtualizationBasedSecurityStatus,SecurityServicesRunning"
    " | ConvertTo-Json"
)
SMB_CONFIG = (
    "powershell -NoProfile -Command Get-SmbServerConfiguration | Select-Object EnableSMB1Protocol,EnableSMB2Protocol"
    " | ConvertTo-Json"
)
AUTODISCONNECT = r"reg query HKLM\SYSTEM\CurrentControlSet\Services\LanmanServer\Parameters /v autodisconnect"
SC_RUNNING = (
    "\r\nSERVICE_NAME: LanmanServer\r\n        TYPE               : 30  WIN32\r\n"
    "        STATE              : 4  RUNNING\r\n"
    "                                (STOPPABLE, PAUSABLE, ACCEPTS_SHUTDOWN)\r\n"
)
ELEVATED = (
    "Mandatory Label\\High Mandatory Level    Label            S-1-16-12288\r\n"
    "BUILTIN\\Administrators                  Alias            S-1-5-32-544     Mandatory group, Enabled\r\n"
)
NOT_ELEVATED = "Mandatory Label\\Medium Mandatory Level  Label            S-1-16-8192\r\n"
VM_UUID = "0b7c6a3e-1f6e-4d2a-9a59-3c1f5b2b9d11"
VM_FOLDER = r"C:\Users\dev\VirtualBox VMs\shop_default_1764000000"


def vagrantfile(tmp_path: Path, folder: str = NFS, box: str = "bento/ubuntu-24.04") -> Path:
    (tmp_path / "Vagrantfile").write_text(
        'Vagrant.configure("2") do |config|\n'
        f'  config.vm.box = "{box}"\n'
        '  config.vm.network "private_network", type: "dhcp"\n'
        f'  config.vm.synced_folder ".", "/vagrant", {folder}\n'
        "end\n"
    )
    return tmp_path


def run(host: FakeHost, project: Path, *ids: str) -> dict[str, CheckResult]:
    return {c.id: c for c in run_doctor(host=host, cwd=project, only=ids).checks}


def smb_host(**answers: str | tuple[int, str]) -> FakeHost:
    host = windows_host()
    host.fake_runner.answers.update(
        {
            "sc query LanmanServer": SC_RUNNING,
            "whoami /groups": ELEVATED,
            SMB_CONFIG: '{\r\n    "EnableSMB1Protocol":  false,\r\n    "EnableSMB2Protocol":  true\r\n}\r\n',
            AUTODISCONNECT: "\r\nHKEY_LOCAL_MACHINE\\...\\Parameters\r\n    autodisconnect    REG_DWORD    0xffffffff\r\n",
        }
    )
    host.fake_runner.answers.update(answers)
    return host


# --- on every host kind ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["macos", "linux", "wsl"])
def test_the_new_windows_checks_are_skipped_elsewhere_saying_why(kind: str, tmp_path: Path) -> None:
    host = KINDS[kind]()
    results = run(host, vagrantfile(tmp_path, SMB), *NEW_CHECKS)
    assert {(i, r.status, r.message) for i, r in results.items()} == {
        (i, Status.SKIP, "Windows hosts only") for i in NEW_CHECKS
    }
    assert not [c for c in host.fake_runner.calls if c[0] in ("powershell", "whoami", "sc", "reg")]


def test_on_windows_the_smb_checks_wait_for_an_smb_folder_and_ask_windows_nothing(tmp_path: Path) -> None:
    host = smb_host()
    results = run(host, vagrantfile(tmp_path, NFS), "smb")
    assert {r.message for r in results.values()} == {
        'the Vagrantfile has no SMB folder (type: "smb"); checked when it has one'
    }
    assert not [c for c in host.fake_runner.calls if c[0] in ("powershell", "whoami", "sc", "reg")]


# --- the firewall rule's program ---------------------------------------------------------------


def test_a_rule_for_the_winnfsd_exe_of_an_old_gem_folder_fails_with_the_commands_that_replace_it(
    tmp_path: Path,
) -> None:
    old = r"C:\Users\dev\.vagrant.d\gems\2.7.4\gems\vagrant-winnfsd-1.4.0\bin\winnfsd.exe"
    host = windows_host()
    host.fake_runner.answers[NETSH_RULE] = netsh_rule("VagrantWinNFSd-1.4.0", "Private", program=old)
    r = run(host, vagrantfile(tmp_path), "nfs.winnfsd-firewall")["nfs.winnfsd-firewall"]
    assert r.status is Status.FAIL
    assert r.message.startswith(
        f"VagrantWinNFSd-1.4.0 allows {old}, not the winnfsd.exe Vagrant starts ({WINNFSD_EXE})"
    )
    assert r.fix is not None and "winnfsd/vagrant-winnfsd#107" in r.fix.text
    assert r.fix.commands == (
        'netsh advfirewall firewall delete rule name="VagrantWinNFSd-1.4.0"',
        'netsh advfirewall firewall add rule name="VagrantWinNFSd-1.4.0" dir=in action=allow protocol=any '
        f'program="{WINNFSD_EXE}" profile=private',
        'netsh advfirewall firewall add rule name="VagrantWinNFSd-1.4.0" dir=out action=allow protocol=any '
        f'program="{WINNFSD_EXE}" profile=private',
    )


@pytest.mark.parametrize(
    "written",
    [
        WINNFSD_EXE.upper(),
        WINNFSD_EXE.replace("\\", "/"),
        r"%USERPROFILE%\.vagrant.d\gems\3.1.4\gems\vagrant-winnfsd-1.4.0\bin\winnfsd.exe",
        "Any",
    ],
)
def test_the_rules_program_is_compared_as_a_windows_path(written: str, tmp_path: Path) -> None:
    host = windows_host()
    host.fake_runner.answers[NETSH_RULE] = netsh_rule("VagrantWinNFSd-1.4.0", "Private", program=written)
    r = run(host, vagrantfile(tmp_path), "nfs.winnfsd-firewall")["nfs.winnfsd-firewall"]
    assert (r.status, r.message) == (Status.PASS, "VagrantWinNFSd-1.4.0 allows inbound (Private)")
    assert ("netsh", "advfirewall", "firewall", "show", "rule", "name=VagrantWinNFSd-1.4.0", "verbose") in (
        host.fake_runner.calls
    )


def test_rules_of_older_plugin_versions_are_named_with_their_delete_commands(tmp_path: Path) -> None:
    host = windows_host()
    host.fake_runner.answers[FIREWALL_NAMES] = (
        "VagrantWinNFSd-1.3.1\r\nVagrantWinNFSd-1.4.0\r\nVagrantWinNFSd-1.3.1\r\n"
    )
    r = run(host, vagrantfile(tmp_path), "nfs.winnfsd-firewall")["nfs.winnfsd-firewall"]
    assert r.status is Status.WARN and r.message.endswith(
        "rules of older plugin versions are left: VagrantWinNFSd-1.3.1"
    )
    assert r.fix is not None and r.fix.commands == (
        'netsh advfirewall firewall delete rule name="VagrantWinNFSd-1.3.1"',
    )


# --- WinNFSd and the guest kernel ----------------------------------------------------------------


def running_guest(project: Path, kernel: str) -> FakeHost:
    host = windows_host()
    host.fake_runner.answers["vagrant status --machine-readable"] = (
        "1764000000,default,provider-name,virtualbox\n1764000000,default,state,running\n"
    )
    host.fake_runner.answers[SSH] = probe_output(NFS_MOUNT).replace("6.1.0-50-amd64", kernel)
    created = project / ".vagrant" / "machines" / "default" / "virtualbox" / "id"
    created.parent.mkdir(parents=True)
    created.write_text(VM_UUID)
    return host


def test_a_running_guest_with_kernel_5_19_or_newer_warns_naming_the_reports_and_the_smb_way(tmp_path: Path) -> None:
    project = vagrantfile(tmp_path, box="bento/ubuntu-22.04")  # the running guest wins over the box's table
    r = run(running_guest(project, "6.8.0-45-generic"), project, "nfs.winnfsd-guest-kernel")
    (result,) = r.values()
    assert result.status is Status.WARN
    assert result.message.startswith("default: kernel 6.8.0-45-generic (read from the running guest): 5.19 or newer")
    assert result.fix is not None
    for report in ("winnfsd/winnfsd#101", "winnfsd/winnfsd#62", "laravel/homestead#1966", "errno=5"):
        assert report in result.fix.text
    assert result.fix.commands == ("vagrantkit init --sync smb --force", "vagrant reload", "vagrantkit bench")


def test_a_running_guest_with_an_older_kernel_passes(tmp_path: Path) -> None:
    project = vagrantfile(tmp_path)
    (result,) = run(running_guest(project, "5.15.0-119-generic"), project, "nfs.winnfsd-guest-kernel").values()
    assert result.status is Status.PASS and "5.15.0-119-generic (read from the running guest)" in result.message


@pytest.mark.parametrize(
    ("box", "status", "words"),
    [
        ("bento/ubuntu-22.04", Status.PASS, "kernel 5.15 (inferred from the box bento/ubuntu-22.04"),
        ("bento/debian-12", Status.WARN, "kernel 6.1 (inferred from the box bento/debian-12, not read from the guest)"),
        ("acme/custom-os", Status.SKIP, "the guest kernel is unknown (box acme/custom-os is not one vagrantkit"),
    ],
)
def test_without_a_running_guest_the_kernel_is_inferred_from_known_boxes_only(
    box: str, status: Status, words: str, tmp_path: Path
) -> None:
    (result,) = run(windows_host(), vagrantfile(tmp_path, box=box), "nfs.winnfsd-guest-kernel").values()
    assert result.status is status and words in result.message


def test_each_machine_is_judged_by_its_own_box_a_define_blocks_over_the_top_levels(tmp_path: Path) -> None:
    (tmp_path / "Vagrantfile").write_text(
        'Vagrant.configure("2") do |config|\n'
        '  config.vm.box = "bento/ubuntu-22.04"\n'
        '  config.vm.synced_folder ".", "/vagrant", type: "nfs"\n'
        '  config.vm.define "db" do |db|\n'
        '    db.vm.box = "bento/debian-12"\n'
        "  end\n"
        '  config.vm.define "web"\n'
        "end\n"
    )
    results = run(windows_host(), tmp_path, "nfs.winnfsd-guest-kernel")
    assert [(i, r.status) for i, r in results.items()] == [
        ("nfs.winnfsd-guest-kernel:db", Status.WARN),
        ("nfs.winnfsd-guest-kernel:web", Status.PASS),
    ]


def test_the_kernel_check_needs_an_nfs_folder(tmp_path: Path) -> None:
    (result,) = run(windows_host(), vagrantfile(tmp_path, SMB), "nfs.winnfsd-guest-kernel").values()
    assert (result.status, result.message) == (Status.SKIP, "the Vagrantfile has no NFS folder")


# --- SMB readiness ---------------------------------------------------------------------------------


def test_a_ready_smb_host_passes_every_smb_check(tmp_path: Path) -> None:
    results = run(smb_host(), vagrantfile(tmp_path, SMB), "smb")
    assert [(i, r.status) for i, r in results.items()] == [(i, Status.PASS) for i in NEW_CHECKS[1:]]


@pytest.mark.parametrize(
    ("answers", "check", "status", "message", "command"),
    [
        (
            {"sc query LanmanServer": SC_RUNNING.replace("4  RUNNING", "1  STOPPED")},
            "smb.server",
            Status.FAIL,
            "the Server service (LanmanServer) is stopped: Windows shares no folder and the guest cannot mount",
            "net start LanmanServer",
        ),
        (
            {"whoami /groups": NOT_ELEVATED},
            "smb.elevated",
            Status.WARN,
            "this terminal is not elevated: Vagrant's SMB share needs Administrator rights",
            "powershell -Command Start-Process powershell -Verb RunAs",
        ),
        (
            {SMB_CONFIG: '{"EnableSMB1Protocol": false, "EnableSMB2Protocol": false}'},
            "smb.versions",
            Status.FAIL,
            "SMB 2/3 is turned off on this server: the guest's cifs client cannot mount",
            "Set-SmbServerConfiguration -EnableSMB2Protocol $true -Force",
        ),
        (
            {SMB_CONFIG: '{"EnableSMB1Protocol": true, "EnableSMB2Protocol": true}'},
            "smb.versions",
            Status.WARN,
            "SMB 1 is on: an insecure protocol (the one WannaCry spread through) nothing here needs",
            "Set-SmbServerConfiguration -EnableSMB1Protocol $false -Force",
        ),
        (
            {AUTODISCONNECT: (1, "", "ERROR: The system was unable to find the specified registry key or value.\r\n")},
            "smb.autodisconnect",
            Status.WARN,
            "the SMB server drops sessions idle for 15 minutes (the default: the registry sets no autodisconnect): "
            "the guest gets I/O errors after a pause",
            "net config server /autodisconnect:-1",
        ),
        (
            {AUTODISCONNECT: "    autodisconnect    REG_DWORD    0x3c\r\n"},
            "smb.autodisconnect",
            Status.WARN,
            "the SMB server drops sessions idle for 60 minutes: the guest gets I/O errors after a pause",
            "net config server /autodisconnect:-1",
        ),
    ],
)
def test_each_smb_problem_names_itself_and_its_fix(
    answers: dict[str, str | tuple[int, str]], check: str, status: Status, message: str, command: str, tmp_path: Path
) -> None:
    r = run(smb_host(**answers), vagrantfile(tmp_path, SMB), check)[check]
    assert (r.status, r.message) == (status, message)
    assert r.fix is not None and command in r.fix.commands


# --- Hyper-V and virtualization-based security -----------------------------------------------------


def hyperv_host(project: Path, guard: str | None, log: str | None) -> FakeHost:
    host = windows_host()
    host.fake_runner.answers[HYPERVISOR] = "True\r\n"
    if guard is not None:
        host.fake_runner.answers[DEVICE_GUARD] = guard
    host.fake_runner.answers[WIN_VBOX + rf"\VBoxManage.exe showvminfo {VM_UUID} --machinereadable"] = (
        f'name="shop_default_1764000000"\r\nCfgFile="{VM_FOLDER}\\shop_default_1764000000.vbox"\r\n'.replace(
            "\\", "\\\\"
        )
    )
    if log is not None:
        host.files[host.key(VM_FOLDER + r"\Logs\VBox.log")] = log
    created = project / ".vagrant" / "machines" / "default" / "virtualbox" / "id"
    created.parent.mkdir(parents=True)
    created.write_text(VM_UUID)
    return host


NEM_LOG = (
    "00:00:00.602113 HM: HMR3Init: Attempting fall back to NEM: VT-x is not available\r\n"
    "00:00:00.640093 NEM: WHvCapabilityCodeHypervisorPresent is TRUE, so this might work...\r\n"
    "00:00:00.650000 CPUM: Physical host cores: 8\r\n"
)


def test_memory_integrity_and_a_vm_run_in_nem_mode_are_named_with_both_switches(tmp_path: Path) -> None:
    project = vagrantfile(tmp_path)
    guard = '{"VirtualizationBasedSecurityStatus": 2, "SecurityServicesRunning": [1, 2]}'
    r = run(hyperv_host(project, guard, NEM_LOG), project, "provider.hyperv")["provider.hyperv"]
    assert r.status is Status.WARN
    assert r.message == (
        "Hyper-V is running, with Memory integrity (virtualization-based security, HVCI) on it; "
        "VirtualBox ran default in NEM mode (its VBox.log says so)"
    )
    assert r.details == (
        rf"{VM_FOLDER}\Logs\VBox.log: 00:00:00.602113 HM: HMR3Init: Attempting fall back to NEM: VT-x is not available",
        rf"{VM_FOLDER}\Logs\VBox.log: 00:00:00.640093 NEM: WHvCapabilityCodeHypervisorPresent is TRUE, so this "
        "might work...",
    )
    assert r.fix is not None and r.fix.commands[-1] == "bcdedit /set hypervisorlaunchtype off"
    assert "HypervisorEnforcedCodeIntegrity" in r.fix.commands[0]
    assert "WSL 2, Docker Desktop" in r.fix.text and "Memory integrity" in r.fix.text


def test_vbs_without_memory_integrity_and_a_log_without_nem_say_only_that(tmp_path: Path) -> None:
    project = vagrantfile(tmp_path)
    guard = '{"VirtualizationBasedSecurityStatus": 2, "SecurityServicesRunning": 0}'
    r = run(
        hyperv_host(project, guard, "00:00:00.1 HM: HMR3Init: VT-x w/ nested paging\r\n"), project, "provider.hyperv"
    )["provider.hyperv"]
    assert (r.status, r.message, r.details) == (
        Status.WARN,
        "Hyper-V is running, with virtualization-based security on it",
        (),
    )
    assert r.fix is not None and r.fix.commands == ("bcdedit /set hypervisorlaunchtype off",)
