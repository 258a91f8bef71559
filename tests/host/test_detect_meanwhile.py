"""detect(meanwhile=...): the caller's own work runs while the probes wait on their
commands, once, and changes no fact. `up` imports the planner there (issue 20's
overhead; docs/bench.md (k))."""

from __future__ import annotations

import threading
from pathlib import Path

from bootstrap import host
from bootstrap.host.sources import Cmd, Replay

CAPTURE = Path(__file__).resolve().parent.parent / "fixtures" / "hosts" / "linux-nvidia-535"


class Gated(Replay):
    """A replay whose commands answer only once ``gate`` is open: a probe that runs a
    command finishes only if the caller's ``meanwhile`` ran before detection waited."""

    def __init__(self, directory: Path, gate: threading.Event) -> None:
        super().__init__(directory)
        self.gate = gate
        self.waited: list[bool] = []

    def run(self, argv: list[str], timeout: float) -> Cmd:
        self.waited.append(self.gate.wait(10))
        return super().run(argv, timeout)


def _facts(found: host.HostFacts) -> dict[str, object]:
    data = found.to_dict()
    data["probes"] = {k: v["status"] for k, v in data["probes"].items()}  # not their times
    return data


def test_meanwhile_runs_once_while_the_probes_wait_and_changes_no_fact() -> None:
    gate = threading.Event()
    calls: list[str] = []

    def meanwhile() -> None:
        calls.append(threading.current_thread().name)
        gate.set()

    source = Gated(CAPTURE, gate)
    found = host.detect(source, meanwhile=meanwhile)
    assert calls == [threading.current_thread().name]  # once, in the caller's thread
    # The probes that ran a command (nvidia-smi here) were still waiting when it ran.
    assert source.waited and all(source.waited)
    assert found.nvidia is not None
    assert _facts(found) == _facts(host.replay(CAPTURE))


def test_an_error_in_meanwhile_is_the_callers() -> None:
    def meanwhile() -> None:
        raise RuntimeError("the caller's own bug")

    try:
        host.detect(Replay(CAPTURE), meanwhile=meanwhile)
    except RuntimeError as exc:
        assert str(exc) == "the caller's own bug"
    else:  # pragma: no cover - the assertion's message
        raise AssertionError("detect swallowed the caller's error")
