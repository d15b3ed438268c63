"""The doctor's django checks, run on fixture projects through a DoctorContext."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import Cli, build_file_tree
from tests.django.conftest import GuestHost
from tests.django.conftest import django_context as context
from vagrantkit.doctor.checks.django import shared_folder, thread_connections, uwsgi_threads
from vagrantkit.doctor.model import REGISTRY, Category, CheckOutcome, DoctorContext, Finding, Fix, Status, findings_of

LEAKY = """\
import threading

from .models import Book


def count_books():
    return Book.objects.count()


def start():
    threading.Thread(target=count_books).start()
"""
FIXED = LEAKY.replace(
    "    return Book.objects.count()",
    "    try:\n        return Book.objects.count()\n    finally:\n        connections.close_all()",
).replace("import threading\n", "import threading\n\nfrom django.db import connections\n")
MODELS = "from django.db import models\n\n\nclass Book(models.Model):\n    pass\n"


def run(function: object, ctx: DoctorContext) -> list[Finding]:
    outcome: CheckOutcome = function(ctx)  # type: ignore[operator]
    return findings_of(outcome)


def project(tmp_path: Path, background: str, **more: str) -> Path:
    return build_file_tree(
        tmp_path,
        {"manage.py": "", "shop/__init__.py": "", "shop/models.py": MODELS, "shop/background.py": background, **more},
    )


def test_checks_are_registered_in_the_django_category() -> None:
    ids = {c.id: c.category for c in REGISTRY.values() if c.id.startswith("django.")}
    assert ids == {
        "django.thread-connections": Category.DJANGO,
        "django.uwsgi-threads": Category.DJANGO,
        "django.shared-folder": Category.DJANGO,
    }


def test_leaking_thread_fails_with_file_line_and_the_fix(tmp_path: Path) -> None:
    (finding,) = run(thread_connections, context(project(tmp_path, LEAKY)))
    assert finding.status is Status.FAIL
    assert finding.key == "shop/background.py:11"
    assert finding.message == (
        "shop/background.py:11: Thread(target=count_books) uses the ORM (Book.objects at shop/background.py:7) "
        "and never closes its database connection"
    )
    assert finding.fix is not None
    assert "wrap the body of count_books in `try: ... finally: django.db.connections.close_all()`" in finding.fix.text


def test_fixed_thread_passes(tmp_path: Path) -> None:
    (finding,) = run(thread_connections, context(project(tmp_path, FIXED)))
    assert (finding.status, finding.message) == (
        Status.PASS,
        "1 of 1 threads use the ORM, and all close their connections",
    )


def test_close_only_on_the_happy_path_fails_and_close_old_connections_warns(tmp_path: Path) -> None:
    code = """\
import threading

from django.db import close_old_connections, connections

from .models import Book


def happy():
    Book.objects.count()
    connections.close_all()


def old():
    try:
        Book.objects.count()
    finally:
        close_old_connections()


threading.Thread(target=happy).start()
threading.Thread(target=old).start()
"""
    # CONN_MAX_AGE computed from the environment: whether close_old_connections() closes is not known.
    settings = 'import os\nDATABASES = {"default": {"CONN_MAX_AGE": int(os.environ.get("AGE", "0"))}}\n'
    first, second = run(thread_connections, context(project(tmp_path, code, **{"site/settings.py": settings})))
    assert (first.status, first.key) == (Status.FAIL, "shop/background.py:20")
    assert first.message.endswith(
        "and does not close its connection on every exit path (an exception or a return skips the close)"
    )
    assert first.fix is not None and first.fix.text.startswith("Move the close into a finally block")
    assert (second.status, second.key) == (Status.WARN, "shop/background.py:21")


def test_without_a_django_project_the_checks_skip(tmp_path: Path) -> None:
    ctx = DoctorContext(GuestHost(None, {}), tmp_path, None, None)
    for function in (thread_connections, uwsgi_threads, shared_folder):
        (finding,) = run(function, ctx)
        assert finding.status is Status.SKIP
        assert "--django PATH" in finding.message


def test_uwsgi_without_threads_fails_only_when_the_project_starts_threads(tmp_path: Path) -> None:
    ini = "[uwsgi]\nmodule = shop.wsgi:application\nmaster = true\n"
    root = project(tmp_path, FIXED, **{"deploy/uwsgi.ini": ini})
    (finding,) = run(uwsgi_threads, context(root))
    assert finding == Finding.fail(
        "deploy/uwsgi.ini:1: the [uwsgi] section runs the app without enable-threads, "
        "so the threads the project starts (shop/background.py:16) do not run",
        fix=Fix("Add `enable-threads = true` to the [uwsgi] section of deploy/uwsgi.ini (or set threads above 1)."),
        details=[
            "uWSGI 2.0 starts Python without thread support unless enable-threads is set; it logs "
            '"*** Python threads support is disabled. You can enable it with --enable-threads ***".'
        ],
        key="deploy/uwsgi.ini:1",
        title="uWSGI without enable-threads",
    )
    (tmp_path / "shop" / "background.py").write_text("def start():\n    pass\n")
    (finding,) = run(uwsgi_threads, context(root))
    assert finding.status is Status.PASS


def test_uwsgi_with_threads_passes_and_no_uwsgi_skips(tmp_path: Path) -> None:
    root = project(tmp_path, LEAKY, Procfile="web: uwsgi --http :$PORT --module shop.wsgi --enable-threads\n")
    (finding,) = run(uwsgi_threads, context(root))
    assert (finding.status, finding.message) == (Status.PASS, "threads are on in every uWSGI launch (1)")
    (tmp_path / "Procfile").write_text("web: gunicorn shop.wsgi\n")
    (finding,) = run(uwsgi_threads, context(root))
    assert finding.status is Status.SKIP


def test_project_on_vboxsf_warns_about_polling_and_pyc(tmp_path: Path) -> None:
    root = project(tmp_path / "vagrant", FIXED)
    mounts = f"vagrant {tmp_path}/vagrant vboxsf rw,nodev 0 0\n"
    reload, pyc = run(shared_folder, context(root, mounts=mounts))
    assert (reload.status, reload.key, pyc.status, pyc.key) == (Status.WARN, "reload", Status.WARN, "pyc")
    assert reload.message.startswith(f"{root} is mounted as VirtualBox shared folder (vboxsf) (vagrant on {root}): ")
    assert "StatReloader" in reload.message
    assert reload.fix is not None and reload.fix.commands == (
        "vagrantkit init --dry-run",
        "vagrantkit init --force",
        "vagrant reload",
    )
    assert pyc.fix is not None
    assert pyc.fix.commands == (
        "echo 'export PYTHONPYCACHEPREFIX=\"$HOME/.cache/pycache\"' >> ~/.profile",
        "vagrantkit bench --ops pyc",
    )


def test_project_on_nfs_with_a_pycache_prefix_passes(tmp_path: Path) -> None:
    root = project(tmp_path / "srv", FIXED)
    mounts = f"192.168.56.1:/home/me/srv {tmp_path}/srv nfs rw,vers=3 0 0\n"
    findings = run(
        shared_folder, context(root, mounts=mounts, environ={"PYTHONPYCACHEPREFIX": "/home/vagrant/.cache/py"})
    )
    assert [(f.status, f.key) for f in findings] == [(Status.PASS, "reload"), (Status.PASS, "pyc")]
    assert findings[1].message == "bytecode goes to /home/vagrant/.cache/py, off the share"


def test_host_side_reads_the_vagrantfile(tmp_path: Path) -> None:
    root = project(tmp_path, FIXED, Vagrantfile='Vagrant.configure("2") do |config|\nend\n')
    reload, pyc = run(shared_folder, context(root, mounts="", vagrantfile=tmp_path / "Vagrantfile"))
    assert reload.status is Status.WARN
    assert reload.message.startswith(
        "/vagrant is synced into the guest as VirtualBox shared folder (vboxsf) (Vagrantfile (the default /vagrant share))"
    )
    assert pyc.fix is not None and "in the guest, add it to ~/.profile" in pyc.fix.text


@pytest.mark.parametrize("mounts", ["", None])
def test_local_disk_passes(tmp_path: Path, mounts: str | None) -> None:
    (finding,) = run(shared_folder, context(project(tmp_path, FIXED), mounts=mounts))
    assert (finding.status, finding.message) == (Status.PASS, "the project is not on a folder shared with the host")


def test_doctor_runs_the_django_checks_when_the_folder_has_manage_py(
    tmp_path: Path, cli_runner: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project(tmp_path, LEAKY))
    result = cli_runner("doctor", "--json", "django")
    document = json.loads(result.stdout)
    assert (result.exit_code, document["exit_code"], document["data"]["django_path"]) == (1, 1, str(tmp_path))
    assert [(c["id"], c["status"]) for c in document["data"]["checks"]] == [
        ("django.thread-connections:shop/background.py:11", "fail"),
        ("django.uwsgi-threads", "skip"),
        ("django.shared-folder", "pass"),
    ]


def test_doctor_without_manage_py_skips_the_django_checks(
    tmp_path: Path, cli_runner: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    document = json.loads(cli_runner("doctor", "--json", "django").stdout)
    assert document["data"]["django_path"] is None
    assert {c["status"] for c in document["data"]["checks"]} == {"skip"}


def test_the_fix_names_the_function_a_partial_runs_and_rewrites_a_lambda(tmp_path: Path) -> None:
    code = """\
import threading
from functools import partial

from .models import Book


def rename(pk):
    Book.objects.filter(pk=pk).update(title="x")


threading.Thread(target=partial(rename, 1)).start()
threading.Thread(target=lambda: rename(2)).start()
"""
    # CONN_MAX_AGE computed from the environment: whether close_old_connections() closes is not known.
    settings = 'import os\nDATABASES = {"default": {"CONN_MAX_AGE": int(os.environ.get("AGE", "0"))}}\n'
    first, second = run(thread_connections, context(project(tmp_path, code, **{"site/settings.py": settings})))
    assert first.fix is not None and "wrap the body of rename in `try:" in first.fix.text
    assert second.fix is not None and second.fix.text.startswith("Have the thread run a function instead of the lambda")


def test_the_fix_for_a_long_lambda_and_a_nested_partial_names_what_runs(tmp_path: Path) -> None:
    code = """\
import threading
from functools import partial

from .models import Book


def rename(pk, title):
    Book.objects.filter(pk=pk).update(title=title)


threading.Thread(target=lambda: rename(2, "a title long enough to make this lambda over sixty characters")).start()
threading.Thread(target=partial(partial(rename, 1), "x")).start()
"""
    long_lambda, nested = run(thread_connections, context(project(tmp_path, code)))
    assert long_lambda.message.startswith("shop/background.py:11: Thread(target=<lambda>) uses the ORM")
    assert long_lambda.fix is not None
    assert long_lambda.fix.text.startswith("Have the thread run a function instead of the lambda")
    assert nested.fix is not None and "wrap the body of rename in `try:" in nested.fix.text


def test_a_commented_out_provider_does_not_choose_the_share(tmp_path: Path) -> None:
    vagrantfile = (
        'Vagrant.configure("2") do |config|\n'
        '  # config.vm.provider "libvirt" do |lv|\n'
        '  config.vm.provider "virtualbox" do |vb|\n'
        "  end\n"
        "end\n"
    )
    root = project(tmp_path, FIXED, Vagrantfile=vagrantfile)
    reload, _ = run(shared_folder, context(root, mounts="", vagrantfile=tmp_path / "Vagrantfile"))
    assert reload.status is Status.WARN
    assert reload.message.startswith("/vagrant is synced into the guest as VirtualBox shared folder (vboxsf)")
