"""Getting a report to its sinks without ever holding up onboarding.

:func:`deliver` spools the report for every active sink first, then sends to all of them
at once in background threads and waits at most ``budget_seconds`` in total. Whatever
has not been acknowledged by then stays spooled; :func:`flush` (``bootstrap report
flush``, and the start of every ``up``) sends it later. Remote sinks are skipped, and
nothing is spooled for them, when ``DO_NOT_TRACK``/``BOOTSTRAP_NO_METRICS`` is set or
the profile says ``enabled = false``; the ``file`` sink is local and always runs.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bootstrap.errors import ConfigError
from bootstrap.paths import Paths
from bootstrap.report import history, spool
from bootstrap.report.config import MetricsConfig, SinkConfig, opted_out, remote_allowed
from bootstrap.report.model import TimingReport
from bootstrap.report.sinks import make_sink

MIN_TIMEOUT = 0.05


@dataclass
class Delivery:
    delivered: list[str] = field(default_factory=list)  # sink labels that acknowledged
    spooled: list[str] = field(default_factory=list)  # sink labels left in the spool
    errors: list[str] = field(default_factory=list)  # one line per failure (no secrets)
    skipped_reason: str | None = None  # why remote sinks were off ("DO_NOT_TRACK=1")
    history_error: str | None = None
    seconds: float = 0.0
    dropped: int = 0  # old spool entries dropped to keep the spool under its cap
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {
            "delivered": self.delivered,
            "spooled": self.spooled,
            "errors": self.errors,
            "skipped_reason": self.skipped_reason,
            "history_error": self.history_error,
            "seconds": round(self.seconds, 3),
            "dropped": self.dropped,
            "warnings": self.warnings,
        }


@dataclass
class FlushResult:
    delivered: list[str] = field(default_factory=list)  # "<sink label> <report id>"
    errors: list[str] = field(default_factory=list)
    remaining: int = 0  # entries still spooled afterwards
    busy: int = 0  # entries another process was sending
    held: int = 0  # remote entries kept because metrics are turned off
    corrupt: list[str] = field(default_factory=list)  # where corrupt entries were moved
    seconds: float = 0.0
    dropped: int = 0  # old entries dropped to keep the spool under its cap
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {
            "delivered": self.delivered,
            "errors": self.errors,
            "remaining": self.remaining,
            "busy": self.busy,
            "held": self.held,
            "corrupt": self.corrupt,
            "seconds": round(self.seconds, 3),
            "dropped": self.dropped,
            "warnings": self.warnings,
        }


def cap_spool(paths: Paths, environ: Mapping[str, str] | None) -> tuple[int, list[str]]:
    """Keep the spool under its cap: (entries dropped, warning lines). A bad limit
    variable is one warning line, and the defaults apply (a report is never lost for
    a setting)."""
    warnings: list[str] = []
    try:
        limits = spool.Limits.from_env(environ)
    except ConfigError as exc:
        warnings.append(f"{exc.message}; using the defaults")
        limits = spool.Limits()
    try:
        dropped = spool.prune(paths, limits)
    except OSError as exc:
        warnings.append(f"cannot prune the spool {paths.spool}: {exc.strerror or exc}")
        return 0, warnings
    if dropped:
        warnings.append(
            f"the metrics spool was over its cap ({limits.describe()}): dropped the "
            f"{dropped} oldest report(s); the next report counts them (spool_dropped)"
        )
    return dropped, warnings


def _off_reason(config: MetricsConfig | None, environ: Mapping[str, str] | None) -> str | None:
    var = opted_out(environ)
    if var:
        return f"{var} is set"
    if config is not None and not config.enabled:
        return "metrics.enabled = false"
    return None


def active_sinks(
    config: MetricsConfig | None, environ: Mapping[str, str] | None = None
) -> list[SinkConfig]:
    if config is None:
        return []
    allowed = remote_allowed(config, environ)
    unique: dict[str, SinkConfig] = {}  # the same destination twice gets one report
    for s in config.sinks:
        if allowed or not s.remote:
            unique.setdefault(s.key, s)
    return list(unique.values())


def record(
    paths: Paths,
    report: TimingReport,
    config: MetricsConfig | None,
    *,
    budget_seconds: float = 2.0,
    environ: Mapping[str, str] | None = None,
) -> Delivery:
    """What ``up`` calls once per run: append to the local history (always), then
    :func:`deliver`. Never raises for a sink; a history write failure is reported."""
    history_error = None
    try:
        history.append(paths, report)
    except OSError as exc:
        history_error = f"{paths.history}: {exc.strerror or exc}"
    result = deliver(report, config, paths, budget_seconds=budget_seconds, environ=environ)
    result.history_error = history_error
    return result


def deliver(
    report: TimingReport,
    config: MetricsConfig | None,
    paths: Paths,
    *,
    budget_seconds: float = 2.0,
    environ: Mapping[str, str] | None = None,
) -> Delivery:
    """Send ``report`` to every active sink at once, waiting ``budget_seconds`` at most.
    Each report is spooled first and unspooled on acknowledgement, so whatever did not
    answer in time (or failed) stays spooled for :func:`flush`."""
    start = time.monotonic()
    deadline = start + budget_seconds
    result = Delivery(skipped_reason=_off_reason(config, environ))
    outcomes: dict[str, str | None] = {}  # sink key -> None (ok) or an error line
    lock = threading.Lock()
    threads: list[tuple[SinkConfig, threading.Thread, bool]] = []

    def send(sink: SinkConfig, claim: spool.Claim | None) -> None:
        error: str | None = None
        try:
            timeout = max(MIN_TIMEOUT, min(sink.timeout_seconds, deadline - time.monotonic()))
            make_sink(sink, timeout).send(report)
        except Exception as exc:  # any failure leaves the report spooled
            error = getattr(exc, "message", None) or f"{sink.label}: {type(exc).__name__}"
        if claim is not None:
            if error is None:
                claim.done()
            else:
                claim.release()
        with lock:
            outcomes[sink.key] = error

    for sink in active_sinks(config, environ):
        try:
            claim = spool.add(paths, sink, report)
        except OSError as exc:
            # Cannot spool (disk full, read-only state dir): still try to send once.
            result.errors.append(f"{sink.label}: cannot spool: {exc.strerror or exc}")
            claim, spooled = None, False
        else:
            if claim is None:  # already spooled and being sent by another process
                result.spooled.append(sink.label)
                continue
            spooled = True
        t = threading.Thread(target=send, args=(sink, claim), daemon=True)
        t.start()
        threads.append((sink, t, spooled))

    for sink, t, spooled in threads:
        t.join(max(0.0, deadline - time.monotonic()))
        with lock:
            done = sink.key in outcomes
            error = outcomes.get(sink.key)
        if done and error is None:
            result.delivered.append(sink.label)
            continue
        result.errors.append(error or f"{sink.label}: no answer within {budget_seconds:g}s")
        if spooled:
            result.spooled.append(sink.label)
        else:
            result.errors.append(
                f"{sink.label}: not delivered and not spooled; "
                "resend it with `bootstrap report send --last`"
            )
    if result.spooled:
        result.dropped, result.warnings = cap_spool(paths, environ)
    result.seconds = time.monotonic() - start
    return result


def flush(
    paths: Paths,
    config: MetricsConfig | None = None,
    *,
    budget_seconds: float | None = None,
    environ: Mapping[str, str] | None = None,
    workers: int = 4,
) -> FlushResult:
    """Retry every spooled entry with the sink settings it was spooled with. Entries
    another process holds are skipped; corrupt ones are moved to ``spool/corrupt/``.
    Never raises for a sink. ``budget_seconds`` bounds the whole flush (``up`` passes
    one); without it each request still has its sink's timeout."""
    start = time.monotonic()
    deadline = None if budget_seconds is None else start + budget_seconds
    allowed = remote_allowed(config, environ)
    result = FlushResult()
    lock = threading.Lock()
    todo: queue.SimpleQueue[Path] = queue.SimpleQueue()
    configured = {s.key: s for s in (config.sinks if config is not None else ())}
    result.dropped, result.warnings = cap_spool(paths, environ)
    entries = spool.pending(paths)
    for data in entries:
        todo.put(data)

    def remaining() -> float | None:
        return None if deadline is None else deadline - time.monotonic()

    def one(data: Path) -> None:
        claim = spool.try_claim(data)
        if claim is None:
            with lock:
                result.busy += 1
            return
        if not data.exists():  # delivered by someone else between listing and locking
            claim.done()
            return
        try:
            entry = spool.read(data)
        except spool.CorruptEntry as exc:
            moved = spool.move_aside(paths, data)
            claim.done()
            with lock:
                result.corrupt.append(f"{moved} ({exc})")
            return
        if entry.sink.remote and not allowed:
            claim.release()
            with lock:
                result.held += 1
            return
        sink = entry.sink
        if entry.redacted:
            # Spooled without its credentials: they come from today's configuration.
            found = configured.get(entry.key)
            if found is None:
                claim.release()
                with lock:
                    result.errors.append(
                        f"{sink.label}: its credentials are not configured here (the spool "
                        "keeps none); configure this sink and flush again "
                        f"(report {entry.report.report_id})"
                    )
                return
            sink = found
        left = remaining()
        timeout = sink.timeout_seconds if left is None else min(sink.timeout_seconds, left)
        try:
            make_sink(sink, max(MIN_TIMEOUT, timeout)).send(entry.report)
        except Exception as exc:
            claim.release()
            msg = getattr(exc, "message", None) or f"{sink.label}: {type(exc).__name__}"
            with lock:
                result.errors.append(f"{msg} (report {entry.report.report_id})")
            return
        claim.done()
        with lock:
            result.delivered.append(f"{entry.sink.label} {entry.report.report_id}")

    def worker() -> None:
        while True:
            left = remaining()
            if left is not None and left <= 0:
                return
            try:
                data = todo.get_nowait()
            except queue.Empty:
                return
            try:
                one(data)
            except OSError as exc:  # a spool file vanished or the disk failed: keep going
                with lock:
                    result.errors.append(f"{data}: {exc.strerror or exc}")

    pool = [
        threading.Thread(target=worker, daemon=True)
        for _ in range(max(1, min(workers, len(entries))))
    ]
    for t in pool:
        t.start()
    for t in pool:
        left = remaining()
        t.join(None if left is None else max(0.0, left))
    if deadline is None or time.monotonic() < deadline:
        spool.sweep_locks(paths)
    result.remaining = len(spool.pending(paths))
    result.seconds = time.monotonic() - start
    return result
