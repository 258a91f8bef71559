"""`swap export`: the guard first, then the file (and, asked for, a bundle per project).

Before anything is written, every project this machine set up is checked for work no
remote has (:mod:`bootstrap.repos.guard`): uncommitted or untracked files, stashes,
branches ahead of their upstream or with none, a detached HEAD with commits of its own,
and a project that is not in git or has no remote. Any of them stops the export (exit
6, the list and the commands that save each), unless ``--allow-unpushed``, which writes
the list into the file so that the next machine says what was left behind.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bootstrap import proc
from bootstrap.errors import ActionRequired, UserError
from bootstrap.files import sha256_file
from bootstrap.paths import Paths, atomic_write
from bootstrap.repos.checkout import git
from bootstrap.repos.guard import Finding, unpushed_work
from bootstrap.repos.source import parse
from bootstrap.swap.file import Bundle, Entry, SwapFile, home_relative
from bootstrap.swap.machine import Environment, environments, python_version

PACK_TIMEOUT = 3600.0


@dataclass(frozen=True)
class Exported:
    file: SwapFile
    path: Path
    skipped: tuple[str, ...]  # environments whose project is gone from this machine


def export(
    paths: Paths,
    out: Path,
    *,
    allow_unpushed: bool = False,
    bundle_targets: Sequence[str] | None = None,
    say: Callable[[str], None] = lambda _: None,
) -> Exported:
    """``bundle_targets``: None, no bundles; empty, one per project for the target its
    own plan chose here; else those targets (the new machine's)."""
    envs = environments(paths)
    if not envs:
        raise UserError(
            "this machine has no environment set up by `bootstrap up` to export",
            fix="set up the projects first (bootstrap up --project DIR, bootstrap onboard)",
            code="swap.nothing",
        )
    present = [e for e in envs if (e.project / "pyproject.toml").is_file()]
    skipped = tuple(str(e.project) for e in envs if e not in present)
    findings = {e.project: _findings(e.project) for e in present}
    blocked = {p: f for p, f in findings.items() if f}
    if blocked and not allow_unpushed:
        raise _unpushed_error(blocked)
    # With --allow-unpushed, a project no remote has cannot be cloned on the next
    # machine: it is left out of the file and named.
    kept = [e for e in present if git(e.project, "remote", "get-url", "origin").ok]
    skipped += tuple(f"{e.project} (no remote to clone it from)" for e in present if e not in kept)
    names = _names(kept)
    entries = []
    for env in kept:
        entry = _entry(env, names[env], findings[env.project])
        if bundle_targets is not None:
            targets = list(bundle_targets) or [t for t in (env.target,) if t]
            entry = _with_bundles(entry, env, targets, out, say)
        entries.append(entry)
    from bootstrap import __version__
    from bootstrap.report.model import now_rfc3339

    if not entries:
        raise UserError(
            "no project here can be cloned elsewhere: none has a remote",
            fix="push each project to a git server, then export again",
            code="swap.nothing",
        )
    swap = SwapFile(tuple(entries), now_rfc3339(), __version__, _source(kept))
    atomic_write(out, swap.to_json().encode())
    return Exported(swap, out, skipped)


def _findings(project: Path) -> list[Finding]:
    if not git(project, "rev-parse", "--git-dir").ok:
        detail = f"{project} is not a git checkout: its files exist only here"
        fix = "git init && git add -A && git commit -m 'first' && git remote add origin URL"
        return [Finding("not-in-git", detail, fix + " && git push -u origin HEAD")]
    origin = git(project, "remote", "get-url", "origin")
    found = []
    if not origin.ok:
        found.append(
            Finding(
                "no-remote",
                "no remote named origin: nothing here is anywhere else",
                "git remote add origin URL && git push -u origin HEAD",
            )
        )
    return found + unpushed_work(project)


def _unpushed_error(blocked: dict[Path, list[Finding]]) -> ActionRequired:
    lines = []
    for project, found in blocked.items():
        lines.append(f"{project}:")
        for f in found:
            lines.append(f"  {f.kind}: {f.detail}")
            lines.append(f"    save it: cd {project} && {f.fix}")
    count = sum(len(f) for f in blocked.values())
    return ActionRequired(
        f"{count} piece(s) of work in {len(blocked)} project(s) exist only on this machine:\n"
        + "\n".join(lines),
        fix="save each as shown, then export again; or pass --allow-unpushed to record "
        "the list in the file and leave the work behind",
        code="swap.unpushed",
    )


def _names(envs: list[Environment]) -> dict[Environment, str]:
    """Each environment's name in the file: its project's directory name, with the
    profile added where one project has several."""
    by_dir: dict[str, int] = {}
    for e in envs:
        by_dir[e.project.name] = by_dir.get(e.project.name, 0) + 1
    return {
        e: e.project.name if by_dir[e.project.name] == 1 else f"{e.project.name}-{e.profile}"
        for e in envs
    }


def _entry(env: Environment, name: str, findings: list[Finding]) -> Entry:
    project = env.project
    origin = git(project, "remote", "get-url", "origin").stdout.strip()
    # The branch as origin knows it (its upstream there), so the next machine can check
    # it out; a branch with no upstream on origin is recorded as none.
    upstream = git(project, "rev-parse", "--abbrev-ref", "--symbolic-full-name", "@{upstream}")
    remote_branch = upstream.stdout.strip() if upstream.ok else ""
    branch = remote_branch[len("origin/") :] if remote_branch.startswith("origin/") else None
    tools, sinks = _profile_parts(env)
    return Entry(
        name=name,
        path=home_relative(project),
        git=parse(origin, where=f"{project}: origin").spec(),
        branch=branch,
        commit=git(project, "rev-parse", "HEAD").stdout.strip() or "0" * 40,
        profile=_profile_ref(env),
        strategy=env.strategy,
        target=env.target,
        python=python_version(env.venv),
        tools=tools,
        sinks=sinks,
        unpushed=tuple(f.to_dict() for f in findings),
    )


def _profile_ref(env: Environment) -> str | None:
    """How the next machine names the profile: None for the project's own; a name for
    a shipped one; a path inside the project; else ``~/...`` (it must be there too)."""
    from bootstrap.profiles import REPO_PROFILES, is_project_file

    if not env.profile_path:
        return None
    path = Path(env.profile_path)
    if is_project_file(path) and path.parent.resolve() == env.project.resolve():
        return None
    if path.parent.resolve() == REPO_PROFILES.resolve():
        return path.stem
    try:
        return str(path.resolve().relative_to(env.project.resolve()))
    except ValueError:
        return home_relative(path)


def _profile_parts(env: Environment) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...]]:
    """The profile's pinned tools and its sinks ("kind url", credentials removed)."""
    from bootstrap.errors import BootstrapError
    from bootstrap.profiles import load_profile
    from bootstrap.redact import redact_url

    try:
        profile = load_profile(env.profile_path or None, project=env.project)
    except BootstrapError:
        return (), ()
    sinks = tuple(
        f"{s.kind} {_no_userinfo(redact_url(s.url or s.path or ''))}".strip()
        for s in profile.metrics.sinks
    )
    return profile.tools, sinks


def _no_userinfo(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    return scheme + sep + rest.rpartition("@")[2] if sep else url


def _with_bundles(
    entry: Entry, env: Environment, targets: list[str], out: Path, say: Callable[[str], None]
) -> Entry:
    import dataclasses

    folder = out.parent / f"{out.stem}.bundles"
    folder.mkdir(parents=True, exist_ok=True)
    made = []
    for target in targets:
        file = folder / f"{entry.name}-{target}.tar"
        say(f"{entry.name}: packing a cache bundle for {target}")
        argv = [
            sys.executable,
            "-m",
            "bootstrap",
            "cache",
            "pack",
            "--project",
            str(env.project),
            "--target",
            target,
            "--out",
            str(file),
        ]
        if env.profile_path and _profile_ref(env) is not None:
            argv += ["--profile", env.profile_path]
        res = proc.run(argv, timeout=PACK_TIMEOUT)
        if not res.ok:
            # One target the project cannot have (a GPU variant of a CPU-only profile)
            # leaves the others: the next machine sets that one up from the index.
            why = next((ln[7:] for ln in res.stderr.splitlines() if ln.startswith("error: ")), "")
            say(f"{entry.name}: no bundle for {target}: {why or res.describe()}")
            continue
        made.append(Bundle(target=target, file=file.name, sha256=sha256_file(file)))
    return dataclasses.replace(entry, bundles=tuple(made))


def _source(envs: list[Environment]) -> dict[str, str]:
    """The old machine as the file tells it: OS, architecture, accelerator (from the
    targets its plans chose; no name of any kind)."""
    for env in envs:
        if env.target and env.target.count("-") == 2:
            os_, arch, accel = env.target.split("-")
            return {"os": os_, "arch": arch, "accel": accel}
    return {}
