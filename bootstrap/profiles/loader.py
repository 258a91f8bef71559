"""Finding and loading profiles: the search order, `extends`, and the build of a
:class:`~bootstrap.profiles.model.Profile` from checked TOML. The only part of profile
handling that reads files."""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bootstrap import platforms
from bootstrap.errors import ConfigError
from bootstrap.files import TOMLDecodeError, parse_toml, read_toml
from bootstrap.profile_lookup import PROJECT_FILE, PYPROJECT_TABLE, project_profile
from bootstrap.profiles.model import (
    ALL_PLATFORMS,
    DEFAULT_BUDGET,
    PATH_ENV,
    REPO_PROFILES,
    STRATEGIES,
    DevcontainerSettings,
    FirstRun,
    LockSpec,
    Metrics,
    MetricsSink,
    Needs,
    Profile,
    ProjectSpec,
    RemoteSettings,
    StrategySettings,
    SyncSettings,
    Variant,
    Wsl2Settings,
)
from bootstrap.profiles.schema import (
    SCHEMA,
    SELECTION,
    SELECTION_CONFLICTS,
    SELECTION_KEYS,
    List,
    Where,
    suggest,
)

if TYPE_CHECKING:
    pass


# -- finding and loading ----------------------------------------------------------------


def user_profiles_dir(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    home = env.get("BOOTSTRAP_HOME")
    if home:
        return Path(home).expanduser() / "config" / "profiles"
    import platformdirs

    return Path(platformdirs.user_config_dir("bootstrap", appauthor=False)) / "profiles"


def search_dirs(environ: Mapping[str, str] | None = None) -> list[Path]:
    """Where profile names are looked up, in order (after explicit paths)."""
    env = os.environ if environ is None else environ
    dirs = [Path(p).expanduser() for p in env.get(PATH_ENV, "").split(os.pathsep) if p]
    return [*dirs, user_profiles_dir(env), REPO_PROFILES]


def _is_path(name_or_path: str) -> bool:
    return name_or_path.endswith(".toml") or "/" in name_or_path or os.sep in name_or_path


def find_profile(
    name_or_path: str, *, skip: Path | None = None, project: Path | None = None
) -> Path:
    if _is_path(name_or_path):
        path = Path(name_or_path).expanduser()
        if path.is_dir():
            raise ConfigError(
                f"profile {path} is a directory, not a .toml file",
                fix="give a profile file, or a profile name (`bootstrap profiles list`)",
                code="profile.directory",
            )
        if not path.is_file():
            raise ConfigError(
                f"profile file {path} does not exist",
                fix="check the path, or give a profile name (`bootstrap profiles list`)",
                code="profile.missing",
            )
        return path.resolve()
    dirs = search_dirs()
    # The project's own profile, by its name: --project DIR, else the current directory
    # (docs/profiles.md), so `--profile NAME` run in the project finds the one it keeps.
    here = project if project is not None else Path.cwd()
    for d in dirs:
        if d == REPO_PROFILES:
            own = _project_profile_named(name_or_path, here)
            if own is not None and own != skip:
                return own
        candidate = d / f"{name_or_path}.toml"
        if candidate.is_file() and candidate.resolve() != skip:
            return candidate.resolve()
    names = sorted({p.stem for d in dirs if d.is_dir() for p in d.glob("*.toml")})
    places = [str(d) for d in dirs]
    places.insert(-1, f"{here / PROJECT_FILE} and [{PYPROJECT_TABLE}] in {here}")
    raise ConfigError(
        f"no profile named {name_or_path!r}{suggest(name_or_path, names)}; looked in "
        + ", ".join(places),
        fix="known profiles: "
        + (", ".join(names) or "none")
        + f"; or pass a path to a .toml file, or add a directory to {PATH_ENV}",
        code="profile.missing",
    )


def toml_or_error(text: str, path: Path, *, code: str) -> dict[str, Any]:
    """``text`` (the contents of ``path``) as TOML, or one ConfigError naming the file
    and the line and column; TOML nested thousands deep (tomllib recurses) is one too.
    Every TOML file a user hands over is read through it (profiles, pyproject.toml, a
    team manifest)."""
    try:
        return parse_toml(text)
    except TOMLDecodeError as exc:
        raise ConfigError(
            f"{path}: not valid TOML: {exc}",
            fix="fix the TOML syntax at the line and column shown, then re-run",
            code=code,
        ) from None
    except RecursionError:
        raise ConfigError(
            f"{path}: nested too deeply to read (thousands of levels of tables or arrays)",
            fix="a TOML file like this needs at most a few levels of tables",
            code=code,
        ) from None


def _read(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            f"cannot read profile {path}: {exc.strerror}", code="profile.unreadable"
        ) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: not a text file (byte {exc.start} is not UTF-8)",
            fix="a profile is a UTF-8 TOML file",
            code="profile.encoding",
        ) from None
    data = toml_or_error(text, path, code="profile.toml")
    where = Where(path, "")
    if path.name == "pyproject.toml":
        table = (
            data.get("tool", {}).get("bootstrap") if isinstance(data.get("tool"), dict) else None
        )
        if not isinstance(table, dict):
            raise ConfigError(
                f"{path}: no [{PYPROJECT_TABLE}] table: this pyproject.toml holds no profile",
                fix=f"add a [{PYPROJECT_TABLE}] table, or put the profile in {PROJECT_FILE}",
                code="profile.missing",
            )
        data, where = table, Where(path, PYPROJECT_TABLE)
    SCHEMA.check(data, where)
    # Paths in [project] are relative to the file that sets them, even when inherited. A
    # profile kept in the project (bootstrap.toml, [tool.bootstrap]) is about that project.
    project = data.get("project")
    if is_project_file(path) and not (isinstance(project, dict) and "path" in project):
        project = data.setdefault("project", {})
        project["path"] = "."
    if isinstance(project, dict) and "git" in project:
        _check_git(project, path)
    if isinstance(project, dict) and "path" in project:
        project["path"] = str((path.parent / project["path"]).resolve())
    if is_project_file(path) and "name" not in data:
        data["name"] = path.parent.resolve().name
    return data


def is_project_file(path: Path) -> bool:
    """A profile kept in a project: its bootstrap.toml or its pyproject.toml."""
    return path.name in (PROJECT_FILE, "pyproject.toml")


def _project_profile_named(name: str, project: Path | None) -> Path | None:
    if project is None:
        return None
    found = project_profile(project)
    if found is None:
        return None
    try:
        data = _read(found)
    except ConfigError:
        return None
    return found if data.get("name") == name else None


def _merge(base: dict[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    """Tables deep-merged, everything else (arrays included) replaced by ``top``."""
    out = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _load_chain(path: Path, seen: tuple[Path, ...] = ()) -> tuple[dict[str, Any], list[Path]]:
    if path in seen:
        chain = " -> ".join(str(p) for p in (*seen, path))
        raise ConfigError(
            f"{seen[-1]}: `extends` makes a cycle: {chain}",
            fix="remove `extends` from one of these profiles",
            code="profile.extends_cycle",
        )
    data = _read(path)
    parent_name = data.pop("extends", None)
    if parent_name is None:
        return data, [path]
    if _is_path(parent_name):
        parent_name = str(path.parent / Path(parent_name).expanduser())
    try:
        parent = find_profile(parent_name, skip=path)
    except ConfigError as exc:
        raise ConfigError(
            f"{path}: `extends`: expected the name of another profile, found {parent_name!r}"
            f", which does not exist ({exc.message})",
            fix=exc.fix,
            code="profile.extends_missing",
        ) from None
    base, files = _load_chain(parent, (*seen, path))
    base.pop("name", None)
    base.pop("description", None)
    return _merge(base, data), [path, *files]


def load_profile(name_or_path: str | None, *, project: str | Path | None = None) -> Profile:
    """Find, merge, validate and resolve a profile (see the module doc for the search).

    ``project``: the project directory (``--project``). With no name, its own profile is
    loaded; with a name, that profile is loaded for this project (its ``[project] path``
    replaced), and the project's own profile takes part in the name search."""
    proj = Path(project).expanduser().resolve() if project is not None else None
    if proj is not None and not proj.is_dir():
        raise ConfigError(
            f"project directory {proj} does not exist"
            if not proj.exists()
            else f"project {proj} is not a directory",
            fix="check the --project path: the directory holding the project's pyproject.toml",
            code="profile.no_project",
        )
    if not name_or_path:
        if proj is None:
            raise ConfigError(
                "no profile given and no project to take one from",
                fix="pass --profile NAME, or --project DIR for a project with its own profile",
                code="profile.missing",
            )
        own = project_profile(proj)
        if own is None:
            raise ConfigError(
                f"project {proj} keeps no profile: no {PROJECT_FILE} and no "
                f"[{PYPROJECT_TABLE}] in its pyproject.toml",
                fix=f"add {proj / PROJECT_FILE} (docs/profiles.md), or pass --profile NAME",
                code="profile.missing",
            )
        path = own
    else:
        path = find_profile(name_or_path, project=proj)
    data, files = _load_chain(path)
    if proj is not None and not is_project_file(path):
        data["project"] = {**data.get("project", {}), "path": str(proj)}
    return _build(data, path, files)


def check_pyproject(project: str | Path) -> None:
    """Raise a ConfigError naming ``project``'s pyproject.toml and the TOML error when it
    exists and does not parse: uv would fail on it with its own command line, and a drift
    check or `doctor` would blame the lock or the environment."""
    path = Path(project) / "pyproject.toml"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"{path}: cannot be read ({getattr(exc, 'strerror', None) or type(exc).__name__})",
            fix="make it a readable UTF-8 TOML file",
            code="project.pyproject",
        ) from None
    toml_or_error(text, path, code="project.pyproject")


def check_project(profile: Profile) -> list[ConfigError]:
    """What `profiles validate` adds to the schema: the project directory and its uv
    lock exist (a pylock lock is checked per target by the planner). Not part of
    loading: a plan can be printed for a project this machine does not hold."""
    project = Path(profile.project.path)
    where = f"{profile.source}: `project.path`"
    if not project.is_dir():
        return [
            ConfigError(
                f"{where}: the project directory {project} does not exist",
                fix="clone the project there, or set [project] path (relative to the profile "
                "file) to where it is",
                code="profile.no_project",
            )
        ]
    out = []
    for i, lock in enumerate(profile.locks):
        if lock.kind == "uv" and not lock.exists:
            out.append(
                ConfigError(
                    f"{profile.source}: `locks[{i}].path`: the lock {project / lock.path} "
                    "does not exist",
                    fix=f"run `uv lock` in {shlex.quote(str(project))} and commit uv.lock, or "
                    f"fix `locks[{i}].path`",
                    code="profile.no_lock",
                )
            )
        if lock.kind == "pylock" and not lock.exists:
            out.append(
                ConfigError(
                    f"{profile.source}: `locks[{i}].path`: no file matches {project / lock.path}",
                    fix=f"export the per-target locks into {project}, or fix `locks[{i}].path`",
                    code="profile.no_lock",
                )
            )
    return out


def duplicate_names() -> dict[str, list[Path]]:
    """Profile names that more than one file in the search defines (by file name or by
    its `name` key): the first file wins, the others are shadowed."""
    seen: dict[str, list[Path]] = {}
    for d in search_dirs():
        if not d.is_dir():
            continue
        for p in sorted(d.glob("*.toml")):
            names = {p.stem}
            try:
                named = read_toml(p).get("name")
            except (OSError, UnicodeDecodeError, TOMLDecodeError):
                named = None
            if isinstance(named, str):
                names.add(named)
            for n in names:
                seen.setdefault(n, [])
                if p.resolve() not in seen[n]:
                    seen[n].append(p.resolve())
    return {n: files for n, files in sorted(seen.items()) if len(files) > 1}


def list_profiles() -> list[tuple[str, Path]]:
    """Every profile name the search finds, with the file that wins for it: the one the
    current directory keeps included, where the search looks for it."""
    found: dict[str, Path] = {}
    for d in search_dirs():
        if d == REPO_PROFILES:
            own = project_profile(Path.cwd())
            if own is not None:
                try:
                    name = str(_read(own).get("name"))
                except ConfigError:
                    name = own.parent.resolve().name  # listed, and shown as invalid
                found.setdefault(name, own.resolve())
        if d.is_dir():
            for p in sorted(d.glob("*.toml")):
                found.setdefault(p.stem, p.resolve())
    return sorted(found.items())


# -- building the frozen data -----------------------------------------------------------


def _tuple(value: Any) -> tuple[str, ...]:
    return tuple(value) if value else ()


def _check_git(project: dict[str, Any], path: Path) -> None:
    """``[project] git`` (and ``ref``): a source git accepts, and, with no ``path``, the
    checkout's place in the workspace (where ``bootstrap up`` clones it)."""
    from bootstrap.errors import UserError
    from bootstrap.paths import Paths
    from bootstrap.repos.source import parse

    try:
        source = parse(project["git"], ref=project.get("ref"), where=f"{path}: `project.git`")
    except UserError as exc:
        raise ConfigError(str(exc), fix=exc.fix, code="profile.invalid") from None
    project["git"] = source.url
    project["ref"] = source.ref
    if "path" not in project:
        project["path"] = str(Paths.from_env().workspace() / source.name)


def _devcontainer_settings(raw: Mapping[str, Any]) -> DevcontainerSettings:
    data = dict(raw)
    data["run_args"] = _tuple(data.get("run_args", ()))
    return DevcontainerSettings(**data)


def _build(data: dict[str, Any], path: Path, files: list[Path]) -> Profile:
    where = Where(path, "")
    project_raw = data.get("project", {})
    project = ProjectSpec(
        path=project_raw.get("path") or str(Path.cwd()),
        python=project_raw.get("python"),
        python_downloads=project_raw.get("python_downloads", "never"),
        git=project_raw.get("git"),
        ref=project_raw.get("ref"),
    )
    needs_raw = data.get("needs", {})
    needs = Needs(
        linux_only=needs_raw.get("linux_only", False),
        gpu=needs_raw.get("gpu", "none"),
        min_memory_gb=needs_raw.get("min_memory_gb"),
        min_disk_gb=needs_raw.get("min_disk_gb"),
        resources=needs_raw.get("resources", "warn"),
        accelerators=_tuple(needs_raw.get("accelerators")),
    )
    locks_raw = data.get("locks") or [{"kind": "uv"}]
    locks = tuple(
        _build_lock(raw, where.child("locks").item(i), Path(project.path), needs)
        for i, raw in enumerate(locks_raw)
    )
    st = data.get("strategies", {})
    allowed = _tuple(st.get("allowed")) or STRATEGIES
    order = _tuple(st.get("order"))
    stray = [s for s in order if s not in allowed]
    if stray:
        expected = "strategies that are also in `strategies.allowed` " + repr(list(allowed))
        raise where.child("strategies").child("order").fail(expected, list(order))
    strategies = StrategySettings(
        allowed=allowed,
        order=order,
        wsl2=Wsl2Settings(**st.get("wsl2", {})),
        devcontainer=_devcontainer_settings(st.get("devcontainer", {})),
        remote=RemoteSettings(
            hosts=_tuple(st.get("remote", {}).get("hosts")),
            directory=st.get("remote", {}).get("directory"),
            accept_new_host_keys=bool(st.get("remote", {}).get("accept_new_host_keys", False)),
            parallel=bool(st.get("remote", {}).get("parallel", False)),
        ),
    )
    fr = data.get("first_run", {})
    command = fr.get("command", ())
    if isinstance(command, str):
        import shlex

        command = shlex.split(command)  # SCHEMA checked that it splits
    kind = data.get("kind", "python")
    metrics_raw = data.get("metrics", {})
    sinks = []
    for i, s in enumerate(metrics_raw.get("sinks", [])):
        sw = where.child("metrics").child("sinks").item(i)
        if s["kind"] == "file" and not s.get("path"):
            raise sw.child("path").missing("a file or directory path (a file sink needs one)")
        if s["kind"] != "file" and not s.get("url"):
            raise sw.child("url").missing(f"an http(s) URL (a {s['kind']} sink needs one)")
        sinks.append(MetricsSink(**s))
    return Profile(
        name=data.get("name") or path.stem,
        source=str(path),
        description=data.get("description", ""),
        kind=kind,
        budget_seconds=float(data.get("budget_seconds", DEFAULT_BUDGET[kind])),
        extends=tuple(str(f) for f in files[1:]),
        project=project,
        locks=locks,
        needs=needs,
        strategies=strategies,
        first_run=FirstRun(
            command=tuple(command), timeout_seconds=float(fr.get("timeout_seconds", 600.0))
        ),
        sync=SyncSettings(**data.get("sync", {})),
        metrics=Metrics(
            enabled=metrics_raw.get("enabled", True),
            salt=metrics_raw.get("salt", ""),
            sinks=tuple(sinks),
        ),
        tools=tuple(sorted(data.get("tools", {}).items())),
    )


def _build_lock(raw: dict[str, Any], where: Where, project: Path, needs: Needs) -> LockSpec:
    kind = raw["kind"]
    default_path = "uv.lock" if kind == "uv" else "pylock.{target}.toml"
    path = raw.get("path", default_path)
    if kind == "pylock" and "{target}" not in path and not raw.get("files"):
        raise where.child("path").fail(
            'a pattern containing "{target}" (e.g. "pylock.{target}.toml"), or a `files` table',
            path,
        )
    if kind == "uv" and raw.get("files"):
        raise where.child("files").fail("no `files` table for a uv lock (one uv.lock)", "a table")
    default_platforms = ("linux-*",) if needs.linux_only else ALL_PLATFORMS
    variants_raw: dict[str, Any] = raw.get("variants") or {"cpu": {}}
    if kind == "pylock":
        for key, value in [("", raw), *((f"variants.{k}", v) for k, v in variants_raw.items())]:
            chosen = [k for k in SELECTION_KEYS if k in value]
            if chosen:
                w = where
                for part in key.split(".") if key else []:
                    w = w.child(part)
                raise w.child(chosen[0]).fail(
                    "no extras or groups for a pylock lock (each target has its own file)",
                    value[chosen[0]],
                    fix=f"remove `{chosen[0]}`: a pylock file already holds one selection",
                )
    variants = tuple(
        _variant(accel, raw, v, where.child("variants").child(accel))
        for accel, v in variants_raw.items()
    )
    if kind == "uv":
        _check_selection(variants, project, where)
    files = dict(raw.get("files", {}))
    available: tuple[str, ...] = ()
    exists = True
    if kind == "uv":
        exists = (project / path).is_file()
    else:
        found = set(files)
        if "{target}" in path:
            rx = re.compile(
                re.escape(path).replace(re.escape("{target}"), f"({platforms.TARGET_PATTERN})")
                + "$"
            )
            glob = path.replace("{target}", "*")
            for p in sorted(project.glob(glob)) if project.is_dir() else []:
                m = rx.match(p.relative_to(project).as_posix())
                if m:
                    found.add(m.group(1))
        available = tuple(sorted(t for t in found if (project / _file(path, files, t)).is_file()))
        exists = bool(available)
        # Variants default to the accelerators the files exist for.
        if "variants" not in raw:
            found_accels = {platforms.parse(t).accel.name for t in (available or tuple(files))}
            accels = sorted(found_accels) or ["cpu"]
            variants = tuple(Variant(accel=a) for a in accels)
    return LockSpec(
        kind=kind,
        path=path,
        variants=variants,
        platforms=_tuple(raw.get("platforms")) or default_platforms,
        files=files,
        exists=exists,
        available=available,
    )


def _variant(accel: str, lock: Mapping[str, Any], raw: Mapping[str, Any], where: Where) -> Variant:
    """A variant's selection: the lock's keys, then the variant's (lists add to the
    lock's; a switch the variant sets wins over the lock's)."""
    merged: dict[str, Any] = {}
    for key in SELECTION_KEYS:
        if isinstance(SELECTION[key], List):
            both = [*lock.get(key, ()), *raw.get(key, ())]
            merged[key] = tuple(dict.fromkeys(both))
        else:
            merged[key] = bool(raw.get(key, lock.get(key, False)))
    for a, b in SELECTION_CONFLICTS:
        if merged[a] and merged[b]:
            key = where.key if (a in raw or b in raw) else where.key.rsplit(".variants.", 1)[0]
            raise ConfigError(
                f"{where.file}: `{key}`: expected at most one of `{a}` and `{b}` "
                "(uv refuses them together), found both",
                fix=f"keep `{a}` or `{b}` (on the lock or on variant {accel!r}), not both",
                code="profile.invalid",
            )
    return Variant(accel=accel, platforms=_tuple(raw.get("platforms")), **merged)


def _check_selection(variants: Sequence[Variant], project: Path, where: Where) -> None:
    """Every extra and group a variant names exists in the project's pyproject.toml
    (when there is one to read): uv would refuse the sync, later and less clearly."""
    try:
        data = read_toml(project / "pyproject.toml")
    except (OSError, UnicodeDecodeError, TOMLDecodeError):
        return
    proj = data.get("project") if isinstance(data.get("project"), dict) else {}
    extras = set((proj or {}).get("optional-dependencies") or {})
    groups = set(data.get("dependency-groups") or {})
    uv_tool = (data.get("tool") or {}).get("uv") or {}
    if isinstance(uv_tool, dict) and uv_tool.get("dev-dependencies"):
        groups.add("dev")  # uv's legacy [tool.uv] dev-dependencies is the group "dev"
    norm = {_norm_name(n) for n in extras}, {_norm_name(n) for n in groups}
    for v in variants:
        vw = where.child("variants").child(v.accel)
        for key, names, known, label in (
            ("extras", v.extras, norm[0], "[project.optional-dependencies]"),
            ("groups", v.groups, norm[1], "[dependency-groups]"),
            ("only_groups", v.only_groups, norm[1], "[dependency-groups]"),
        ):
            for name in names:
                if _norm_name(name) not in known:
                    choices = sorted(extras if key == "extras" else groups)
                    raise ConfigError(
                        f"{vw.file}: `{vw.child(key).key}`: expected a name from {label} in "
                        f"{project / 'pyproject.toml'}, found {name!r}{suggest(name, choices)}",
                        fix=f"use one of: {', '.join(choices) or '(none defined)'}",
                        code="profile.unknown_selection",
                    )


def _norm_name(name: str) -> str:
    # PEP 685 / PEP 735: extras and group names compare normalized.
    return re.sub(r"[-_.]+", "-", name).lower()


def _file(pattern: str, files: Mapping[str, str], target: str) -> str:
    return files.get(target) or pattern.replace("{target}", target)


def profile_to_dict(profile: Profile) -> dict[str, Any]:
    """The resolved profile as JSON-ready data (``bootstrap profiles show --json``)."""
    from dataclasses import asdict

    def clean(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [clean(v) for v in value]
        return value

    out: dict[str, Any] = dict(clean(asdict(profile)))
    return out
