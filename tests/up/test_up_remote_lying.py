"""A box that lies: the real chrooted sshd (tests/support/sshbox.py) with a forced
command that rewrites what the box sends back (its detection facts, its file hashes,
its report, stage 0's output). Whatever it sends, `up --remote` ends with one line and
exit 9, records the run without the lie, costs this host no more than the size limits,
writes nothing outside its own directories, and shows no terminal control sequence."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from support import cli
from support.machine import fresh_env

from bootstrap.errors import EXIT_TARGET_UNFIT

pytestmark = [pytest.mark.remote, pytest.mark.slow]

SERVICE_BUNDLE = ("python-service", "linux-x86_64-cpu")

# Every session runs the command the host asked for, offline, unless a lie for it is in
# /run/box (the box's read-only sshd folder, which the test writes on the host).
LIAR = r"""#!/bin/sh
c="$SSH_ORIGINAL_COMMAND"
real() { exec unshare --net sh -c 'ip link set lo up; exec sh -c "$SSH_ORIGINAL_COMMAND"'; }
case "$c" in
  *"-m bootstrap.host"*) [ -f /run/box/facts ] && exec sh /run/box/facts ;;
  *"xargs -0 sha256sum"*) [ -f /run/box/hashes ] && exec sh /run/box/hashes ;;
  *"--report-out"*) [ -f /run/box/stage0 ] && exec sh /run/box/stage0 ;;
  *"report.json"*) [ -f /run/box/report ] && exec sh /run/box/report ;;
esac
real
"""

# The box's real facts, edited by a Python one-liner there.
EDIT_FACTS = (
    'unshare --net sh -c "ip link set lo up; sh -c \\"$SSH_ORIGINAL_COMMAND\\"" | '
    "python3 -c 'import json,sys; d=json.load(sys.stdin); {edit}; print(json.dumps(d))'\n"
)

FACT_LIES = {
    "arch-path": (EDIT_FACTS.format(edit='d["arch"]="../../.."'), "arch"),
    "a-list": ("echo '[1, 2]'\n", "must be a JSON object"),
    "a-string": ("echo '\"linux\"'\n", "must be a JSON object"),
    "wrong-type": (EDIT_FACTS.format(edit='d["cpu_count"]="many"'), "cpu_count"),
    "gpus-a-string": (EDIT_FACTS.format(edit='d["gpus"]="all"'), "detection facts"),
    "infinity": ("echo '{\"os\": \"linux\", \"arch\": \"x86_64\", \"memory_bytes\": Infinity}'\n",
                 "Infinity"),
    "deep": ("python3 -c 'print(\"[\" * 100000 + \"]\" * 100000)'\n", "nested too deeply"),
    "huge": ("head -c 400000000 /dev/zero | tr '\\0' ' '\n", "more than"),
    "long-kernel": (EDIT_FACTS.format(edit='d["kernel"]="k"*100000'), "text field"),
}  # fmt: skip

REPORT_LIES = {
    "a-list": ("echo '[]'\n", "must be a JSON object"),
    "a-string": ("echo '\"ok\"'\n", "must be a JSON object"),
    "target-path": ("echo '{\"target\": \"../../etc\"}'\n", "target"),
    "target-long": ("python3 -c 'import json; print(json.dumps({\"target\": \"x\" * 5000}))'\n",
                    "target"),
    "target-150mb": ("printf '{\"target\": \"'; head -c 150000000 /dev/zero | tr '\\0' x; "
                     "printf '\"}'\n", "more than"),
    "infinity": ("echo '{\"phases\": {\"sync\": Infinity}}'\n", "Infinity"),
    "huge-number": ("echo '{\"phases\": {\"sync\": 1e308}}'\n", "phases.sync"),
    "negative": ("echo '{\"phases\": {\"first_run\": -1}}'\n", "phases.first_run"),
    "wrong-type": ("echo '{\"run_kind\": 5}'\n", "run_kind"),
    "report-400mb": ("head -c 400000000 /dev/zero | tr '\\0' ' '\n", "more than"),
}  # fmt: skip


def up(tree: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return cli.bootstrap("up", *args, cwd=tree, env=env, timeout=600)


def liar(make_remote_box, tmp_path: Path, lies: dict[str, str]):
    box = make_remote_box(force_command=LIAR)
    folder = box.sshd_log.parent / "sshd"
    for name, script in lies.items():
        (folder / name).write_text(script)
    env = fresh_env(tmp_path / "host")
    env["BOOTSTRAP_HOME"] = str(tmp_path / "host" / "bootstrap-home")
    env.update(box.env())
    return box, env


def profile_for(tree: Path, alias: str) -> Path:
    path = tree / "profiles" / "python-service-remote.toml"
    path.write_text(
        'extends = "python-service"\nname = "python-service-remote"\n\n'
        f'[strategies.remote]\nhosts = ["{alias}"]\n'
    )
    return path


def history(env: dict[str, str]) -> list[dict[str, object]]:
    path = Path(env["BOOTSTRAP_HOME"]) / "state" / "history.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def assert_one_line(res: subprocess.CompletedProcess[str], code: int, needle: str) -> str:
    err = res.stderr
    assert res.returncode == code, res.stdout + err
    assert "Traceback" not in res.stdout + err
    errors = [ln for ln in err.splitlines() if ln.lower().startswith("error")]
    assert len(errors) == 1, err
    assert needle in errors[0], errors[0]
    assert len(errors[0]) < 400, errors[0]
    return errors[0]


def _outside(tmp_path: Path) -> set[str]:
    """What exists in the test's directory besides the host's home and the tree."""
    return {p.name for p in tmp_path.iterdir()}


@pytest.mark.parametrize("lie", sorted(FACT_LIES))
def test_lying_detection_facts(tree, make_remote_box, tmp_path, lie):
    script, needle = FACT_LIES[lie]
    box, env = liar(make_remote_box, tmp_path, {"facts": script})
    before = _outside(tmp_path)

    res = up(tree, env, "--profile", str(profile_for(tree, box.alias)), "--strategy", "remote")

    assert_one_line(res, EXIT_TARGET_UNFIT, needle)
    (report,) = history(env)
    assert report["outcome"] == "failure"
    assert str(report["error_code"]).startswith("peer.")
    assert report["target"] == "linux-x86_64-cpu"  # the plan's, not the box's
    assert _outside(tmp_path) == before  # nothing made beside the host's own folders
    cache = Path(env["BOOTSTRAP_HOME"]) / "cache"
    assert not cache.exists() or not any(".." in p.name for p in cache.rglob("*"))


@pytest.mark.parametrize("lie", sorted(REPORT_LIES))
def test_lying_report(tree, bundle, make_remote_box, tmp_path, lie):
    script, needle = REPORT_LIES[lie]
    stage0 = "printf 'stage 0 ran\\n'; exit 0\n"
    box, env = liar(make_remote_box, tmp_path, {"stage0": stage0, "report": script})
    profile = profile_for(tree, box.alias)
    before = _outside(tmp_path)

    res = up(
        tree, env, "--profile", str(profile), "--strategy", "remote",
        "--cache-bundle", str(bundle(*SERVICE_BUNDLE)),
    )  # fmt: skip

    assert_one_line(res, EXIT_TARGET_UNFIT, needle)
    assert _outside(tmp_path) == before
    history_file = Path(env["BOOTSTRAP_HOME"]) / "state" / "history.jsonl"
    assert history_file.stat().st_size < 20_000  # one ordinary line, not the lie
    text = history_file.read_text()
    assert "Infinity" not in text and "NaN" not in text and "1e+308" not in text
    (report,) = history(env)
    assert report["target"] == "linux-x86_64-cpu"
    assert str(report["error_code"]).startswith("peer.")
    assert all(0 <= v < 1e6 for v in report["phases"].values() if v is not None)
    show = subprocess.run(
        [sys.executable, "-m", "bootstrap", "report", "show", "--json"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert show.returncode == 0, show.stderr


def test_control_sequences_from_the_box_are_not_printed(tree, bundle, make_remote_box, tmp_path):
    """OSC 52 (write the user's clipboard), a screen clear, cursor moves, a window title:
    stage 0's lines are shown without them."""
    stage0 = (
        "printf 'before\\033]52;c;ZWNobyBwd25lZA==\\007after\\n'\n"
        "printf '\\033[2J\\033[H\\033[31mred\\033[0m\\n'\n"
        "printf '\\033]0;owned title\\033\\\\done\\n'\n"
        "printf 'bell\\007 and \\233 8-bit CSI 2J\\n'\n"
        "exit 0\n"
    )
    box, env = liar(make_remote_box, tmp_path, {"stage0": stage0})
    res = up(
        tree, env, "--profile", str(profile_for(tree, box.alias)), "--strategy", "remote",
        "--cache-bundle", str(bundle(*SERVICE_BUNDLE)),
    )  # fmt: skip
    shown = res.stdout + res.stderr
    assert "beforeafter" in shown and "red" in shown and "done" in shown
    for bad in ("\x1b]52", "\x1b[2J", "\x1b]0;", "\x07", "\x9b"):
        assert bad not in shown, repr(bad)


def _tar_box(make_remote_box, tmp_path, **lies):
    box, env = liar(make_remote_box, tmp_path, {"stage0": "exit 0\n", **lies})
    box.run("rm -f /usr/bin/rsync", check=True)  # the box without rsync: the tar transfer
    return box, env


def test_tar_transfer_resends_what_changed_on_the_box(tree, bundle, make_remote_box, tmp_path):
    box, env = _tar_box(make_remote_box, tmp_path)
    args = ("--profile", str(profile_for(tree, box.alias)), "--strategy", "remote",
            "--cache-bundle", str(bundle(*SERVICE_BUNDLE)))  # fmt: skip
    first = up(tree, env, *args)
    assert first.returncode == 0, first.stdout + first.stderr
    there = box.remote_home / "python-service"  # the project python-service names
    project = tree / "examples" / "python-service"
    assert (there / "uv.lock").is_file()
    assert (there / ".bootstrap" / "in" / "install.sh").is_file()  # the bootstrapper's
    again = up(tree, env, *args)
    assert "(0 of " in again.stdout, again.stdout  # nothing changed: nothing sent

    (there / "uv.lock").unlink()  # deleted on the box
    (there / "pyproject.toml").write_text("edited on the box\n")  # edited on the box
    (there / ".bootstrap" / "in" / "install.sh").unlink()  # ours too
    third = up(tree, env, *args)
    assert third.returncode == 0, third.stdout + third.stderr
    assert "(3 of " in third.stdout, third.stdout
    assert (there / "uv.lock").read_bytes() == (project / "uv.lock").read_bytes()
    assert (there / "pyproject.toml").read_bytes() == (project / "pyproject.toml").read_bytes()
    sent = there / ".bootstrap" / "in" / "install.sh"
    assert sent.read_bytes() == (tree / "install.sh").read_bytes()


@pytest.mark.parametrize(
    ("lie", "expect"),
    [
        ("echo '[\"install.sh\"]'\n", 0),  # not sha256sum's lines: every file is sent
        ("echo 'zz  install.sh'; echo '{}'\n", 0),
        ("head -c 400000000 /dev/zero | tr '\\0' a\n", EXIT_TARGET_UNFIT),
    ],
)
def test_lying_file_hashes(tree, bundle, make_remote_box, tmp_path, lie, expect):  # noqa: PLR0917
    box, env = _tar_box(make_remote_box, tmp_path, hashes=lie)
    res = up(
        tree, env, "--profile", str(profile_for(tree, box.alias)), "--strategy", "remote",
        "--cache-bundle", str(bundle(*SERVICE_BUNDLE)),
    )  # fmt: skip
    if expect:
        assert_one_line(res, expect, "more than")
    else:
        assert res.returncode == 0, res.stdout + res.stderr
        assert "Traceback" not in res.stderr
        sent = next(ln for ln in res.stdout.splitlines() if "files sent" in ln)
        n, _, total = sent.split("(")[-1].split(" files sent")[0].partition(" of ")
        assert n.strip().split()[-1] == total.strip()  # everything sent, nothing trusted
