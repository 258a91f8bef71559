"""What a peer hands back is data to check, never to trust.

A remote box, a WSL distro or a container answers the handoff with a few things: its
probe lines, its detection facts, its files' hashes, its TimingReport, and the lines
stage 0 prints. Each is bounded in size where it is read (:data:`REPLY_LIMIT`,
:data:`LINE_LIMIT`), parsed strictly (no ``Infinity``/``NaN``, no deep nesting, an
object where an object is expected), checked field by field against what the host will
do with it, and stripped of terminal control sequences before it reaches our terminal
(an OSC 52 clipboard write or a screen clear in a ``[box]`` line is not output, it is an
attack on the user's terminal). Anything else is a :class:`PeerError`: one line naming
the target and the field, exit 9 (the target cannot hold the environment as it is).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

from bootstrap.errors import EXIT_TARGET_UNFIT, BootstrapError

# Their home is bootstrap.sanitize (the console uses them too); re-exported for peers.
from bootstrap.sanitize import LINE_LIMIT as LINE_LIMIT  # noqa: PLC0414 - re-exported
from bootstrap.sanitize import clean_line as clean_line  # noqa: PLC0414 - re-exported
from bootstrap.sanitize import clean_text as clean_text  # noqa: PLC0414 - re-exported

REPLY_LIMIT = 1 << 20  # one reply (facts, a report, a hash list): 1 MiB is 100x a real one
STRING_LIMIT = 200  # a text field of a report or facts (a version, a name, a code)
MAX_SECONDS = 1e6  # a phase or total longer than 11 days is not a measurement


class PeerError(BootstrapError):
    """A target answered with something outside what the handoff accepts."""

    exit_code = EXIT_TARGET_UNFIT


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def parse_object(text: str, *, target: str, what: str, limit: int = REPLY_LIMIT) -> dict[str, Any]:
    """``text`` as one JSON object, or :class:`PeerError` naming ``what`` and why."""
    if len(text) > limit:
        raise PeerError(
            f"{target}: its {what} is {len(text) / 1e6:.1f} MB, more than the "
            f"{limit / 1e6:.1f} MB a real one could be",
            code="peer.too_large",
        )
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        raise PeerError(
            f"{target}: its {what} is nested too deeply", code="peer.bad_json"
        ) from None
    except ValueError as exc:
        raise PeerError(
            f"{target}: its {what} is not valid JSON ({clean_line(str(exc), 120)})",
            code="peer.bad_json",
        ) from None
    if not isinstance(data, dict):
        raise PeerError(
            f"{target}: its {what} must be a JSON object, found {type(data).__name__}",
            code="peer.bad_json",
        )
    return data


def _fail(target: str, what: str, key: str, expected: str, found: object) -> PeerError:
    try:
        shown = repr(found) if isinstance(found, (str, int, float, bool)) else type(found).__name__
    except ValueError:  # an integer too long to print
        shown = "a number too long to show"
    return PeerError(
        f"{target}: its {what}: {key} must be {expected}, found {clean_line(shown, 80)}",
        code="peer.bad_field",
    )


def check_text(
    value: object, *, target: str, what: str, key: str, pattern: re.Pattern[str] | None = None
) -> str:
    if not isinstance(value, str) or len(value) > STRING_LIMIT:
        raise _fail(target, what, key, f"a string of at most {STRING_LIMIT} characters", value)
    if pattern is not None and not pattern.fullmatch(value):
        raise _fail(target, what, key, f"text matching {pattern.pattern}", value)
    return value


def check_seconds(value: object, *, target: str, what: str, key: str) -> float:
    # Compared before any float(): a 4000-digit integer does not fit in one.
    ok = (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and (isinstance(value, int) or math.isfinite(value))
        and 0 <= value <= MAX_SECONDS
    )
    if not ok:
        raise _fail(target, what, key, f"a number of seconds from 0 to {MAX_SECONDS:g}", value)
    return float(value)  # type: ignore[arg-type]


TARGET_KEY = re.compile(r"(linux|macos|windows)-(x86_64|arm64)-(cpu|cu\d{2,3}|rocm\d+\.\d+)")
VERSION = re.compile(r"[0-9A-Za-z][0-9A-Za-z.+_~-]{0,63}")
ERROR_CODE = re.compile(r"[a-z0-9_]+(\.[a-z0-9_]+)*")
_DISTRO = re.compile(r"[A-Za-z0-9._-]{0,64}")


def check_report(report: Mapping[str, Any], *, target: str) -> dict[str, Any]:
    """The fields of a target's TimingReport the host records, each checked: the rest of
    it is not used. Raises :class:`PeerError`."""
    from bootstrap.report.model import PHASES, RUN_KINDS

    what = "report"
    out: dict[str, Any] = {}
    if report.get("target") is not None:
        out["target"] = check_text(
            report["target"], target=target, what=what, key="target", pattern=TARGET_KEY
        )
    if report.get("uv_version") is not None:
        out["uv_version"] = check_text(
            report["uv_version"], target=target, what=what, key="uv_version", pattern=VERSION
        )
    if report.get("error_code") is not None:
        out["error_code"] = check_text(
            report["error_code"], target=target, what=what, key="error_code", pattern=ERROR_CODE
        )
    run_kind = report.get("run_kind", "first")
    if run_kind not in RUN_KINDS:
        raise _fail(target, what, "run_kind", " or ".join(RUN_KINDS), run_kind)
    out["run_kind"] = run_kind
    for key in ("offline", "network_used", "cache_hit", "bundle_used", "first_run_ran"):
        if key in report:
            if not isinstance(report[key], bool):
                raise _fail(target, what, key, "true or false", report[key])
            out[key] = report[key]
    phases = report.get("phases", {})
    if not isinstance(phases, Mapping):
        raise _fail(target, what, "phases", "an object", phases)
    out["phases"] = {}
    for name, value in phases.items():
        if name not in PHASES:
            raise _fail(target, what, "a phase name", "one of " + ", ".join(PHASES), name)
        if value is not None:
            out["phases"][name] = check_seconds(
                value, target=target, what=what, key=f"phases.{name}"
            )
    for key in ("total_seconds",):
        if report.get(key) is not None:
            check_seconds(report[key], target=target, what=what, key=key)
    return out


def check_facts(data: Mapping[str, Any], *, target: str) -> Any:
    """A target's detection facts as HostFacts, every field checked (an ``arch`` of
    ``../../..`` would become a directory name here). Raises :class:`PeerError`."""
    from bootstrap.host.facts import HostFacts
    from bootstrap.host.facts import check_facts as check

    what = "detection facts"
    _check_strings(data, target=target, what=what, depth=0)
    for key, kinds, expected in _FACT_TYPES:
        if key in data and not (
            isinstance(data[key], kinds) and not (int in kinds and isinstance(data[key], bool))
        ):
            raise _fail(target, what, key, expected, data[key])
    for key in ("gpus", "wsl_distros"):
        if any(not isinstance(item, Mapping) for item in data.get(key) or ()):
            raise _fail(target, what, key, "a list of objects", data[key])
    distro = data.get("distro")
    if isinstance(distro, Mapping):
        for key in ("id", "version"):
            if key in distro:
                check_text(distro[key], target=target, what=what, key=f"distro.{key}",
                           pattern=_DISTRO)  # fmt: skip
        like = distro.get("like", [])
        if not isinstance(like, list) or not all(
            isinstance(x, str) and _DISTRO.fullmatch(x) for x in like
        ):
            raise _fail(target, what, "distro.like", "a list of distribution ids", like)
    try:
        facts = HostFacts.from_dict(dict(data))
        check(facts)
    except KeyError as exc:
        raise PeerError(
            f"{target}: its detection facts lack {exc}", code="peer.bad_field"
        ) from None
    except (TypeError, ValueError, AttributeError, OverflowError) as exc:
        raise PeerError(
            f"{target}: its detection facts: {clean_line(str(exc), 200)}", code="peer.bad_field"
        ) from None
    return facts


_FACT_TYPES: tuple[tuple[str, tuple[type, ...], str], ...] = (
    ("os", (str,), "a string"),
    ("arch", (str,), "a string"),
    ("kernel", (str,), "a string"),
    ("os_version", (str,), "a string"),
    ("cpu_count", (int,), "a whole number"),
    ("memory_bytes", (int,), "a whole number"),
    ("disk_free_bytes", (int,), "a whole number"),
    ("gpus", (list,), "a list"),
    ("wsl_distros", (list,), "a list"),
    ("tools", (dict,), "an object"),
    ("probes", (dict,), "an object"),
    ("overrides", (dict,), "an object"),
    ("distro", (dict, type(None)), "an object or null"),
    ("libc", (dict, type(None)), "an object or null"),
)


def _check_strings(value: object, *, target: str, what: str, depth: int) -> None:
    """Every string inside ``value`` short, every number finite, nesting shallow."""
    if depth > 8:
        raise PeerError(f"{target}: its {what} are nested too deeply", code="peer.bad_json")
    if isinstance(value, str) and len(value) > 4 * STRING_LIMIT:
        raise _fail(target, what, "a text field", f"at most {4 * STRING_LIMIT} characters", value)
    if isinstance(value, float) and not math.isfinite(value):
        raise _fail(target, what, "a number", "finite", value)
    if isinstance(value, Mapping):
        for v in value.values():
            _check_strings(v, target=target, what=what, depth=depth + 1)
    elif isinstance(value, list):
        for v in value:
            _check_strings(v, target=target, what=what, depth=depth + 1)


PROBE_KEYS = {
    "os": re.compile(r"[A-Za-z0-9_.-]{0,40}"),
    "arch": re.compile(r"[A-Za-z0-9_.-]{0,40}"),
    "python": re.compile(r"\d{1,3}(\.\d{1,4}){0,2}"),
    "python_cmd": re.compile(r"python3?"),
    "disk_kb": re.compile(r"\d{0,20}"),
    "libc": re.compile(r"[ -~]{0,200}"),
    **{
        tool: re.compile(r"1")
        for tool in ("rsync", "curl", "wget", "sha256sum", "tar", "unzip", "busybox")
    },
}


def check_probe(probe: Mapping[str, str], *, target: str) -> dict[str, str]:
    """The preflight's ``key=value`` lines, each known key checked; unknown keys dropped."""
    out: dict[str, str] = {}
    for key, value in probe.items():
        pattern = PROBE_KEYS.get(key)
        if pattern is None:
            continue
        if not pattern.fullmatch(value):
            raise _fail(target, "probe", key, f"text matching {pattern.pattern}", value)
        out[key] = value
    return out


def overflowed(target: str, what: str, limit: int = REPLY_LIMIT) -> PeerError:
    return PeerError(
        f"{target}: sent more than {limit / 1e6:.1f} MB for its {what}; a real one is far smaller",
        code="peer.too_large",
    )
