"""The receiver as the guest runs it: a separate python3 fed the way the loader feeds it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from vagrantkit import sending
from vagrantkit.watch.link import RECEIVER_PATH


def converse(*lines: str, args: tuple[str, ...] = ()) -> list[dict[str, object]]:
    stdin = sending.payload(RECEIVER_PATH) + "".join(line + "\n" for line in lines).encode()
    done = subprocess.run(
        [sys.executable, "-I", "-c", sending.loader("receiver.py"), *args],
        input=stdin,
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr.decode()
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_hello_then_one_acknowledgement_per_message_with_what_it_found(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("a")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.py").write_text("b")
    answers = converse(
        json.dumps({"hello": True}),
        json.dumps(
            {"id": 1, "changes": [["modified", str(tmp_path / "a.py")], ["deleted", str(tmp_path / "gone.py")]]}
        ),
        json.dumps({"id": 2, "folders": [str(tmp_path / "sub")]}),
        json.dumps({"id": 3, "trees": [str(tmp_path)]}),
    )
    hello = answers[0]["hello"]
    assert isinstance(hello, dict) and hello["receiver"] == 1 and hello["statx"] is True
    assert " /proc proc " in str(hello["mounts"])
    acks = answers[1:]
    assert [a["ack"] for a in acks] == [1, 2, 3]
    # 1: a.py, and gone.py's folder (revalidated) and gone.py (missing)
    assert (acks[0]["revalidated"], acks[0]["missing"], acks[0]["failed"]) == (2, 1, 0)
    assert (acks[1]["revalidated"], acks[1]["missing"]) == (2, 0)  # sub and sub/b.py
    assert (acks[2]["revalidated"], acks[2]["missing"]) == (4, 0)  # the tree: ., a.py, sub, sub/b.py


def test_a_bad_line_is_answered_with_an_error_and_the_session_goes_on(tmp_path: Path) -> None:
    answers = converse(
        json.dumps({"hello": True}),
        "not json",
        json.dumps({"id": 1, "changes": [["renamed", "/x"]]}),
        json.dumps({"id": 2, "changes": [["modified", "relative/path"]]}),
        json.dumps({"id": 3, "changes": [["modified", str(tmp_path)]]}),
        json.dumps({"bye": True}),
        json.dumps({"id": 4, "changes": []}),
    )
    assert "error" in answers[1] and answers[1]["id"] is None
    assert answers[2] == {"error": "not a change: ['renamed', '/x'] (kinds: modified, added, deleted)", "id": 1}
    assert answers[3]["id"] == 2 and "not an absolute path" in str(answers[3]["error"])
    assert answers[4]["ack"] == 3 and answers[4]["revalidated"] == 1
    assert len(answers) == 5, "nothing is answered after bye"
