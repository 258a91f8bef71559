"""Detection: what this machine is.

``facts`` is the data; ``probes`` are the only code that reads the machine, through a
``sources.Source`` that is the live machine, a recorder (``--capture``) or a capture
directory (``--replay``). ``overrides`` lets a user (or a test) correct any fact.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path

from bootstrap.host.facts import HostFacts


def _timeout(timeout: float | None) -> float:
    if timeout is not None:
        return timeout
    from bootstrap.host.probes import DEFAULT_TIMEOUT

    raw = os.environ.get("BOOTSTRAP_PROBE_TIMEOUT")
    if not raw:
        return DEFAULT_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not 0 < value <= 3600:  # also false for NaN
        from bootstrap.errors import UserError

        raise UserError(
            f"BOOTSTRAP_PROBE_TIMEOUT={raw!r}: expected seconds between 0 and 3600",
            code="host.bad_timeout",
        )
    return value


def detect(
    source: object = None,
    *,
    timeout: float | None = None,
    facts: Mapping[str, str] | None = None,
    meanwhile: Callable[[], object] | None = None,
) -> HostFacts:
    """Detect this machine (or the one behind ``source``), then apply the overrides:
    ``BOOTSTRAP_CUDA_DRIVER`` / ``BOOTSTRAP_FACT_*`` from the environment, then ``facts``
    (key -> JSON text, as ``bootstrap detect --set key=json``). ``meanwhile`` runs in
    this thread while the probes wait on their commands (see ``probes.run_probes``)."""
    from bootstrap.host.assemble import assemble
    from bootstrap.host.overrides import PREFIX, apply_overrides
    from bootstrap.host.sources import Source

    src = source if isinstance(source, Source) else Source()
    environ = dict(os.environ)
    environ.update({PREFIX + k.upper(): v for k, v in (facts or {}).items()})
    return apply_overrides(assemble(src, _timeout(timeout), meanwhile), environ)


def capture(
    directory: Path, *, timeout: float | None = None, facts: Mapping[str, str] | None = None
) -> HostFacts:
    """Detect live and write everything the probes read into ``directory``."""
    from bootstrap.host.sources import Recorder

    try:
        recorder = Recorder(directory)
    except OSError as exc:
        raise _capture_dir_error(directory, exc) from None
    found = detect(recorder, timeout=timeout, facts=facts)
    try:
        recorder.save()
    except OSError as exc:
        raise _capture_dir_error(directory, exc) from None
    return found


def _capture_dir_error(directory: Path, exc: OSError) -> Exception:
    """`--capture DIR` where no directory can be made or written (under a file, in /proc,
    a name too long, read-only, full): one line, exit 2."""
    from bootstrap.errors import UserError

    reason = exc.strerror or type(exc).__name__
    return UserError(
        f"--capture {directory}: cannot write a capture there ({reason})",
        fix="pass a directory you can write, e.g. `bootstrap detect --capture ./support`",
        code="detect.capture_dir",
    )


def replay(
    directory: Path, *, timeout: float | None = None, facts: Mapping[str, str] | None = None
) -> HostFacts:
    """The facts of the machine captured in ``directory``, on any machine."""
    from bootstrap.errors import ReplayError
    from bootstrap.host.facts import check_facts
    from bootstrap.host.sources import Replay

    source = Replay(directory)
    try:
        found = detect(source, timeout=timeout, facts=facts)
        check_facts(found)
    except (ValueError, TypeError, OverflowError, AttributeError) as exc:
        # A hand-edited capture ("cpu_count": "many") fails where a probe converts it.
        raise ReplayError(
            f"{directory / 'capture.json'}: the captured facts do not fit ({exc})",
            fix="capture again with `bootstrap detect --capture DIR`",
            code="replay.bad_entry",
        ) from None
    return found


__all__ = ["HostFacts", "capture", "detect", "replay"]
