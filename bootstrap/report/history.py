"""The local history: one JSON report per line in ``Paths.history``.

Written for every run, whatever the metrics settings. Each report is appended with one
``write`` on a file opened in append mode, so concurrent writers never interleave
lines. A damaged line is skipped and named, never rewritten: the file is the user's.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

from bootstrap.errors import ConfigError
from bootstrap.paths import Paths, make_private
from bootstrap.report.model import TimingReport


@dataclass(frozen=True)
class Loaded:
    reports: list[TimingReport]
    problems: list[str]  # "history.jsonl line 3: not JSON (skipped)"


def append(paths: Paths, report: TimingReport) -> None:
    path = paths.history
    make_private(path.parent)
    data = (report.to_json() + "\n").encode()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def load_all(paths: Paths) -> Loaded:
    path = paths.history
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Loaded([], [])
    reports: list[TimingReport] = []
    problems: list[str] = []
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path.name} line {number}"
        try:
            data = json.loads(line)
        except ValueError:
            problems.append(f"{where}: not JSON (skipped)")
            continue
        try:
            reports.append(TimingReport.from_dict(data, where=where))
        except ConfigError as exc:
            problems.append(f"{exc.message} (skipped)")
    return Loaded(reports, problems)


def load(paths: Paths) -> list[TimingReport]:
    """Every readable report, oldest first."""
    return load_all(paths).reports
