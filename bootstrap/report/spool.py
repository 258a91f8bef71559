"""The spool: reports waiting for a sink, one file per (report, sink).

Layout under ``Paths.spool``::

    <sink key>/<report id>.json   the report and the sink's settings (never a token, and
                                  the URL without credentials: see below)
    <sink key>/<report id>.lock   an OS lock: whoever holds it is sending that entry
    corrupt/                      unreadable entries, moved aside and kept

An entry is written (atomically) *before* its report is sent and removed only after the
sink acknowledged it, so a crash at any point leaves the report spooled, never lost.
The lock is the kernel's: it dies with its holder (kill -9 included), and a second flush
skips entries someone else holds, so no report is sent twice at the same time.

Secrets stay out: a sink URL with userinfo (``https://user:pass@host``) or a secret query
value (``?apikey=...``) is spooled redacted, with ``"sink_redacted": true``; the flush
sends such an entry with the sink of the same key from the current configuration (the
profile's ``[metrics]`` or ``BOOTSTRAP_METRICS_SINKS``), and keeps it spooled, saying
so, while no such sink is configured. Files are 0600, their directories 0700.

The spool is capped (:class:`Limits`: ``BOOTSTRAP_SPOOL_MAX_ENTRIES``, default 100, and
``BOOTSTRAP_SPOOL_MAX_AGE_DAYS``, default 30): a sink that stays down for months must not
leave thousands of files and a flush that takes seconds. :func:`prune` drops entries
older than the age and then the oldest beyond the count, each with its lock file, and
adds them to a counter (``dropped``) that the next report carries (``spool_dropped``)
and resets.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from bootstrap.errors import ConfigError
from bootstrap.oslock import try_lock, unlock
from bootstrap.paths import Paths, atomic_write, make_private
from bootstrap.redact import has_secret, redact_url
from bootstrap.report.config import SinkConfig
from bootstrap.report.model import TimingReport

SPOOL_VERSION = 1
CORRUPT_DIR = "corrupt"
DROPPED_FILE = "dropped"  # how many entries the cap dropped since the last report


@dataclass(frozen=True)
class Limits:
    max_entries: int = 100
    max_age_days: float = 30.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Limits:
        env = os.environ if environ is None else environ
        return cls(
            max_entries=int(_positive(env, "BOOTSTRAP_SPOOL_MAX_ENTRIES", cls.max_entries, True)),
            max_age_days=_positive(env, "BOOTSTRAP_SPOOL_MAX_AGE_DAYS", cls.max_age_days, False),
        )

    def describe(self) -> str:
        return f"{self.max_entries} entries, {self.max_age_days:g} days"


def _positive(env: Mapping[str, str], key: str, default: float, whole: bool) -> float:
    raw = env.get(key, "").strip()
    if not raw:
        return default
    try:
        value = int(raw) if whole else float(raw)
    except ValueError:
        value = -1
    if not (0 < value < 1e9):  # also NaN and inf
        kind = "a whole number" if whole else "a number"
        raise ConfigError(
            f"{key} must be {kind} above 0, not {raw!r}",
            fix=f"unset it (default {default:g}) or set e.g. {key}={default:g}",
            code="report.spool_limits",
        )
    return value


class CorruptEntry(Exception):
    pass


@dataclass(frozen=True)
class Entry:
    path: Path
    sink: SinkConfig
    report: TimingReport
    redacted: bool = False  # the URL's credentials were left out: resolve the sink by key

    @property
    def key(self) -> str:
        return self.path.parent.name


class Claim:
    """The lock on one entry. ``done()`` after the sink acknowledged; ``release()`` to
    leave the entry for a later attempt."""

    def __init__(self, data: Path, fh: IO[bytes]) -> None:
        self.data = data
        self._fh: IO[bytes] | None = fh

    @property
    def lock_path(self) -> Path:
        return self.data.with_suffix(".lock")

    def done(self) -> None:
        # The entry goes first, while the lock is held: anyone who locks the old lock file
        # afterwards finds no entry and leaves it alone.
        with contextlib.suppress(FileNotFoundError):
            self.data.unlink()
        self._close()
        with contextlib.suppress(OSError):  # Windows: someone else has it open; harmless
            self.lock_path.unlink()

    def release(self) -> None:
        self._close()

    def _close(self) -> None:
        if self._fh is not None:
            unlock(self._fh)
            self._fh.close()
            self._fh = None


def entry_path(paths: Paths, sink: SinkConfig, report_id: str) -> Path:
    return paths.spool / sink.key / f"{report_id}.json"


def try_claim(data: Path, *, strict: bool = False) -> Claim | None:
    """Lock ``data``'s entry without waiting; None when another process holds it (or,
    unless ``strict``, when its lock file cannot be opened at all)."""
    lock = data.with_suffix(".lock")
    try:
        make_private(lock.parent, levels=3)  # <sink key>/, spool/, the state dir
        fh = os.fdopen(os.open(lock, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600), "a+b")
    except OSError:
        if strict:
            raise
        return None
    if not try_lock(fh):
        fh.close()
        return None
    return Claim(data, fh)


def add(paths: Paths, sink: SinkConfig, report: TimingReport) -> Claim | None:
    """Spool ``report`` for ``sink`` and hold its lock. None if the entry is held by
    someone else already (it is spooled; they will send it). Raises OSError when the
    spool cannot be written."""
    data = entry_path(paths, sink, report.report_id)
    claim = try_claim(data, strict=True)
    if claim is None:
        return None
    stored = sink.to_dict()
    body: dict[str, Any] = {"spool_version": SPOOL_VERSION, "sink": stored}
    if sink.url and has_secret(sink.url):
        stored["url"] = redact_url(sink.url)
        body["sink_redacted"] = True
    body["report"] = report.to_dict()
    try:
        make_private(data.parent, levels=3)  # <sink key>/, spool/, the state dir
        atomic_write(data, json.dumps(body, separators=(",", ":")).encode(), private=True)
    except BaseException:
        claim.release()
        raise
    return claim


def read(data: Path) -> Entry:
    try:
        body: Any = json.loads(data.read_bytes())
    except (OSError, ValueError) as exc:
        raise CorruptEntry(f"not readable JSON ({type(exc).__name__})") from None
    if not isinstance(body, dict) or body.get("spool_version") != SPOOL_VERSION:
        raise CorruptEntry(f"not a version {SPOOL_VERSION} spool entry")
    try:
        sink = SinkConfig.from_dict(body.get("sink"), where="sink")
        report = TimingReport.from_dict(body.get("report"), where="report")
    except ConfigError as exc:
        raise CorruptEntry(exc.message) from None
    return Entry(data, sink, report, redacted=body.get("sink_redacted") is True)


def pending(paths: Paths) -> list[Path]:
    """Entry files, oldest first."""
    root = paths.spool
    if not root.is_dir():
        return []
    found = [
        p
        for d in root.iterdir()
        if d.is_dir() and d.name != CORRUPT_DIR
        for p in d.glob("*.json")
        if not p.name.startswith(".")
    ]
    return sorted(found, key=_mtime)


def _mtime(p: Path) -> float:
    try:
        return p.stat().st_mtime
    except OSError:
        return 0.0


def move_aside(paths: Paths, data: Path) -> Path:
    """Keep a corrupt entry where it cannot block the spool: ``corrupt/<sink>-<name>``."""
    dest_dir = paths.spool / CORRUPT_DIR
    dest_dir.mkdir(parents=True, exist_ok=True)
    dest = dest_dir / f"{data.parent.name}-{data.name}"
    if dest.exists():
        dest = dest.with_name(f"{dest.stem}-{int(time.time() * 1000)}{dest.suffix}")
    data.replace(dest)
    return dest


def sweep_locks(paths: Paths) -> None:
    """Remove lock files left behind by killed processes (their entry is gone)."""
    root = paths.spool
    if not root.is_dir():
        return
    for lock in root.glob("*/*.lock"):
        if lock.with_suffix(".json").exists():
            continue
        claim = try_claim(lock.with_suffix(".json"))
        if claim is not None:
            claim.done()


def corrupt_files(paths: Paths) -> list[Path]:
    d = paths.spool / CORRUPT_DIR
    return sorted(d.iterdir()) if d.is_dir() else []


def iter_entries(paths: Paths) -> Iterator[Entry | tuple[Path, str]]:
    """Every pending entry, read without locking (for display): an Entry, or (path,
    problem) for one that cannot be read."""
    for data in pending(paths):
        try:
            yield read(data)
        except CorruptEntry as exc:
            yield data, str(exc)


def prune(paths: Paths, limits: Limits, *, now: float | None = None) -> int:
    """Drop entries older than ``limits.max_age_days``, then the oldest beyond
    ``limits.max_entries``, each with its lock file; entries another process holds are
    left alone. Adds the number dropped to the counter and returns it."""
    entries = pending(paths)
    cutoff = (time.time() if now is None else now) - limits.max_age_days * 86400
    too_old = [p for p in entries if _mtime(p) < cutoff]
    rest = [p for p in entries if _mtime(p) >= cutoff]
    over = rest[: max(0, len(rest) - limits.max_entries)]  # oldest first
    dropped = 0
    for data in too_old + over:
        claim = try_claim(data)
        if claim is None:
            continue
        try:
            read(data)
        except CorruptEntry:
            # Not a report (a stray or damaged file): kept aside, and not counted as a
            # dropped report in the fleet's metric.
            with contextlib.suppress(OSError):
                move_aside(paths, data)
            claim.done()
            continue
        if data.exists():
            dropped += 1
        claim.done()  # the entry, then its lock file
    if dropped:
        _add_dropped(paths, dropped)
    return dropped


def _add_dropped(paths: Paths, n: int) -> None:
    path = paths.spool / DROPPED_FILE
    with contextlib.suppress(OSError):
        make_private(path.parent, levels=2)
        atomic_write(path, str(dropped_count(paths) + n).encode(), private=True)


def dropped_count(paths: Paths) -> int:
    try:
        return max(0, int((paths.spool / DROPPED_FILE).read_text(encoding="ascii").strip()))
    except (OSError, ValueError):
        return 0


def take_dropped(paths: Paths) -> int:
    """The number of entries dropped since the last report, and reset it (for the
    report being made now)."""
    n = dropped_count(paths)
    if n:
        with contextlib.suppress(OSError):
            (paths.spool / DROPPED_FILE).unlink()
    return n
