"""A fake host for doctor tests: a file table and canned program outputs behind the host-facts seam.

Only the primitives are fake (files, the clock, the subprocess runner); everything the real
:class:`~vagrantkit.host.Host` computes from them (which/PATHEXT, WSL, Vagrant home, registry
parsing) runs for real. The presets below present a Windows, macOS, Linux and WSL host with the
outputs their programs really print.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath, PureWindowsPath

from vagrantkit.errors import CommandError
from vagrantkit.host import FileInfo, Host
from vagrantkit.process import DEFAULT_TIMEOUT, Completed

Answer = str | tuple[int, str] | tuple[int, str, str]
NOW = 1_764_000_000.0  # a fixed clock: 2025-11-24


class FakeRunner:
    """Answers commands from a table keyed by the argv joined with spaces; records every call."""

    def __init__(self, answers: Mapping[str, Answer]) -> None:
        self.answers = dict(answers)
        self.calls: list[tuple[str, ...]] = []
        self._lock = threading.Lock()

    def __call__(
        self,
        argv: Sequence[str],
        *,
        timeout: float = DEFAULT_TIMEOUT,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
        input: str | None = None,
    ) -> Completed:
        assert timeout > 0, "every call has a timeout"
        argv = tuple(str(a) for a in argv)
        with self._lock:
            self.calls.append(argv)
        answer = self.answers.get(" ".join(argv))
        if answer is None:
            raise CommandError(f"{argv[0]}: command not found")
        if isinstance(answer, str):
            return Completed(argv, 0, answer, "")
        code, out, *err = answer
        return Completed(argv, code, out, err[0] if err else "")

    def count(self, *prefix: str) -> int:
        return sum(1 for c in self.calls if c[: len(prefix)] == prefix)


class FakeHost(Host):
    """A host made of a file table (path -> text; None marks a folder) and a FakeRunner."""

    def __init__(
        self,
        *,
        system: str,
        release: str,
        version: str,
        machine: str = "x86_64",
        environ: Mapping[str, str],
        uid: int | None = 1000,
        files: Mapping[str, str | None] = (),  # type: ignore[assignment]
        executables: Sequence[str] = (),
        commands: Mapping[str, Answer] = (),  # type: ignore[assignment]
        mtimes: Mapping[str, float] = (),  # type: ignore[assignment]
    ) -> None:
        self.fake_runner = FakeRunner(dict(commands))
        super().__init__(
            system=system,
            release=release,
            version=version,
            machine=machine,
            environ=environ,
            uid=uid,
            run=self.fake_runner,
        )
        self.files = {self.key(k): v for k, v in dict(files).items()}
        self.names = {self.key(k): k for k in [*dict(files), *executables]}  # keys keep the written case
        for exe in executables:
            self.files.setdefault(self.key(exe), "")
        self.executables = {self.key(e) for e in executables}
        self.mtimes = {self.key(k): v for k, v in dict(mtimes).items()}

    def key(self, path: str) -> str:
        """How the file table spells ``path`` (case-folded on Windows)."""
        return str(PureWindowsPath(path)).lower() if self.is_windows else str(PurePosixPath(path))

    def read_text(self, path: str) -> str | None:
        return self.files.get(self.key(path))

    def exists(self, path: str) -> bool:
        key = self.key(path)
        return key in self.files or any(
            k.startswith(key.rstrip("\\/") + ("\\" if self.is_windows else "/")) for k in self.files
        )

    def is_file(self, path: str) -> bool:
        return self.files.get(self.key(path)) is not None

    def is_dir(self, path: str) -> bool:
        return self.exists(path) and not self.is_file(path)

    def is_executable(self, path: str) -> bool:
        return self.key(path) in self.executables

    def glob(self, pattern: str) -> list[str]:
        pure = PureWindowsPath if self.is_windows else PurePosixPath
        return sorted(self.names[k] for k in self.files if pure(k).match(self.key(pattern)))

    def stat(self, path: str) -> FileInfo | None:
        text = self.read_text(path)
        if text is None:
            return None
        return FileInfo(len(text.encode()), self.mtimes.get(self.key(path), NOW))

    def now(self) -> float:
        return NOW


# --- presets ---------------------------------------------------------------------------------


def preset(defaults: dict[str, object], overrides: Mapping[str, object]) -> FakeHost:
    """A FakeHost from a preset's arguments, any of them replaced by ``overrides``."""
    return FakeHost(**{**defaults, **overrides})  # type: ignore[arg-type]


VAGRANT_PLUGINS_WINNFSD = (
    "1764000000,,ui,info,vagrant-winnfsd (1.4.0%!(VAGRANT_COMMA) global)\n"
    "1764000000,,plugin-name,vagrant-winnfsd\n"
    "1764000000,vagrant-winnfsd,plugin-version,1.4.0%!(VAGRANT_COMMA) global\n"
)
VAGRANT_NO_PLUGINS = "1764000000,,ui,info,No plugins installed.\n"
VALIDATED = "Vagrantfile validated successfully.\n"

WIN_HOME = r"C:\Users\dev"
WINNFSD_EXE = WIN_HOME + r"\.vagrant.d\gems\3.1.4\gems\vagrant-winnfsd-1.4.0\bin\winnfsd.exe"
WIN_VBOX = r"C:\Program Files\Oracle\VirtualBox"


NETSH_RULE = "netsh advfirewall firewall show rule name=VagrantWinNFSd-1.4.0 verbose"
FIREWALL_NAMES = (
    "powershell -NoProfile -Command (Get-NetFirewallRule -DisplayName 'VagrantWinNFSd-*' "
    "-ErrorAction SilentlyContinue).DisplayName"
)


def netsh_rule(name: str, profiles: str, remote: str = "Any", program: str | None = None) -> str:
    """What ``netsh advfirewall firewall show rule name=NAME verbose`` prints for the plugin's in and out rules."""
    program = WINNFSD_EXE if program is None else program
    block = (
        "\nRule Name:                            {name}\n"
        "----------------------------------------------------------------------\n"
        "Enabled:                              Yes\n"
        "Direction:                            {direction}\n"
        "Profiles:                             {profiles}\n"
        "Grouping:                             \n"
        "LocalIP:                              Any\n"
        "RemoteIP:                             {remote}\n"
        "Protocol:                             Any\n"
        "Edge traversal:                       No\n"
        "Program:                              {program}\n"
        "InterfaceTypes:                       Any\n"
        "Security:                             NotRequired\n"
        "Rule source:                          Local Setting\n"
        "Action:                               Allow\n"
    )
    return (
        "".join(
            block.format(name=name, direction=d, profiles=profiles, remote=remote, program=program)
            for d in ("In", "Out")
        )
        + "Ok.\n\n"
    )


def windows_host(**overrides: object) -> FakeHost:
    """Windows 11 with Vagrant 2.4.1, VirtualBox 7.0.14 (not on PATH), vagrant-winnfsd 1.4.0."""
    environ = {
        "USERPROFILE": WIN_HOME,
        "ProgramFiles": r"C:\Program Files",
        "Path": r"C:\Windows\system32;C:\Windows;C:\Program Files\Vagrant\bin",
        "PATHEXT": ".COM;.EXE;.BAT;.CMD",
        "VBOX_MSI_INSTALL_PATH": WIN_VBOX + "\\",
    }
    commands: dict[str, Answer] = {
        "vagrant --version": "Vagrant 2.4.1\n",
        "vagrant plugin list --machine-readable": VAGRANT_PLUGINS_WINNFSD,
        "vagrant validate --ignore-provider": VALIDATED,
        WIN_VBOX + r"\VBoxManage.exe --version": "7.0.14r161095\n",
        WIN_VBOX + r"\VBoxManage.exe list runningvms": "",
        WIN_VBOX + r"\VBoxManage.exe list vms": '"shop_default_1764000000" {0b7c6a3e-1f6e-4d2a-9a59-3c1f5b2b9d11}\n',
        "powershell -NoProfile -Command (Get-CimInstance -ClassName Win32_ComputerSystem).HypervisorPresent": "False\r\n",
        NETSH_RULE: netsh_rule("VagrantWinNFSd-1.4.0", "Domain,Private,Public"),
        FIREWALL_NAMES: "VagrantWinNFSd-1.4.0\r\nVagrantWinNFSd-1.4.0\r\n",
        "netstat -ano": (
            "\nActive Connections\n\n"
            "  Proto  Local Address          Foreign Address        State           PID\n"
            "  TCP    0.0.0.0:135            0.0.0.0:0              LISTENING       1020\n"
            "  TCP    0.0.0.0:111            0.0.0.0:0              LISTENING       4242\n"
            "  TCP    0.0.0.0:1058           0.0.0.0:0              LISTENING       4242\n"
            "  TCP    0.0.0.0:2049           0.0.0.0:0              LISTENING       4242\n"
            "  TCP    192.168.1.20:50123     140.82.112.4:443       ESTABLISHED     7788\n"
            "  UDP    0.0.0.0:111            *:*                                    4242\n"
        ),
        "tasklist /fo csv /nh": (
            '"System Idle Process","0","Services","0","8 K"\r\n'
            '"svchost.exe","1020","Services","0","12,400 K"\r\n'
            '"winnfsd.exe","4242","Console","1","5,120 K"\r\n'
            '"chrome.exe","7788","Console","1","210,000 K"\r\n'
        ),
    }
    files: dict[str, str | None] = {
        r"C:\Program Files\Vagrant\bin\vagrant.exe": "",
        WINNFSD_EXE: "",
        WIN_VBOX + r"\VBoxManage.exe": "",
        WIN_HOME + r"\.vagrant.d\nfspaths": (
            "# VAGRANT-BEGIN: 0 0b7c6a3e-1f6e-4d2a-9a59-3c1f5b2b9d11\n"
            "C:\\Users\\dev\\projects\\shop\n"
            "# VAGRANT-END: 0 0b7c6a3e-1f6e-4d2a-9a59-3c1f5b2b9d11\n"
            "# VAGRANT-BEGIN: 0 5d1e0c9a-7777-4c1b-8e2f-0a9b8c7d6e5f\n"
            "C:\\Users\\dev\\projects\\old-blog\n"
            "# VAGRANT-END: 0 5d1e0c9a-7777-4c1b-8e2f-0a9b8c7d6e5f\n"
        ),
        WIN_HOME + r"\projects\shop": None,
    }
    kwargs: dict[str, object] = {
        "system": "Windows",
        "release": "11",
        "version": "10.0.22631",
        "machine": "AMD64",
        "environ": environ,
        "uid": None,
        "files": files,
        "executables": [r"C:\Program Files\Vagrant\bin\vagrant.exe"],
        "commands": commands,
    }
    return preset(kwargs, overrides)


MACOS_PATH = "/opt/homebrew/bin:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"


def macos_host(**overrides: object) -> FakeHost:
    """macOS 14.4.1 on arm64 with Vagrant 2.4.1, VirtualBox 7.0.14, vagrant-winnfsd wrongly installed."""
    commands: dict[str, Answer] = {
        "vagrant --version": "Vagrant 2.4.1\n",
        "vagrant plugin list --machine-readable": VAGRANT_PLUGINS_WINNFSD,
        "vagrant validate --ignore-provider": VALIDATED,
        "/usr/local/bin/VBoxManage --version": "7.0.14r161095\n",
        "sudo -n -l /usr/bin/tee -a /etc/exports": (1, "", "sudo: a password is required\n"),
        "sudo -n -l /sbin/nfsd restart": (1, "", "sudo: a password is required\n"),
    }
    kwargs: dict[str, object] = {
        "system": "Darwin",
        "release": "23.4.0",
        "version": "14.4.1",
        "machine": "arm64",
        "environ": {"HOME": "/Users/dev", "PATH": MACOS_PATH},
        "uid": 501,
        "files": {
            "/etc/exports": "/Users/dev/projects/shop -alldirs -mapall=501:20 -network 192.168.0.0 -mask 255.255.0.0\n",
        },
        "executables": ["/opt/homebrew/bin/vagrant", "/usr/local/bin/VBoxManage", "/sbin/nfsd", "/usr/bin/sudo"],
        "commands": commands,
    }
    return preset(kwargs, overrides)


UBUNTU_OS_RELEASE = 'PRETTY_NAME="Ubuntu 24.04.1 LTS"\nNAME="Ubuntu"\nVERSION_ID="24.04"\nID=ubuntu\nID_LIKE=debian\n'
LINUX_PATH = "/usr/local/bin:/usr/bin:/bin"


def linux_host(**overrides: object) -> FakeHost:
    """Ubuntu 24.04 with Vagrant 2.4.1, VirtualBox 7.0.14, the kernel NFS server, sudo with a password."""
    release = "6.8.0-45-generic"
    commands: dict[str, Answer] = {
        "vagrant --version": "Vagrant 2.4.1\n",
        "vagrant plugin list --machine-readable": VAGRANT_NO_PLUGINS,
        "vagrant validate --ignore-provider": VALIDATED,
        "/usr/bin/VBoxManage --version": "7.0.14_Ubuntur161095\n",
        "sudo -n -l /bin/chown 0:0 /tmp/vagrant-exports": (1, "", "sudo: a password is required\n"),
        "sudo -n -l /bin/mv -f /tmp/vagrant-exports /etc/exports": (1, "", "sudo: a password is required\n"),
        "sudo -n -l /usr/sbin/exportfs -ar": "/usr/sbin/exportfs -ar\n",
    }
    kwargs: dict[str, object] = {
        "system": "Linux",
        "release": release,
        "version": "#45-Ubuntu SMP PREEMPT_DYNAMIC",
        "environ": {"HOME": "/home/dev", "PATH": LINUX_PATH},
        "uid": 1000,
        "files": {
            "/etc/os-release": UBUNTU_OS_RELEASE,
            "/etc/exports": (
                "# /etc/exports: the access control list for filesystems which may be exported\n"
                "/srv/share *(rw,sync,no_subtree_check)\n"
                "# VAGRANT-BEGIN: 1000 0b7c6a3e-1f6e-4d2a-9a59-3c1f5b2b9d11\n"
                '"/home/dev/shop" 192.168.56.10(rw,no_subtree_check,all_squash,anonuid=1000,anongid=1000,fsid=1)\n'
                "# VAGRANT-END: 1000 0b7c6a3e-1f6e-4d2a-9a59-3c1f5b2b9d11\n"
            ),
            "/proc/filesystems": "nodev\tsysfs\nnodev\ttmpfs\nnodev\tnfsd\n\text4\n",
            "/etc/vbox/networks.conf": "* 192.168.56.0/21\n",
        },
        "executables": ["/usr/bin/vagrant", "/usr/bin/VBoxManage", "/usr/sbin/exportfs", "/usr/bin/sudo"],
        "commands": commands,
    }
    return preset(kwargs, overrides)


def wsl_host(**overrides: object) -> FakeHost:
    """Ubuntu under WSL 2 with Vagrant 2.4.1 and the Windows VirtualBox, Windows access not enabled."""
    commands: dict[str, Answer] = {
        "vagrant --version": "Vagrant 2.4.1\n",
        "vagrant plugin list --machine-readable": VAGRANT_NO_PLUGINS,
        "vagrant validate --ignore-provider": VALIDATED,
        "/mnt/c/Program Files/Oracle/VirtualBox/VBoxManage.exe --version": "7.0.14r161095\r\n",
    }
    kwargs: dict[str, object] = {
        "system": "Linux",
        "release": "5.15.153.1-microsoft-standard-WSL2",
        "version": "#1 SMP Fri Mar 29 23:14:13 UTC 2024",
        "environ": {
            "HOME": "/home/dev",
            "PATH": LINUX_PATH,
            "WSL_DISTRO_NAME": "Ubuntu",
            "WSL_INTEROP": "/run/WSL/1_interop",
        },
        "uid": 1000,
        "files": {"/etc/os-release": UBUNTU_OS_RELEASE, "/proc/filesystems": "nodev\tsysfs\n\text4\n"},
        "executables": ["/usr/bin/vagrant", "/mnt/c/Program Files/Oracle/VirtualBox/VBoxManage.exe"],
        "commands": commands,
    }
    return preset(kwargs, overrides)
