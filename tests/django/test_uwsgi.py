"""Finding uWSGI launches that leave the app's threads off."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import build_file_tree
from vagrantkit.django.uwsgi import scan_uwsgi


def problems(tmp_path: Path, files: dict[str, str]) -> list[tuple[str, int, str]]:
    build_file_tree(tmp_path, files)
    return [(p.path, p.line, p.source) for p in scan_uwsgi(tmp_path).without_threads]


def test_ini_without_enable_threads_is_reported_at_its_section(tmp_path: Path) -> None:
    ini = "# deploy\n[uwsgi]\nmodule = shop.wsgi:application\nmaster = true\nprocesses = 4\n"
    assert problems(tmp_path, {"deploy/uwsgi.ini": ini}) == [("deploy/uwsgi.ini", 2, "ini")]


@pytest.mark.parametrize(
    ("setting", "on"),
    [
        ("enable-threads = true", True),
        ("enable-threads = 1", True),
        ("enable_threads = yes", True),
        ("enable-threads =", True),
        ("threads = 4", True),
        ("enable-threads = false", False),
        ("enable-threads = 0", False),
        ("threads = 1", False),
        ("threads = %(cores)", False),
    ],
)
def test_ini_settings_follow_uwsgi_boolean_rules(tmp_path: Path, setting: str, on: bool) -> None:
    ini = f"[uwsgi]\nmodule = shop.wsgi\n{setting}\n"
    found = problems(tmp_path, {"uwsgi.ini": ini})
    assert found == ([] if on else [("uwsgi.ini", 1, "ini")])


def test_a_later_setting_wins_and_other_sections_do_not_count(tmp_path: Path) -> None:
    ini = "[uwsgi]\nenable-threads = true\nenable-threads = false\n[other]\nenable-threads = true\n"
    assert problems(tmp_path, {"uwsgi.ini": ini}) == [("uwsgi.ini", 1, "ini")]
    assert problems(tmp_path, {"uwsgi.ini": "[tox]\nenvlist = py311\n"}) == []


def test_yaml_config(tmp_path: Path) -> None:
    yaml_off = "uwsgi:\n  module: shop.wsgi\n  master: true\nother:\n  enable-threads: true\n"
    yaml_on = "uwsgi:\n  module: shop.wsgi\n  enable-threads: true  # for the mailer thread\n"
    assert problems(tmp_path, {"uwsgi.yml": yaml_off}) == [("uwsgi.yml", 1, "yaml")]
    assert problems(tmp_path, {"uwsgi.yml": yaml_on}) == []


def test_command_lines_in_procfile_dockerfile_and_scripts(tmp_path: Path) -> None:
    files = {
        "Procfile": "release: python manage.py migrate\nweb: uwsgi --http :$PORT --module shop.wsgi --master\n",
        "Dockerfile": (
            "FROM python:3.12\n"
            "RUN pip install uwsgi django\n"
            'CMD ["uwsgi", "--http", ":8000", \\\n     "--module", "shop.wsgi"]\n'
        ),
        "bin/serve": "#!/bin/sh\nset -e\nexec env DJANGO_DEBUG=0 uwsgi --socket :3031 --module shop.wsgi --threads 2\n",
        "scripts/dev.sh": "python manage.py migrate && uwsgi --http :8000 --module shop.wsgi --enable-threads\n",
        "deploy/app.conf": "[program:app]\ncommand=/venv/bin/uwsgi --socket /run/app.sock --module shop.wsgi\n",
        "deploy/app.service": "[Service]\nExecStart=/usr/bin/uwsgi -T --module shop.wsgi\n",
        "docker-compose.yml": "services:\n  web:\n    command: uwsgi --http :8000 --module shop.wsgi\n",
        "README": "run uwsgi --http :8000 to serve\n",
    }
    assert problems(tmp_path, files) == [
        ("Dockerfile", 3, "Dockerfile"),
        ("Procfile", 2, "Procfile"),
        ("deploy/app.conf", 2, "supervisor"),
        ("docker-compose.yml", 3, "compose"),
    ]
    launches = {(la.path, la.threads) for la in scan_uwsgi(tmp_path).launches}
    assert ("bin/serve", "--threads 2") in launches
    assert ("scripts/dev.sh", "--enable-threads") in launches
    assert ("deploy/app.service", "-T") in launches


def test_a_command_loading_a_config_is_judged_by_the_config(tmp_path: Path) -> None:
    files = {
        "Dockerfile": 'FROM python:3.12\nCMD ["uwsgi", "--ini", "/app/deploy/uwsgi.ini"]\n',
        "deploy/uwsgi.ini": "[uwsgi]\nmodule = shop.wsgi\nenable-threads = true\n",
    }
    scan_result = problems(tmp_path, files)
    assert scan_result == []
    (command,) = [la for la in scan_uwsgi(tmp_path).launches if la.source == "Dockerfile"]
    assert command.threads == "deploy/uwsgi.ini: enable-threads = true"

    files["deploy/uwsgi.ini"] = "[uwsgi]\nmodule = shop.wsgi\n"
    assert problems(tmp_path, files) == [("deploy/uwsgi.ini", 1, "ini")]

    # The command line turns threads on for the config it loads.
    files["Dockerfile"] = "FROM python:3.12\nCMD uwsgi --enable-threads deploy/uwsgi.ini\n"
    assert problems(tmp_path, files) == []


def test_uwsgi_enable_threads_in_the_environment_turns_threads_on_everywhere(tmp_path: Path) -> None:
    files = {
        "Dockerfile": "FROM python:3.12\nENV UWSGI_ENABLE_THREADS=1\nCMD uwsgi --module shop.wsgi\n",
        "uwsgi.ini": "[uwsgi]\nmodule = shop.wsgi\n",
    }
    assert problems(tmp_path, files) == []
    assert scan_uwsgi(tmp_path).environment == "Dockerfile:2 (UWSGI_ENABLE_THREADS=1)"


def test_no_uwsgi_at_all(tmp_path: Path) -> None:
    files = {"Procfile": "web: gunicorn shop.wsgi\n", "Dockerfile": "RUN pip install uwsgi\n"}
    build_file_tree(tmp_path, files)
    assert scan_uwsgi(tmp_path).launches == ()


def test_a_file_without_suffix_is_a_script_only_when_its_first_bytes_are_a_shebang(tmp_path: Path) -> None:
    command = "uwsgi --socket :3031 --module shop.wsgi\n"
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin/serve").write_bytes(b"#!/bin/sh\n" + command.encode())
    (tmp_path / "bin/bom").write_bytes(b"\xef\xbb\xbf#!/bin/sh\n" + command.encode())
    (tmp_path / "bin/notes").write_bytes(command.encode())
    (tmp_path / "bin/binary").write_bytes(b"\xff\xfe#!/bin/sh\n" + command.encode())
    assert problems(tmp_path, {}) == [("bin/serve", 2, "script")]
