"""What a peer sends back is bounded where it is read and checked before it is used
(bootstrap/peer.py, proc.run's ``limit``, the sinks' answer cap). The limits are asserted
on the code paths' own counts, not on timing or memory measurements."""

from __future__ import annotations

import http.server
import socketserver
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bootstrap import peer, proc
from bootstrap.report import spool
from bootstrap.report.config import SinkConfig
from bootstrap.report.sinks import SinkError
from bootstrap.report.sinks._http import BODY_LIMIT, request

# -- captured output: at most ``limit`` bytes, the writer ended -----------------------


def test_a_flood_is_cut_at_the_limit_and_the_writer_ended() -> None:
    limit = 1 << 20
    # 400 MB of output: read at most `limit` bytes of it, then the process is killed.
    flood = [sys.executable, "-c", "import sys\nwhile True: sys.stdout.write('x' * 65536)"]
    res = proc.run(flood, timeout=60, limit=limit)
    assert res.overflow and not res.ok
    assert len(res.stdout) == limit
    assert "more output than allowed" in res.describe()


def test_under_the_limit_is_an_ordinary_result() -> None:
    res = proc.run([sys.executable, "-c", "print('ok')"], timeout=60, limit=1 << 20, input="")
    assert res.ok and res.stdout == "ok\n" and not res.overflow


def test_a_streamed_line_is_read_in_bounded_pieces() -> None:
    lines: list[str] = []
    code = "import sys; sys.stdout.write('y' * 5_000_000 + '\\nend\\n')"
    res = proc.stream(
        [sys.executable, "-c", code], timeout=60, on_line=lines.append, line_limit=65536
    )
    assert res.returncode == 0
    assert max(len(line) for line in lines) <= 65536
    assert lines[-1] == "end"


# -- parsing and checking what a peer said ---------------------------------------------

T = "box"


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("[]", "must be a JSON object"),
        ('"a string"', "must be a JSON object"),
        ("42", "must be a JSON object"),
        ('{"a": Infinity}', "Infinity"),
        ('{"a": NaN}', "NaN"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ("{not json", "not valid JSON"),
        ("x" * (peer.REPLY_LIMIT + 1), "more than"),
    ],
)
def test_parse_object_refuses(text: str, needle: str) -> None:
    with pytest.raises(peer.PeerError) as err:
        peer.parse_object(text, target=T, what="report")
    assert needle in err.value.message
    assert err.value.exit_code == 9
    assert len(err.value.message) < 300


@pytest.mark.parametrize(
    ("report", "needle"),
    [
        ({"target": "../../.."}, "target"),
        ({"target": "x" * 150_000}, "target"),
        ({"target": 5}, "target"),
        ({"phases": {"sync": float("inf")}}, "phases.sync"),
        ({"phases": {"sync": 1e308}}, "phases.sync"),
        ({"phases": {"sync": 10**4000}}, "phases.sync"),
        ({"phases": {"sync": -1}}, "phases.sync"),
        ({"phases": {"sync": True}}, "phases.sync"),
        ({"phases": {"sync": "1"}}, "phases.sync"),
        ({"phases": {"../x": 1}}, "phase name"),
        ({"phases": []}, "phases"),
        ({"run_kind": "evil"}, "run_kind"),
        ({"uv_version": "1.0\x1b]52;c;x\x07"}, "uv_version"),
        ({"error_code": "Not A Code"}, "error_code"),
        ({"offline": "yes"}, "offline"),
        ({"total_seconds": float("nan")}, "total_seconds"),
    ],
)
def test_check_report_refuses(report: dict[str, object], needle: str) -> None:
    with pytest.raises(peer.PeerError) as err:
        peer.check_report(report, target=T)
    assert needle in err.value.message
    assert "\x1b" not in err.value.message
    assert len(err.value.message) < 400


def test_check_report_keeps_only_checked_fields() -> None:
    good = {
        "target": "linux-x86_64-cu126",
        "uv_version": "0.13.9",
        "phases": {"sync": 1.5, "first_run": None},
        "run_kind": "resync",
        "offline": True,
        "anything_else": {"x": 1},
    }
    out = peer.check_report(good, target=T)
    assert out == {
        "target": "linux-x86_64-cu126",
        "uv_version": "0.13.9",
        "phases": {"sync": 1.5},
        "run_kind": "resync",
        "offline": True,
    }


FACTS = {"os": "linux", "os_version": "12", "arch": "x86_64", "kernel": "6.1.0"}


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"arch": "../../.."}, "arch"),
        ({"os": ["linux"]}, "os"),
        ({"cpu_count": "many"}, "cpu_count"),
        ({"cpu_count": True}, "cpu_count"),
        ({"memory_bytes": 1.5}, "memory_bytes"),
        ({"gpus": "all"}, "gpus"),
        ({"gpus": [1]}, "gpus"),
        ({"tools": []}, "tools"),
        ({"kernel": "k" * 100_000}, "text field"),
        ({"distro": {"id": 1}}, "detection facts"),
        ({"libc": {"family": "x"}}, "libc"),
    ],
)
def test_check_facts_refuses(change: dict[str, object], needle: str) -> None:
    with pytest.raises(peer.PeerError) as err:
        peer.check_facts({**FACTS, **change}, target=T)
    assert needle in err.value.message


def test_check_facts_reads_good_facts() -> None:
    facts = peer.check_facts({**FACTS, "cpu_count": 4}, target=T)
    assert facts.arch == "x86_64" and facts.cpu_count == 4


@pytest.mark.parametrize(
    ("probe", "needle"),
    [
        ({"python_cmd": "rm -rf /"}, "python_cmd"),
        ({"disk_kb": "9" * 30}, "disk_kb"),
        ({"python": "3.11; reboot"}, "python"),
        ({"arch": "\x1b[2J"}, "arch"),
    ],
)
def test_check_probe_refuses(probe: dict[str, str], needle: str) -> None:
    with pytest.raises(peer.PeerError) as err:
        peer.check_probe(probe, target=T)
    assert needle in err.value.message


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("ok \x1b]52;c;ZWNobyBoaQ==\x07done", "ok done"),  # OSC 52: write the clipboard
        ("\x1b[2J\x1b[Hcleared", "cleared"),  # clear the screen, home the cursor
        ("\x1b]0;title\x1b\\text", "text"),  # set the window title (ST-terminated)
        ("a\x9b2Jb", "ab"),  # 8-bit CSI
        ("\x1bPdevice control\x1b\\x", "x"),  # DCS
        ("bell\x07 nul\x00 bs\x08", "bell nul bs"),
        ("tab\tkept", "tab\tkept"),
        ("ünïcødé stays", "ünïcødé stays"),
    ],
)
def test_clean_line(raw: str, shown: str) -> None:
    assert peer.clean_line(raw) == shown


def test_clean_line_cuts_a_long_line() -> None:
    assert len(peer.clean_line("z" * 100_000)) < peer.LINE_LIMIT + 10


# -- a sink's answer: 4 KiB of it at most, and "HTTP 500" is not "unreachable" ---------


class _Flood(http.server.BaseHTTPRequestHandler):
    sent = 0

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(500)
        self.send_header("Content-Length", str(2 << 30))
        self.end_headers()
        block = b"\x1b]52;c;eA==\x07server error " + b"e" * 65000 + b"\n"
        try:
            for _ in range(32768):  # 2 GiB if the client read it all
                self.wfile.write(block)
                type(self).sent += len(block)
        except OSError:
            pass  # the client hung up: what this test wants

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def flood() -> Iterator[str]:
    _Flood.sent = 0
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Flood)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/ingest"
    server.shutdown()
    server.server_close()


def test_a_sink_answering_gigabytes_is_read_4kib(flood: str) -> None:
    config = SinkConfig(kind="http-json", url=flood)
    with pytest.raises(SinkError) as err:
        request(config, "POST", flood, body=b"{}", headers={}, timeout=10)
    message = err.value.message
    assert "HTTP 500" in message and "server error" in message
    assert "\x1b" not in message and len(message) < 300
    assert err.value.code == "report.sink_rejected"  # reached, and refused: not unreachable
    assert _Flood.sent < 64 * BODY_LIMIT * 1024  # the server stopped long before 2 GiB


# -- the fleet metric counts dropped reports, not stray files ---------------------------


def test_stray_spool_files_are_not_counted_as_dropped(tmp_path: Path) -> None:
    from bootstrap.paths import Paths

    paths = Paths.from_env({"BOOTSTRAP_HOME": str(tmp_path)})
    sink_dir = paths.spool / "http-json-000000000000"
    sink_dir.mkdir(parents=True)
    for n in range(5):
        (sink_dir / f"garbage-{n}.json").write_text("not a report")
    dropped = spool.prune(paths, spool.Limits(max_entries=1, max_age_days=30))
    assert dropped == 0
    assert spool.dropped_count(paths) == 0
    assert len(spool.corrupt_files(paths)) >= 4  # kept aside, not deleted


def test_a_command_that_never_reads_its_input_times_out() -> None:
    sleeper = [sys.executable, "-c", "import time; time.sleep(60)"]
    res = proc.run(sleeper, timeout=2, limit=1 << 20, input="x" * (4 << 20))
    assert res.timed_out and res.returncode is None


def test_a_sink_that_answered_500_is_not_called_unreachable() -> None:
    from bootstrap.app import UpResult, summary_lines

    result = UpResult(
        0,
        report={"total_seconds": 1.0, "phases": {}},
        plan={"lock": {"path": "uv.lock"}, "profile": "p", "target": "t", "strategy": "native"},
        delivery={
            "spooled": ["http-json https://metrics.example/x"],
            "errors": ["http-json https://metrics.example/x: HTTP 500: upstream down"],
        },
    )
    (line,) = [ln for ln in summary_lines(result) if "metrics:" in ln]
    assert "unreachable" not in line
    assert "HTTP 500: upstream down" in line and "spooled" in line
