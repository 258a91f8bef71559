"""Every bad input gets one clear line and exit 2 (or the documented code), never a
traceback; a bug gets one line naming the log file that holds its traceback."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support.cli import bootstrap, environ
from support.cli import main as cli_main

REPO = Path(__file__).resolve().parent.parent
SERVICE = REPO / "profiles" / "python-service.toml"
CAPTURE = REPO / "tests" / "fixtures" / "hosts" / "linux-no-gpu"


def assert_one_line(res: subprocess.CompletedProcess[str], code: int, *needles: str) -> None:
    err = res.stderr
    assert res.returncode == code, (res.returncode, err)
    assert "Traceback" not in err and "Traceback" not in res.stdout
    errors = [ln for ln in err.splitlines() if ln.lower().startswith("error")]
    assert len(errors) == 1, err  # one error line (a "fix:" hint may follow it)
    for needle in needles:
        assert needle in errors[0], err


def _profile(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def _service_text(first_run: str | None) -> str:
    text = SERVICE.read_text(encoding="utf-8").replace(
        "../examples", str(REPO / "examples").replace("\\", "/")
    )
    head = text.split("[first_run]")[0]
    return head if first_run is None else head + "[first_run]\n" + first_run + "\n"


BAD_PROFILES = {
    "binary": (bytes(range(128, 256)) * 3, "not a text file"),
    "deep": ("a = " + "{x = " * 5000 + "1" + "}" * 5000 + "\n", "nested too deeply"),
    "quote": (None, "balanced quotes"),
}


@pytest.mark.parametrize("command", ["validate", "plan", "up"])
@pytest.mark.parametrize("case", sorted(BAD_PROFILES))
def test_bad_profile(tmp_path: Path, case: str, command: str) -> None:
    content, needle = BAD_PROFILES[case]
    if content is None:
        content = _service_text('command = "python -c \\"x"')
    path = _profile(tmp_path, f"{case}.toml", content)
    argv = {
        "validate": ["profiles", "validate", str(path)],
        "plan": ["plan", "--profile", str(path)],
        "up": ["up", "--profile", str(path)],
    }[command]
    assert_one_line(bootstrap(*argv), 2, needle)


def test_profile_without_first_run_is_refused_by_up_and_recorded(tmp_path: Path) -> None:
    path = _profile(tmp_path, "nofr.toml", _service_text(None))
    assert_one_line(bootstrap("up", "--profile", str(path)), 2, "no [first_run] command")
    history = Path(os.environ["BOOTSTRAP_HOME"]) / "state" / "history.jsonl"
    record = json.loads(history.read_text(encoding="utf-8").splitlines()[-1])
    assert record["outcome"] != "success" and record["error_code"] == "profile.no_first_run"


def test_directory_as_profile(tmp_path: Path) -> None:
    assert_one_line(bootstrap("profiles", "validate", str(tmp_path)), 2, "is a directory")


ENV_CASES = [
    ({"BOOTSTRAP_CUDA_DRIVER": "550.54.14;rm -rf /"}, "expected an NVIDIA driver version"),
    ({"BOOTSTRAP_CUDA_DRIVER": "1e999"}, "expected an NVIDIA driver version"),
    ({"BOOTSTRAP_FACT_MEMORY_BYTES": "1e400"}, "infinity"),
    ({"BOOTSTRAP_FACT_MEMORY_BYTES": "-1"}, "memory_bytes: expected an integer >= 0"),
    ({"BOOTSTRAP_FACT_CPU_COUNT": "-5"}, "cpu_count: expected an integer >= 1"),
    ({"BOOTSTRAP_FACT_WSL": "7"}, "wsl: expected null, 1 or 2"),
    ({"BOOTSTRAP_FACT_LIBC": '{"family": 1}'}, 'libc.family: expected "glibc" or "musl"'),
    ({"BOOTSTRAP_FACT_CPU_COUNT": "[" * 100_000}, "nested too deeply"),
    ({"BOOTSTRAP_PROBE_TIMEOUT": "nan"}, "BOOTSTRAP_PROBE_TIMEOUT"),
]


@pytest.mark.parametrize(("env", "needle"), ENV_CASES, ids=[str(c[0])[:50] for c in ENV_CASES])
def test_bad_override(env: dict[str, str], needle: str) -> None:
    assert_one_line(bootstrap("detect", env=environ(**env)), 2, needle)


@pytest.mark.parametrize("value", ["-1", "nan", "0", "inf"])
def test_bad_detect_timeout(value: str) -> None:
    assert_one_line(bootstrap("detect", "--timeout", value), 2, "--timeout")


def test_replay_with_impossible_value(tmp_path: Path) -> None:
    capture = tmp_path / "capture"
    shutil.copytree(CAPTURE, capture)
    index = json.loads((capture / "capture.json").read_text(encoding="utf-8"))
    index["values"]["os.cpu_count"] = "many"
    (capture / "capture.json").write_text(json.dumps(index), encoding="utf-8")
    assert_one_line(bootstrap("detect", "--replay", str(capture)), 2, "'many'")
    assert_one_line(
        bootstrap("plan", "--profile", "python-service", "--replay", str(capture)), 2, "'many'"
    )


def test_replay_nested_too_deeply(tmp_path: Path) -> None:
    (tmp_path / "capture.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    assert_one_line(bootstrap("detect", "--replay", str(tmp_path)), 2, "nested too deeply")


@pytest.mark.parametrize(
    ("content", "needle"),
    [("[]", "expected a JSON object"), ("[" * 100_000, "nested too deeply")],
)
def test_plan_facts_not_an_object(tmp_path: Path, content: str, needle: str) -> None:
    facts = tmp_path / "facts.json"
    facts.write_text(content, encoding="utf-8")
    res = bootstrap("plan", "--profile", "python-service", "--facts", str(facts))
    assert_one_line(res, 2, needle)


@pytest.mark.parametrize(
    ("url", "needle"),
    [
        ("http://[::1", "not a valid URL"),
        ("http://pushgateway:9091", "only https (or http to 127.0.0.1/localhost)"),
        ("http://localhost:1@10.9.9.9:18090/", "only https"),
    ],
)
def test_report_send_bad_url(url: str, needle: str) -> None:
    res = bootstrap("report", "send", "--sink", "pushgateway", "--url", url, "--last")
    assert_one_line(res, 2, needle)


def _netns_mount_ok() -> bool:
    if not shutil.which("unshare") or os.geteuid() != 0:
        return False
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", "mount -t tmpfs tmpfs /mnt"],
        capture_output=True,
        check=False,
    )
    return probe.returncode == 0


needs_mount = pytest.mark.skipif(not _netns_mount_ok(), reason="needs root and `unshare -m`")


@needs_mount
@pytest.mark.parametrize(
    ("mount", "prepare", "needle"),
    [
        ("-o ro,size=1m", "", "the file system is read-only"),
        (
            "-o size=64k",
            "mkdir -p $M/home/state/runs && dd if=/dev/zero of=$M/fill bs=1k count=200 2>/dev/null",
            "no space left on the device",
        ),
    ],
    ids=["EROFS", "ENOSPC"],
)
def test_unwritable_state(tmp_path: Path, mount: str, prepare: str, needle: str) -> None:
    # A private mount namespace: a read-only or a full tmpfs as BOOTSTRAP_HOME.
    mnt = tmp_path / "m"
    mnt.mkdir()
    script = (
        f"mount -t tmpfs {mount} tmpfs $M && {prepare or 'true'}; "
        f'BOOTSTRAP_HOME=$M/home "{sys.executable}" -m bootstrap up --profile {SERVICE}; '
        "rc=$?; ls -A $M/home/state/runs 2>/dev/null | sed 's/^/left: /' >&2; exit $rc"
    )
    res = subprocess.run(
        ["unshare", "-m", "sh", "-c", script],
        capture_output=True,
        text=True,
        env={**os.environ, "M": str(mnt)},
        timeout=120,
        check=False,
    )
    assert_one_line(res, 1, "cannot write", needle)
    assert "left: " not in res.stderr  # no temporary file left behind in runs/


# Starts the CLI as the `bootstrap` console script does (import the entry point, call
# it), after saying "ready". Not covered, and not ours to cover: an interrupt while
# CPython initialises or imports the two-line entry module itself (~20 ms).
LAUNCH = (
    "import sys; from bootstrap.__main__ import run; sys.stdout.write('ready\\n'); "
    "sys.stdout.flush(); sys.argv = ['bootstrap', 'detect']; run()"
)


@pytest.mark.parametrize("delay_ms", [0, 5, 10, 20, 40, 60, 80, 100, 120, 150, 200])
def test_ctrl_c_during_start_up(delay_ms: int) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", LAUNCH],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline() == "ready\n"
    time.sleep(delay_ms / 1000)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert "Traceback" not in err, err
    # Interrupted (130; or killed by the signal before Python installed its handler), or
    # finished before the signal arrived.
    assert proc.returncode in (130, -signal.SIGINT, 0), (proc.returncode, err)
    if proc.returncode == 130:
        (line,) = err.strip().splitlines()
        assert line.startswith("interrupted"), err


def test_a_bug_prints_one_line_and_logs_the_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # A real bug path: a probe source that raises an error nobody expects.
    import bootstrap.host as host_pkg

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("probe blew up at https://user:hunter2@proxy.example:3128")

    monkeypatch.setattr(host_pkg, "detect", broken)
    code, _, err = cli_main(capsys, "detect")
    assert code == 70
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert "internal error (RuntimeError)" in err
    log = Path(err.rsplit("the traceback is in ", 1)[1].strip())
    text = log.read_text(encoding="utf-8")
    assert "Traceback" in text and "probe blew up" in text
    assert "hunter2" not in text  # redacted like everything else written to disk
    assert log.stat().st_mode & 0o777 == 0o600
