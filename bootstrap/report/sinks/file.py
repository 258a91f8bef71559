"""``file``: a JSON Lines file to append to (path ends in .jsonl/.ndjson), or a
directory with one ``<report_id>.json`` per report. Either way a report already there is
not written twice."""

from __future__ import annotations

import os
from pathlib import Path

from bootstrap.paths import atomic_write
from bootstrap.report.config import SinkConfig
from bootstrap.report.model import TimingReport
from bootstrap.report.sinks.base import SinkError

LINE_SUFFIXES = (".jsonl", ".ndjson")


class FileSink:
    def __init__(self, config: SinkConfig) -> None:
        self.config = config
        self.path = Path(os.path.expandvars(config.path or "")).expanduser()

    def send(self, report: TimingReport) -> None:
        try:
            if self.path.suffix in LINE_SUFFIXES:
                self._append(report)
            else:
                atomic_write(self.path / f"{report.report_id}.json", report.to_json().encode())
        except OSError as exc:
            raise SinkError(
                f"{self.config.label}: {exc.strerror or exc}", code="report.sink_io"
            ) from None

    def _append(self, report: TimingReport) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        needle = f'"report_id":"{report.report_id}"'.encode()
        try:
            if needle in self.path.read_bytes():
                return  # delivered before an earlier ack was lost
        except FileNotFoundError:
            pass
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, (report.to_json() + "\n").encode())
            os.fsync(fd)
        finally:
            os.close(fd)
