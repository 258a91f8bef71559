"""The plan request: what `bootstrap plan` and `bootstrap up` turn their command line
into, and the plan made from it.

One path for both commands, so that what `plan --json` prints is the plan `up` runs:
the profile found as `up` finds it (:func:`profile_request`), checked the same way, the
command line's overrides (--strategy, --remote, --target, --lock, --cache-bundle,
--online, --accept-new-host-key), and what planning needs from this machine but must not
read itself (the uv pin and its sources, the interpreters a cache bundle carries, whether
an earlier bundle filled the wheelhouse), read here so that the planner stays pure.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from bootstrap.host.facts import HostFacts
    from bootstrap.plan.model import Plan
    from bootstrap.plan.planner import Overrides
    from bootstrap.profiles import Profile


class Named(Protocol):
    """Options that name a profile and a project (every command's)."""

    @property
    def profile(self) -> str | None: ...

    @property
    def project(self) -> str | None: ...


@dataclass(frozen=True)
class PlanRequest:
    """What a command line asks of the plan (the options of `plan` and `up` that change
    it). Built from a command's options by :meth:`of`."""

    # None: the project's own profile (--project DIR, or the current directory when it
    # keeps one), else "default". See bootstrap.profiles for the search.
    profile: str | None = None
    project: str | None = None
    strategy: str | None = None
    target: str | None = None
    lock: str | None = None
    cache_bundle: str | None = None
    online: bool = False
    remote: str | None = None  # --remote [user@]host[:port]: that box, strategy remote
    accept_new_host_keys: bool = False

    @classmethod
    def of(cls, options: object) -> PlanRequest:
        """The request in a command's options: its fields of these names (`up`'s
        UpOptions has them all)."""
        return cls(**{f.name: getattr(options, f.name) for f in dataclasses.fields(cls)})


def profile_request(options: Named) -> tuple[str | None, str | None]:
    """(profile name or path, project directory) as `up` looks them up: a project's own
    profile when no --profile is given and the project (--project, else the current
    directory) keeps one; else the "default" profile."""
    if options.profile:
        return options.profile, options.project
    if options.project is not None:
        return None, options.project
    from bootstrap.profile_lookup import project_profile

    if project_profile(Path.cwd()) is not None:
        return None, str(Path.cwd())
    return "default", None


def make(
    request: PlanRequest,
    facts: HostFacts,
    *,
    profile: Profile | None = None,
    fetch_project: bool = False,
) -> tuple[Profile, Plan]:
    """Load and check the profile (unless :func:`load` gave it already), and make the
    plan: the last place the command line is read. Raises PlanError (with the failed
    plan) when no strategy fits. ``fetch_project``: a profile that names its project's
    git repository gets it cloned (or fast-forwarded) first (`up`, not `plan`)."""
    from bootstrap.plan.planner import make_plan
    from bootstrap.strategies import REGISTRY

    profile = profile or load(request, fetch_project=fetch_project)
    plan = make_plan(facts, profile, overrides(request), strategies=REGISTRY)
    return profile, plan


def load(request: PlanRequest, *, fetch_project: bool = False) -> Profile:
    """The profile the request names, checked before anything runs (a dry run and
    `bootstrap plan` included), with ``--remote``'s box as its remote host."""
    from bootstrap.profiles import check_project, check_pyproject, load_profile
    from bootstrap.report.config import MetricsConfig

    name, project = profile_request(request)
    profile = load_profile(name, project=project)
    git_url = profile.project.git
    if git_url and fetch_project:
        # The profile names the project's repository: clone it (or bring it up to date)
        # first, then load again, now that its lock files are there to be read.
        from bootstrap.repos.project import present_profile_project

        present_profile_project(git_url, profile.project.ref, profile.project.path)
        profile = load_profile(name, project=project)
    elif git_url and not Path(profile.project.path, "pyproject.toml").is_file():
        from bootstrap.errors import UserError

        raise UserError(
            f"profile {profile.name!r}: its project is not cloned yet ({profile.project.path})",
            fix=f"bootstrap up --profile {name or profile.name} clones it from {git_url}",
            code="project.not_cloned",
        )
    check_pyproject(profile.project.path)
    if project is not None:
        problems = check_project(profile)
        if problems:
            raise problems[0]
    # A bad sink (BOOTSTRAP_METRICS_SINKS) fails here, not after the run.
    MetricsConfig.from_settings(profile.metrics).with_env()
    if request.cache_bundle:
        from bootstrap.cache.importer import check_source

        check_source(request.cache_bundle)  # a plain-http URL: exit 2 before any step
    if request.lock:
        _check_lock_file(profile, request.lock)
    if request.remote:
        # `--remote HOST` names the box (and implies the remote strategy).
        remote = dataclasses.replace(profile.strategies.remote, hosts=(request.remote,))
        strategies = dataclasses.replace(profile.strategies, remote=remote)
        profile = dataclasses.replace(profile, strategies=strategies)
    return profile


def _check_lock_file(profile: Profile, lock: str) -> None:
    """A file that is not there is no lock, whatever its name."""
    from bootstrap.errors import UserError

    given = Path(profile.project.path) / lock
    if not given.is_file():
        raise UserError(
            f"--lock {lock}: no such file in the project ({given})",
            fix="pass a lock file of the project (uv.lock or a pylock file), or leave out --lock",
            code="plan.bad_lock",
        )


def overrides(request: PlanRequest) -> Overrides:
    """The planner's overrides: the command line's, and what this machine holds that
    the plan carries (the uv pin and sources, the bundle's interpreters, the
    wheelhouse)."""
    from bootstrap.plan.planner import Overrides

    return Overrides(
        strategy=request.strategy or ("remote" if request.remote else None),
        target=request.target,
        lock=request.lock,
        cache_bundle=request.cache_bundle,
        online=request.online,
        uv_version=pinned_uv(),
        uv_sources=uv_sources(),
        accept_new_host_keys=request.accept_new_host_keys,
        bundle_pythons=bundle_pythons(request.cache_bundle),
        wheelhouse=wheelhouse_here(),
    )


def pinned_uv() -> str:
    """The uv version bootstrap/uv/pin.txt pins ("pinned" when it cannot be read: the
    ensure-uv step then says why)."""
    from bootstrap.errors import BootstrapError
    from bootstrap.uv import load as load_pin

    try:
        return load_pin().version
    except BootstrapError:
        return "pinned"


def uv_sources() -> tuple[str, ...]:
    """Where an uninstalled uv comes from, in order (BOOTSTRAP_UV_SOURCES, else the
    default order); () when the setting is bad (the ensure-uv step then says why)."""
    from bootstrap.errors import BootstrapError
    from bootstrap.uv.sources import order

    try:
        return order()
    except BootstrapError:
        return ()


def wheelhouse_here() -> bool:
    """An earlier cache bundle filled this machine's wheelhouse (what an offline sync
    installs from)."""
    from bootstrap.cache.use import wheelhouse
    from bootstrap.paths import Paths

    return wheelhouse(Paths.from_env()) is not None


def bundle_pythons(source: str | None) -> tuple[tuple[str, str, str, str], ...]:
    """The pinned interpreters the cache bundle ``source`` carries, each (triple,
    version, file name, sha256)."""
    if not source:
        return ()  # no bundle: no bundle code loaded to say so
    from bootstrap.cache.use import bundle_pythons as carried

    return carried(source)
