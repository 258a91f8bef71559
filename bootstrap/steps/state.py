"""What a run has done so far, written atomically after every step.

A re-run reads it to resume after a failure (finished steps whose inputs have not changed
are skipped) and to become a fast no-op after a success. The record holds fingerprints
(hashes of the inputs a step depends on), never secrets or raw host names.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bootstrap.paths import Paths, atomic_write, make_private

if TYPE_CHECKING:
    from bootstrap.plan.model import Plan

STATE_VERSION = 1


def fingerprint(*parts: object) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(json.dumps(part, sort_keys=True, default=str).encode())
        h.update(b"\0")
    return h.hexdigest()[:32]


SMALL = 1 << 20


def file_digest(path: Path) -> str:
    """The SHA-256 of a small file (a lock, a profile); for a large one (the uv binary,
    whose integrity uv's own install marker guards) its size, mtime and inode, so the
    no-op check never reads tens of megabytes. "absent" for no file."""
    try:
        st = path.stat()
        if st.st_size > SMALL:
            return f"stat:{st.st_size}:{st.st_mtime_ns}:{st.st_ino}"
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return "absent"


def installed_signature(venv: Path) -> str:
    """What an environment holds, read in about a millisecond: the names in its
    site-packages (but ``__pycache__``) and, for each installed distribution (a
    ``*.dist-info``), the size, mtime and inode of its ``RECORD``, which every installer
    writes last. A site-packages emptied in place, a distribution removed, replaced or
    added by hand all change it; the no-op check compares it with the last success's,
    and anything else runs the steps, where uv itself checks the environment."""
    parts: list[str] = []
    for site in _site_packages(venv):
        try:
            entries = sorted(site.iterdir())
        except OSError:
            continue
        parts.append(str(site))
        for entry in entries:
            if entry.name == "__pycache__":
                continue
            stamp = ""
            if entry.name.endswith(".dist-info"):
                try:
                    st = (entry / "RECORD").stat()
                    stamp = f":{st.st_size}:{st.st_mtime_ns}:{st.st_ino}"
                except OSError:
                    stamp = ":no-record"
            parts.append(entry.name + stamp)
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]


def _site_packages(venv: Path) -> list[Path]:
    """``lib/pythonX.Y/site-packages`` (POSIX) or ``Lib/site-packages`` (Windows)."""
    found = [venv / "Lib" / "site-packages"] if os.name == "nt" else []
    with contextlib.suppress(OSError):
        found += [d / "site-packages" for d in sorted((venv / "lib").iterdir())]
    return [p for p in found if p.is_dir()]


def selection(plan: Plan, project: Path, venv: Path, uv: Path | None = None) -> dict[str, Any]:
    """The last plan's choice for an environment, as its run record keeps it: the lock
    and its selection (the variant's extras and groups, uv's switches), the variant's
    accelerator, where the project and its environment are, whether uv may use the
    network, and the uv that synced it. Read back by ``bootstrap.policy.lastplan`` (it
    cannot import this layer)."""
    return {
        **({"uv": str(uv.absolute())} if uv is not None else {}),
        "lock": plan.lock.to_dict(),
        "variant": plan.target.rsplit("-", 1)[-1],
        "target": plan.target,
        "profile": plan.profile,
        "profile_path": plan.profile_path,  # `swap export` names the profile from it
        "project": str(project.resolve()),
        "venv": str(venv.absolute()),
        "network": plan.network,
    }


@dataclass
class RunState:
    path: Path
    steps: dict[str, dict[str, Any]] = field(default_factory=dict)
    # The fast no-op check: the files (and values) the last success depended on.
    success: dict[str, Any] | None = None
    # Runs since the last success (failed ones, and the one in progress): {"count": N,
    # "since": wall-clock start of the first of them}. None after a success.
    attempts: dict[str, Any] | None = None

    @classmethod
    def load(cls, paths: Paths, key: str) -> RunState:
        path = paths.runs / f"{key}.json"
        try:
            data = json.loads(path.read_text())
        except (FileNotFoundError, ValueError):
            # A missing or unreadable record only costs a full run, never a failure.
            return cls(path)
        if not isinstance(data, dict) or data.get("version") != STATE_VERSION:
            return cls(path)
        attempts = data.get("attempts")
        if not (
            isinstance(attempts, dict)
            and isinstance(attempts.get("count"), int)
            and isinstance(attempts.get("since"), (int, float))
        ):
            attempts = None
        return cls(path, dict(data.get("steps", {})), data.get("success"), attempts)

    def begin_attempt(self, started: float) -> tuple[int, float]:
        """Count this run among the attempts since the last success: (its number, the
        wall-clock start of the first of them). Saved at once, so a run that is killed
        still counts."""
        prior = self.attempts
        count = int(prior["count"]) + 1 if prior else 1
        since = min(float(prior["since"]), started) if prior else started
        self.attempts = {"count": count, "since": since}
        self.save()
        return count, since

    def done(self, step: str, fp: str) -> bool:
        rec = self.steps.get(step)
        return bool(rec and rec.get("status") == "done" and rec.get("fingerprint") == fp)

    def record(self, step: str, status: str, fp: str, **extra: Any) -> None:
        self.steps[step] = {"status": status, "fingerprint": fp, "at": time.time(), **extra}
        if status != "done":
            self.success = None
        self.save()

    def record_success(
        self,
        inputs: dict[str, Any],
        report: dict[str, Any] | None = None,
        selection: dict[str, Any] | None = None,
        next_commands: list[str] | None = None,
    ) -> None:
        """``report``: what a no-op re-run needs to write its own report without
        detecting again (profile, target, strategy, the hashed host summary...).
        ``selection``: what the plan chose for the environment (:func:`selection`), which
        `bootstrap run` runs with and `bootstrap doctor` compares the environment to.
        ``next_commands``: the closing lines the no-op prints again."""
        self.success = {"inputs": inputs, "at": time.time()}
        if report is not None:
            self.success["report"] = report
        if selection is not None:
            self.success["selection"] = selection
        if next_commands:
            self.success["next"] = next_commands
        self.attempts = None
        self.save()

    def save(self) -> None:
        body: dict[str, Any] = {
            "version": STATE_VERSION,
            "steps": self.steps,
            "success": self.success,
        }
        if self.attempts is not None:
            body["attempts"] = self.attempts
        make_private(self.path.parent, levels=2)  # runs/ and the state dir
        atomic_write(self.path, json.dumps(body, indent=1, sort_keys=True).encode(), private=True)
