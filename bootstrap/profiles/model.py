"""The profile model: what a team's environment needs, as frozen data, and the value
sets the schema checks against."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bootstrap import platforms

if TYPE_CHECKING:
    from bootstrap.lockchoice import LockChoice


REPO_PROFILES = Path(__file__).resolve().parent.parent.parent / "profiles"
PATH_ENV = "BOOTSTRAP_PROFILE_PATH"

STRATEGIES = ("native", "wsl2", "devcontainer", "remote")
PYTHON_DOWNLOADS = ("never", "manual", "automatic")
GPU_NEEDS = ("none", "optional", "required")
KINDS = ("python", "ai")
# The time-to-first-run budget per kind of stack: 15 min pure Python, 45 min AI (the
# team standard's targets for a new machine).
DEFAULT_BUDGET = {"python": 900.0, "ai": 2700.0}
SINK_KINDS = ("file", "http-json", "pushgateway", "otlp-http")
# The platform table's: bootstrap.platforms owns the names.
ACCEL_RE = platforms.ACCEL_RE
PLATFORM_RE = platforms.PLATFORM_PATTERN_RE
ALL_PLATFORMS = platforms.DEFAULT_PLATFORMS


# -- the data -------------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectSpec:
    path: str  # absolute: resolved against the profile file that set it (or the cwd)
    python: str | None = None  # a requirement: ">=3.11", "==3.12.*"
    python_downloads: str = "never"  # UV_PYTHON_DOWNLOADS
    git: str | None = None  # where the project is cloned from (``[project] git``)
    ref: str | None = None  # the branch, tag or commit to check out


@dataclass(frozen=True)
class Variant:
    accel: str  # "cpu", "cu126", "cu130", "rocm6.2"
    extras: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()  # "<os>-<arch>" patterns it serves; () = the lock's
    # The rest of uv's selection (see SELECTION_KEYS), merged with the lock's own keys.
    all_extras: bool = False
    no_dev: bool = False
    no_default_groups: bool = False
    only_groups: tuple[str, ...] = ()
    all_groups: bool = False

    def lock_choice(self, path: str, kind: str) -> LockChoice:
        from bootstrap.lockchoice import LockChoice

        return LockChoice(
            path=path,
            kind=kind,
            extras=self.extras,
            groups=self.groups,
            all_extras=self.all_extras,
            no_dev=self.no_dev,
            no_default_groups=self.no_default_groups,
            only_groups=self.only_groups,
            all_groups=self.all_groups,
        )


@dataclass(frozen=True)
class LockSpec:
    kind: str  # "uv" | "pylock"
    path: str  # relative to the project: "uv.lock" or a pattern "pylock.{target}.toml"
    variants: tuple[Variant, ...] = ()
    platforms: tuple[str, ...] = ALL_PLATFORMS  # "<os>-<arch>" patterns it serves
    files: dict[str, str] = field(default_factory=dict)  # pylock: target key -> path
    # Read by the loader: does the uv lock exist; which pylock target files exist.
    exists: bool = True
    available: tuple[str, ...] = ()

    def serves(self, platform: str, variant: Variant | None = None) -> bool:
        patterns = (variant.platforms if variant and variant.platforms else ()) or self.platforms
        return any(fnmatch.fnmatchcase(platform, _pattern(p)) for p in patterns)

    def file_for(self, target: str) -> str:
        if self.kind == "uv":
            return self.path
        return self.files.get(target) or self.path.replace("{target}", target)


@dataclass(frozen=True)
class Needs:
    linux_only: bool = False  # the stack has Linux-only wheels (triton, vllm, ...)
    gpu: str = "none"  # "none" | "optional" | "required"
    min_memory_gb: float | None = None
    min_disk_gb: float | None = None  # environment + cache
    resources: str = "warn"  # "warn" | "fail": what a RAM/disk shortfall does
    accelerators: tuple[str, ...] = ()  # allowed accelerators; () = any the lock offers


@dataclass(frozen=True)
class Wsl2Settings:
    distro: str | None = None  # None: the default WSL2 distro
    directory: str | None = None  # where the project lives there; None: ~/src/<project>


@dataclass(frozen=True)
class DevcontainerSettings:
    image: str | None = None
    dockerfile: str | None = None  # relative to the devcontainer.json (instead of image)
    config: str | None = None  # the devcontainer.json, relative to the repository
    run_args: tuple[str, ...] = ()  # extra `docker run` arguments ("--network=none")


@dataclass(frozen=True)
class RemoteSettings:
    hosts: tuple[str, ...] = ()  # "user@host", "host", "host:port" or an ssh_config alias
    directory: str | None = None  # where the project lives there; None: ~/<repo name>
    accept_new_host_keys: bool = False  # StrictHostKeyChecking=accept-new instead of yes
    parallel: bool = False  # several hosts at once instead of one after another


@dataclass(frozen=True)
class StrategySettings:
    allowed: tuple[str, ...] = STRATEGIES
    order: tuple[str, ...] = ()  # preference; () = the decision table's order
    wsl2: Wsl2Settings = field(default_factory=Wsl2Settings)
    devcontainer: DevcontainerSettings = field(default_factory=DevcontainerSettings)
    remote: RemoteSettings = field(default_factory=RemoteSettings)


@dataclass(frozen=True)
class FirstRun:
    command: tuple[str, ...] = ()  # argv, run in the environment from the project dir
    timeout_seconds: float = 600.0


@dataclass(frozen=True)
class SyncSettings:
    network: str = "offline"  # "offline" | "allow": may `up` use the index on a cache miss
    # uv trusts the system's certificate store (UV_SYSTEM_CERTS), e.g. behind a TLS-
    # inspecting proxy whose CA is there and not in uv's built-in roots.
    system_certs: bool = False


@dataclass(frozen=True)
class MetricsSink:
    kind: str  # "file" | "http-json" | "pushgateway" | "otlp-http"
    url: str | None = None
    path: str | None = None
    token_env: str | None = None
    job: str = "bootstrap"
    timeout_seconds: float = 2.0

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass(frozen=True)
class Metrics:
    enabled: bool = True
    salt: str = ""
    sinks: tuple[MetricsSink, ...] = ()


@dataclass(frozen=True)
class Profile:
    name: str
    source: str  # the file it was loaded from
    project: ProjectSpec
    locks: tuple[LockSpec, ...]
    description: str = ""
    kind: str = "python"  # "python" | "ai"
    budget_seconds: float = 900.0
    extends: tuple[str, ...] = ()  # the files merged under this one, nearest first
    needs: Needs = field(default_factory=Needs)
    strategies: StrategySettings = field(default_factory=StrategySettings)
    first_run: FirstRun = field(default_factory=FirstRun)
    sync: SyncSettings = field(default_factory=SyncSettings)
    metrics: Metrics = field(default_factory=Metrics)
    # Pinned command-line tools, run with `uvx NAME@VERSION`: (name, version), sorted.
    tools: tuple[tuple[str, str], ...] = ()

    @property
    def path(self) -> str:
        return self.source


def _pattern(platform: str) -> str:
    return platform if "-" in platform else platform + "-*"
