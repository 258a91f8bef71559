"""Detection: what this machine is.

``facts`` is the data; ``probes`` are the only code that reads the machine, through a
``sources.Source`` that is the live machine, a recorder (``--capture``) or a capture
directory (``--replay``). ``overrides`` lets a user (or a test) correct any fact.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from bootstrap.host.facts import HostFacts


def _timeout(timeout: float | None) -> float:
    if timeout is not None:
        return timeout
    from bootstrap.host.probes import DEFAULT_TIMEOUT

    raw = os.environ.get("BOOTSTRAP_PROBE_TIMEOUT")
    try:
        return float(raw) if raw else DEFAULT_TIMEOUT
    except ValueError:
        return DEFAULT_TIMEOUT


def detect(
    source: object = None,
    *,
    timeout: float | None = None,
    facts: Mapping[str, str] | None = None,
) -> HostFacts:
    """Detect this machine (or the one behind ``source``), then apply the overrides:
    ``BOOTSTRAP_CUDA_DRIVER`` / ``BOOTSTRAP_FACT_*`` from the environment, then ``facts``
    (key -> JSON text, as ``bootstrap detect --set key=json``)."""
    from bootstrap.host.assemble import assemble
    from bootstrap.host.overrides import PREFIX, apply_overrides
    from bootstrap.host.sources import Source

    src = source if isinstance(source, Source) else Source()
    environ = dict(os.environ)
    environ.update({PREFIX + k.upper(): v for k, v in (facts or {}).items()})
    return apply_overrides(assemble(src, _timeout(timeout)), environ)


def capture(
    directory: Path, *, timeout: float | None = None, facts: Mapping[str, str] | None = None
) -> HostFacts:
    """Detect live and write everything the probes read into ``directory``."""
    from bootstrap.host.sources import Recorder

    recorder = Recorder(directory)
    found = detect(recorder, timeout=timeout, facts=facts)
    recorder.save()
    return found


def replay(
    directory: Path, *, timeout: float | None = None, facts: Mapping[str, str] | None = None
) -> HostFacts:
    """The facts of the machine captured in ``directory``, on any machine."""
    from bootstrap.host.sources import Replay

    return detect(Replay(directory), timeout=timeout, facts=facts)


__all__ = ["HostFacts", "capture", "detect", "replay"]
