"""doctor reads the same model: lint findings with their data, what was not checked under -v,
and the guest check's folders taken per machine."""

from __future__ import annotations

from pathlib import Path

from tests.doctor.fakes import linux_host, windows_host
from vagrantkit.doctor.checks.guest import wanted_folders
from vagrantkit.doctor.core import run_doctor
from vagrantkit.doctor.model import DoctorContext, Status

YAML = """\
settings = YAML.load_file("servers.yml")
Vagrant.configure("2") do |config|
  config.vm.network "private_network", type: "dhcp"
  config.vm.synced_folder ".", "/vagrant", type: settings["sync"]
end
"""


def test_a_computed_value_is_shown_as_not_checked_with_verbose(tmp_path: Path) -> None:
    (tmp_path / "Vagrantfile").write_text(YAML)
    result = run_doctor(host=linux_host(), cwd=tmp_path, only=["vagrantfile.lint"], verbose=True)
    (check,) = result.checks
    assert check.status is Status.PASS
    assert check.details == ('line 4: synced folder type (`settings["sync"]`): not checked',)


def test_a_lint_finding_carries_rule_line_column_written_and_corrected(tmp_path: Path) -> None:
    (tmp_path / "Vagrantfile").write_text('Vagrant.configure("2") do |config|\n  Config.vm.box = "x"\nend\n')
    result = run_doctor(host=windows_host(), cwd=tmp_path, only=["vagrantfile.lint"])
    (check,) = result.checks
    assert check.id == "vagrantfile.lint:L2:C3:receiver" and check.status is Status.FAIL
    assert check.data is not None
    assert {k: check.data[k] for k in ("rule", "line", "column", "written", "corrected")} == {
        "rule": "receiver",
        "line": 2,
        "column": 3,
        "written": '  Config.vm.box = "x"',
        "corrected": '  config.vm.box = "x"',
    }


def test_the_guest_check_wants_the_folders_of_the_machine_it_looks_at(tmp_path: Path) -> None:
    (tmp_path / "Vagrantfile").write_text(
        'Vagrant.configure("2") do |config|\n'
        '  config.vm.synced_folder ".", "/vagrant", type: "nfs", nfs_udp: false, mount_options: ["nolock"]\n'
        '  config.vm.define "web" do |web|\n'
        '    web.vm.synced_folder "src", "/src", type: "nfs", nfs_udp: false\n'
        "  end\n"
        '  config.vm.define "db" do |db|\n'
        '    db.vm.synced_folder "data", "/data", type: "rsync"\n'
        "  end\n"
        "end\n"
    )
    ctx = DoctorContext(linux_host(), tmp_path, tmp_path / "Vagrantfile")
    assert [w.guest_path for w in wanted_folders(ctx, "web")] == ["/vagrant", "/src"]
    assert [w.guest_path for w in wanted_folders(ctx, "db")] == ["/vagrant"]
    web = {w.guest_path: w.options for w in wanted_folders(ctx, "web")}
    assert web["/vagrant"]["nolock"] == "" and web["/src"]["proto"] == "tcp"
