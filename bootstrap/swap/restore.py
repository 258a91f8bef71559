"""`swap restore`: the environments of the old machine, on this one.

Each project is cloned at its recorded branch (fetched and fast-forwarded when already
there; local work is never touched) to its recorded place, or under ``--workspace``.
Then it is set up with its recorded profile and strategy, but planned afresh for this
machine: an Intel-to-ARM or a CPU-to-GPU swap gets this machine's variant, and the
summary says where it differs from the old one. A bundle the file names is used when it
was packed for the target this machine's plan chooses and its SHA-256 is the one the
file records.
Side by side, as `onboard` does, and timed to all green (``run_kind: restore``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bootstrap.files import sha256_file
from bootstrap.onboard.runner import Job
from bootstrap.onboard.session import Result, run
from bootstrap.paths import Paths
from bootstrap.repos.checkout import git
from bootstrap.repos.source import parse
from bootstrap.swap.file import Entry, SwapFile


@dataclass
class Restored:
    result: Result
    notes: list[str]


def destination(entry: Entry, workspace: Path | None) -> Path:
    """Where ``entry`` goes here: under ``--workspace`` by name, else its recorded
    place, which must be a plain directory under the home directory or the default
    workspace (a file from elsewhere cannot aim a clone at ``~/.ssh``)."""
    if workspace is not None:
        return workspace / entry.name
    path = entry.local_path()
    default = Paths.from_env().workspace().resolve()
    home = Path.home().resolve()
    inside_default = path.resolve().is_relative_to(default)
    try:
        below_home = path.resolve().relative_to(home).parts
    except ValueError:
        below_home = path.resolve().parts[1:]
    if not inside_default and any(part.startswith(".") for part in below_home):
        from bootstrap.errors import ConfigError

        raise ConfigError(
            f"the swap file puts {entry.name} in {entry.path}, a hidden directory",
            fix="restore with --workspace DIR to choose where the projects go",
            code="swap.hidden_path",
        )
    return path


def restore(
    swap: SwapFile,
    swap_path: Path,
    *,
    workspace: Path | None,
    workers: int,
    online: bool,
    quiet: bool,
) -> Restored:
    jobs: list[Job] = []
    notes: list[str] = []
    for entry in swap.projects:
        dest = destination(entry, workspace)
        args: list[str] = []
        if entry.profile:
            args += ["--profile", _profile_arg(entry.profile, dest)]
        if entry.strategy:
            args += ["--strategy", entry.strategy]
        if online:
            args.append("--online")
        bundles = _bundle_choice(entry, swap_path, tuple(args), notes) if entry.bundles else None
        # The branch as the server knows it; none recorded (a detached HEAD, a branch
        # never pushed): the server's default branch, and the summary says so.
        source = parse(entry.git, ref=entry.branch)
        jobs.append(Job(entry.name, source, dest, tuple(args), late_args=bundles))
    result = run(
        "swap-restore",
        jobs,
        workspace=workspace or Paths.from_env().workspace(),
        workers=workers,
        run_kind="restore",
        quiet=quiet,
    )
    for entry, outcome in zip(swap.projects, result.outcomes):
        notes += _differences(entry, outcome.path, outcome.report)
    return Restored(result, notes)


def _profile_arg(profile: str, dest: Path) -> str:
    """A name as it is; ``~/...`` expanded; any other path is inside the project."""
    if profile.startswith("~/"):
        return str(Path(profile).expanduser())
    if "/" in profile or profile.endswith(".toml"):
        return str(dest / profile)
    return profile


def _bundle_choice(
    entry: Entry, swap_path: Path, args: tuple[str, ...], notes: list[str]
) -> Callable[[Path], tuple[str, ...]]:
    """Once the checkout is there: plan it here (the variant this machine gets, which
    may not be the old one's), and pass the bundle packed for that target, checked
    against the SHA-256 the file records. No bundle for it: the cache or the index."""

    def choose(dest: Path) -> tuple[str, ...]:
        target = _planned_target(dest, args)
        chosen = next((b for b in entry.bundles if b.target == target), None)
        if chosen is None:
            packed = ", ".join(b.target for b in entry.bundles)
            notes.append(
                f"{entry.name}: planned {target or 'nothing'} here; the file's bundles are "
                f"for {packed}: set up from the cache (or the index with --online)"
            )
            return ()
        path = swap_path.parent / f"{swap_path.stem}.bundles" / chosen.file
        if not path.is_file():
            notes.append(f"{entry.name}: the bundle {chosen.file} is not beside the swap file")
            return ()
        if sha256_file(path) != chosen.sha256:
            from bootstrap.errors import IntegrityError

            raise IntegrityError(
                f"{path}: its SHA-256 is not the one the swap file records for {entry.name}",
                fix="copy the bundles again from the old machine (or export again)",
                code="swap.bundle_mismatch",
            )
        return ("--cache-bundle", str(path))

    return choose


def _planned_target(dest: Path, args: tuple[str, ...]) -> str | None:
    import json
    import sys

    from bootstrap import proc

    plan_args = [a for a in args if a != "--online"]
    argv = [sys.executable, "-m", "bootstrap", "plan", "--project", str(dest), "--json", *plan_args]
    res = proc.run(argv, timeout=120, limit=1 << 20)
    try:
        target = json.loads(res.stdout).get("target") if res.ok else None
    except (ValueError, AttributeError):
        return None
    return target if isinstance(target, str) else None


def _differences(entry: Entry, path: Path, report: dict[str, object] | None) -> list[str]:
    notes = []
    if path.is_dir() and not git(path, "cat-file", "-e", f"{entry.commit}^{{commit}}").ok:
        notes.append(
            f"{entry.name}: the old machine's commit {entry.commit[:12]} is not on "
            f"the server (work left behind?); {path} is at "
            f"{git(path, 'rev-parse', '--short', 'HEAD').stdout.strip()}"
        )
    target = report.get("target") if report else None
    if isinstance(target, str) and entry.target and target != entry.target:
        notes.append(
            f"{entry.name}: {entry.target} on the old machine, {target} here "
            "(planned for this machine)"
        )
    return notes
