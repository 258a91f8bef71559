"""A finding: what is wrong, where, and the command or edit that fixes it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Finding:
    check: str  # "uv-lock", "target-locks", "hashes", "uv-pin", "global-installs", ...
    message: str  # one line: what is wrong
    fix: str  # the command or edit that fixes it
    file: str | None = None  # relative to the repository when inside it
    line: int | None = None
    details: tuple[str, ...] = ()  # extra lines: a per-package diff, a list of names

    @property
    def where(self) -> str:
        if self.file is None:
            return ""
        return f"{self.file}:{self.line}" if self.line else self.file

    def to_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "file": self.file,
            "line": self.line,
            "message": self.message,
            "fix": self.fix,
            "details": list(self.details),
        }


@dataclass(frozen=True)
class CheckResult:
    name: str  # "a" .. "f"
    title: str
    findings: tuple[Finding, ...] = ()
    skipped: str | None = None  # why this check did not run (then it neither passes nor fails)
    notes: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.findings

    def to_dict(self) -> dict[str, Any]:
        return {
            "check": self.name,
            "title": self.title,
            "ok": self.ok,
            "skipped": self.skipped,
            "notes": list(self.notes),
            "findings": [f.to_dict() for f in self.findings],
        }
