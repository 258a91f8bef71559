"""The TimingReport (schema version 2): what one `bootstrap up` took, and how it ended.

The JSON form is a contract: ``timing-report-v2.schema.json`` beside this module is the
schema, ``tests/report`` validates generated reports against it, and docs/report.md
lists every field and the mapping from version 1 (:func:`upgrade`: a version 1
report in the history or the spool is read as version 2). Identity is hashes only:
``host_summary`` never puts a hostname, username or path into the report, and errors
are stable codes, never messages.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import hmac
import json
import math
import re
import socket
import uuid
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bootstrap.errors import BootstrapError, ConfigError
from bootstrap.timing import PHASES as TIMING_PHASES

if TYPE_CHECKING:
    from bootstrap.host.facts import HostFacts
    from bootstrap.paths import Paths

SCHEMA_VERSION = 2
SCHEMA_FILE = Path(__file__).with_name("timing-report-v2.schema.json")
# `handoff`: reaching, checking and filling the target of a non-native strategy; the
# `stage0_*` parts and `startup`: see bootstrap.timing.
PHASES = TIMING_PHASES
OUTCOMES = ("success", "failure")
# first: a new environment whose first run ran in this run; resync: an environment that
# had a success before was (re)synced or its first run re-ran for a new lock; noop: every
# step found its work done; refresh: `--refresh` on an environment that had a success.
# onboard / restore: `bootstrap onboard` / `bootstrap swap restore` over several projects
# (each project's own run has its own report); their time is the time to all green.
RUN_KINDS = ("first", "resync", "noop", "refresh", "onboard", "restore")
ERROR_CODE_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")
LOCK_HASH_RE = re.compile(r"^[0-9a-f]{16}$")
# Memory is reported as a coarse bucket: exact sizes help fingerprint a machine.
MEMORY_BUCKETS_GIB = (4, 8, 16, 32, 64, 128, 256)


@dataclass(frozen=True)
class TimingReport:
    report_id: str  # UUID4; also the idempotency key every sink uses
    created_at: str  # UTC, RFC 3339 ("2026-11-24T10:36:21.123456Z")
    tool_version: str
    uv_version: str | None
    profile: str
    target: str | None  # "linux-x86_64-cu126"; None when planning failed
    strategy: str | None
    host: dict[str, Any]  # see host_summary()
    phases: dict[str, float | None]  # seconds per phase; phases that did not run are absent
    total_seconds: float  # from stage 0's start to the end of the run
    outcome: str  # "success" | "failure"
    error_code: str | None = None  # "sync.offline_miss"; None on success
    total_from: str = "process"  # "stage0" (install.sh's clock) or "process"
    offline: bool = False  # the run was not allowed to use the network
    network_used: bool = False  # something was fetched over the network
    cache_hit: bool = False  # the local cache held everything the sync needed
    bundle_used: bool = False  # a cache bundle was imported
    budget_seconds: float | None = None  # the profile's time-to-first-run budget
    over_budget: bool = False
    run_kind: str = "first"  # one of RUN_KINDS
    first_run_ran: bool = False  # the first-run command ran in this run
    # total_seconds when this run is a time to first successful run (run_kind "first",
    # the command ran, success); else None. What p50/p90 and the metrics aggregate.
    time_to_first_run_seconds: float | None = None
    upgraded_from: int | None = None  # 1: read from a version 1 report (see upgrade())
    # Spooled reports of earlier runs dropped (oldest first) to keep the spool under its
    # cap since the previous report: they never reached their sink.
    spool_dropped: int = 0
    # The first 16 hex digits of the SHA-256 of the lock file the run synced from (None
    # when no lock was reached): lets the fleet view tell one lock's runs from the next.
    lock_hash: str | None = None
    # Runs of this profile here since its last success, this one included (1: nothing
    # failed before it), and the seconds from the first of them to the end of this run
    # (None when this is the first). Absent in reports of older versions: 1 and None.
    attempts: int = 1
    since_first_attempt_seconds: float | None = None
    # Runs over several projects (run_kind onboard or restore): how many, how many ended
    # green, and the seconds from the start to the last one green (None unless all were).
    projects: int | None = None
    projects_green: int | None = None
    all_green_seconds: float | None = None
    schema_version: int = SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"schema_version": self.schema_version}
        for f in fields(self):
            if f.name != "schema_version":
                out[f.name] = getattr(self, f.name)
        out["host"] = dict(self.host)
        out["phases"] = dict(self.phases)
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"), sort_keys=False)

    @classmethod
    def from_dict(cls, d: Any, *, where: str = "report") -> TimingReport:
        """Read a report back, checking every field; errors name ``where`` and the key."""
        if not isinstance(d, Mapping):
            raise _bad(where, "the report", "a JSON object", d)
        version = d.get("schema_version")
        if version == 1:
            d = upgrade(d)
            version = d["schema_version"]
        if version != SCHEMA_VERSION:
            raise ConfigError(
                f"{where}: schema_version is {version!r}; this version reads {SCHEMA_VERSION}",
                fix="upgrade bootstrap to read newer reports",
                code="report.schema_version",
            )
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ConfigError(
                f"{where}: unknown field(s) {', '.join(unknown)}", code="report.unknown_field"
            )
        kwargs: dict[str, Any] = {}
        for f in fields(cls):
            if f.name in d:
                kwargs[f.name] = d[f.name]
            elif f.default is MISSING:
                raise ConfigError(f"{where}: missing field `{f.name}`", code="report.missing")
        _check(kwargs, where)
        return cls(**kwargs)


def _bad(where: str, key: str, expected: str, found: Any) -> ConfigError:
    shown = type(found).__name__ if not isinstance(found, (str, int, float)) else repr(found)
    return ConfigError(f"{where}: {key} must be {expected}, found {shown}", code="report.bad_field")


def _is_num(v: Any) -> bool:
    # Finite only: Infinity and NaN are not JSON, and a history line holding them breaks
    # every reader after it.
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return False
    return isinstance(v, int) or math.isfinite(v)


def _check(k: dict[str, Any], where: str) -> None:
    for name in ("report_id", "created_at", "tool_version", "profile", "outcome", "total_from"):
        if name in k and not isinstance(k[name], str):
            raise _bad(where, f"`{name}`", "a string", k[name])
    for name in ("uv_version", "target", "strategy", "error_code"):
        if k.get(name) is not None and not isinstance(k[name], str):
            raise _bad(where, f"`{name}`", "a string or null", k[name])
    for name in (
        "offline",
        "network_used",
        "cache_hit",
        "bundle_used",
        "over_budget",
        "first_run_ran",
    ):
        if name in k and not isinstance(k[name], bool):
            raise _bad(where, f"`{name}`", "true or false", k[name])
    if k.get("run_kind", "first") not in RUN_KINDS:
        raise _bad(where, "`run_kind`", " or ".join(RUN_KINDS), k["run_kind"])
    ttfr = k.get("time_to_first_run_seconds")
    if ttfr is not None and not (_is_num(ttfr) and ttfr >= 0):
        raise _bad(where, "`time_to_first_run_seconds`", "a number >= 0 or null", ttfr)
    if k.get("upgraded_from") not in (None, 1):
        raise _bad(where, "`upgraded_from`", "1 or null", k["upgraded_from"])
    try:
        uuid.UUID(k["report_id"], version=4)
    except ValueError:
        raise _bad(where, "`report_id`", "a UUID", k["report_id"]) from None
    if k["outcome"] not in OUTCOMES:
        raise _bad(where, "`outcome`", " or ".join(OUTCOMES), k["outcome"])
    if k.get("error_code") is not None and not ERROR_CODE_RE.match(k["error_code"]):
        raise _bad(where, "`error_code`", "a dotted lower-case code", k["error_code"])
    lock_hash = k.get("lock_hash")
    if lock_hash is not None and not (isinstance(lock_hash, str) and LOCK_HASH_RE.match(lock_hash)):
        raise _bad(where, "`lock_hash`", "16 lower-case hex digits or null", lock_hash)
    dropped = k.get("spool_dropped", 0)
    if isinstance(dropped, bool) or not isinstance(dropped, int) or dropped < 0:
        raise _bad(where, "`spool_dropped`", "a whole number >= 0", dropped)
    attempts = k.get("attempts", 1)
    if isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 1:
        raise _bad(where, "`attempts`", "a whole number >= 1", attempts)
    since = k.get("since_first_attempt_seconds")
    if since is not None and not (_is_num(since) and since >= 0):
        raise _bad(where, "`since_first_attempt_seconds`", "a number >= 0 or null", since)
    for name in ("projects", "projects_green"):
        value = k.get(name)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value < 0
        ):
            raise _bad(where, f"`{name}`", "a whole number >= 0 or null", value)
    green = k.get("all_green_seconds")
    if green is not None and not (_is_num(green) and green >= 0):
        raise _bad(where, "`all_green_seconds`", "a number >= 0 or null", green)
    if not _is_num(k["total_seconds"]) or k["total_seconds"] < 0:
        raise _bad(where, "`total_seconds`", "a number >= 0", k["total_seconds"])
    if k.get("budget_seconds") is not None and not _is_num(k["budget_seconds"]):
        raise _bad(where, "`budget_seconds`", "a number or null", k["budget_seconds"])
    if not isinstance(k["host"], Mapping):
        raise _bad(where, "`host`", "an object", k["host"])
    phases = k["phases"]
    if not isinstance(phases, Mapping):
        raise _bad(where, "`phases`", "an object", phases)
    for name, value in phases.items():
        if name not in PHASES:
            raise _bad(where, f"phase {name!r}", "one of " + ", ".join(PHASES), name)
        if value is not None and not (_is_num(value) and value >= 0):
            raise _bad(where, f"`phases.{name}`", "a number >= 0 or null", value)
    try:
        parse_time(k["created_at"])
    except ValueError:
        raise _bad(where, "`created_at`", "an RFC 3339 UTC time", k["created_at"]) from None


def upgrade(d: Mapping[str, Any]) -> dict[str, Any]:
    """A version 1 report as version 2 (docs/report.md has the table). Version 1 did not
    tell a first run from a re-run, and recorded every run that was not the fast no-op
    as the time to a first successful run; the upgrade keeps exactly that meaning
    (run_kind "first", time_to_first_run_seconds = total_seconds on success) and marks
    the report ``upgraded_from: 1`` so that a query can leave such reports out."""
    out = dict(d)
    out["schema_version"] = SCHEMA_VERSION
    phases = out.get("phases")
    success = out.get("outcome") == "success"
    out.setdefault("run_kind", "first")
    out.setdefault(
        "first_run_ran", isinstance(phases, Mapping) and phases.get("first_run") is not None
    )
    out.setdefault("time_to_first_run_seconds", out.get("total_seconds") if success else None)
    out["upgraded_from"] = 1
    return out


def parse_time(text: str) -> dt.datetime:
    """``created_at`` back to an aware datetime (3.9's fromisoformat lacks ``Z``)."""
    if not text.endswith("Z"):
        raise ValueError(text)
    return dt.datetime.fromisoformat(text[:-1]).replace(tzinfo=dt.timezone.utc)


def now_rfc3339() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def new_report(
    *,
    profile: str,
    host: Mapping[str, Any],
    phases: Mapping[str, float | None],
    total_seconds: float,
    error: BaseException | None = None,
    error_code: str | None = None,
    target: str | None = None,
    strategy: str | None = None,
    uv_version: str | None = None,
    total_from: str = "process",
    offline: bool = False,
    network_used: bool = False,
    cache_hit: bool = False,
    bundle_used: bool = False,
    budget_seconds: float | None = None,
    run_kind: str = "first",
    first_run_ran: bool = False,
    spool_dropped: int = 0,
    lock_hash: str | None = None,
    attempts: int = 1,
    since_first_attempt_seconds: float | None = None,
) -> TimingReport:
    """Build a report for a run that just ended. ``outcome`` is "failure" when ``error``
    (or ``error_code``) is given; the code comes from :func:`error_code_for`. Only a
    successful ``first`` run whose first-run command ran gets a time to first run."""
    from bootstrap import __version__

    code = error_code if error_code is not None else error_code_for(error)
    if code is not None and not ERROR_CODE_RE.match(code):
        code = error_code_for(None, fallback=code)
    total = round(max(0.0, float(total_seconds)), 4)
    return TimingReport(
        report_id=str(uuid.uuid4()),
        created_at=now_rfc3339(),
        tool_version=__version__,
        uv_version=uv_version,
        profile=profile,
        target=target,
        strategy=strategy,
        host=dict(host),
        # Only the schema's phases: a timer's extra bookkeeping spans stay out of the contract.
        phases={
            p: (None if v is None else round(max(0.0, float(v)), 4))
            for p, v in phases.items()
            if p in PHASES
        },
        total_seconds=total,
        outcome="failure" if code is not None else "success",
        error_code=code,
        total_from=total_from,
        offline=offline,
        network_used=network_used,
        cache_hit=cache_hit,
        bundle_used=bundle_used,
        budget_seconds=budget_seconds,
        over_budget=budget_seconds is not None and total > budget_seconds,
        run_kind=run_kind if run_kind in RUN_KINDS else "first",
        first_run_ran=first_run_ran,
        time_to_first_run_seconds=(
            total if code is None and run_kind == "first" and first_run_ran else None
        ),
        spool_dropped=spool_dropped,
        lock_hash=lock_hash if lock_hash and LOCK_HASH_RE.match(lock_hash) else None,
        attempts=max(1, int(attempts)),
        since_first_attempt_seconds=(
            None
            if since_first_attempt_seconds is None
            else round(max(0.0, float(since_first_attempt_seconds)), 4)
        ),
    )


def lock_hash_of(path: Path) -> str | None:
    """The ``lock_hash`` of a lock file: the first 16 hex digits of its SHA-256, or None
    when it cannot be read (the run failed before a lock existed)."""
    from bootstrap.files import sha256_file

    try:
        return sha256_file(path)[:16]
    except OSError:
        return None


def error_code_for(error: BaseException | None, *, fallback: str | None = None) -> str | None:
    """A stable, value-free code for an error: the error's own dotted ``code`` when it
    has one ("sync.offline_miss"), else its class name in snake case under ``error.``
    (expected errors) or ``internal.`` (bugs). Never the message: it holds user values."""
    if error is None and fallback is None:
        return None
    if isinstance(error, BootstrapError) and ERROR_CODE_RE.match(error.code):
        return error.code
    name = type(error).__name__ if error is not None else (fallback or "unknown")
    snake = re.sub(r"[^a-z0-9_]+", "_", re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()).strip("_")
    prefix = "error" if error is None or isinstance(error, BootstrapError) else "internal"
    return f"{prefix}.{snake or 'unknown'}"


# -- the host summary ------------------------------------------------------------------


def hash_id(salt: str, kind: str, value: str) -> str:
    """HMAC-SHA256 of ``value`` keyed by the salt: stable per organisation, and not
    reversible by hashing a list of likely hostnames without the salt."""
    msg = f"bootstrap.{kind}.v1\0{value}".encode()
    return hmac.new(salt.encode(), msg, hashlib.sha256).hexdigest()


def memory_bucket(memory_bytes: int) -> str:
    gib = memory_bytes / 2**30
    if memory_bytes <= 0:
        return "unknown"
    low = 0
    for edge in MEMORY_BUCKETS_GIB:
        if gib < edge:
            return f"{low}-{edge}GiB"
        low = edge
    return f"{low}+GiB"


def host_summary(
    facts: HostFacts,
    salt: str,
    *,
    hostname: str | None = None,
    username: str | None = None,
) -> dict[str, Any]:
    """What a team may know about the machine: platform, sizes in buckets, the GPU
    vendor and CUDA version, and salted hashes of the host and user names."""
    if hostname is None:
        hostname = socket.gethostname()
    if username is None:
        try:
            username = getpass.getuser()
        except Exception:  # no login name (containers with an unknown uid)
            username = ""
    nvidia = facts.nvidia
    gpu = nvidia or (facts.gpus[0] if facts.gpus else None)
    return {
        "os": facts.os,
        "os_version": facts.os_version,
        "arch": facts.arch,
        "distro": facts.distro.id if facts.distro else None,
        "libc": facts.libc.family if facts.libc else None,
        "wsl": facts.wsl,
        "container": facts.container,
        "ci": facts.ci,
        "cpu_count": facts.cpu_count,
        "memory": memory_bucket(facts.memory_bytes),
        "gpu_vendor": gpu.vendor if gpu else None,
        "cuda_version": nvidia.cuda_version if nvidia else None,
        "host_id": hash_id(salt, "host", hostname.lower()),
        "user_id": hash_id(salt, "user", f"{hostname.lower()}\0{username}"),
    }


def resolve_salt(salt: str, paths: Paths) -> str:
    """The organisation's salt, or (when none is configured) a random one kept in the
    state directory: ids then stay stable on this machine and mean nothing elsewhere."""
    if salt:
        return salt
    from bootstrap.paths import atomic_write

    local = paths.state / "report-salt"
    try:
        existing = local.read_text(encoding="utf-8").strip()
    except OSError:
        existing = ""
    if existing:
        return existing
    fresh = uuid.uuid4().hex + uuid.uuid4().hex
    atomic_write(local, fresh.encode())
    return fresh


def load_schema() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return data


__all__ = [
    "PHASES",
    "RUN_KINDS",
    "SCHEMA_FILE",
    "SCHEMA_VERSION",
    "TimingReport",
    "error_code_for",
    "hash_id",
    "host_summary",
    "load_schema",
    "lock_hash_of",
    "memory_bucket",
    "new_report",
    "resolve_salt",
    "upgrade",
]
