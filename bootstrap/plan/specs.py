"""Step specs: the plan as a program.

Each step of a plan is a frozen value that carries every decision its executor needs
(the uv version, the Python request and whether uv may download one, the bundle, the
lock and the exact uv arguments, the network policy, the first run's argv and timeout,
and for the strategies that run elsewhere the host, the remote directory and what to
send). Executors (``bootstrap.steps``) take ``(spec, runtime)`` and read nothing else:
not the profile, not the command line. ``name`` is the step's stable name in the run
state and the output; ``describe()`` is the one line ``bootstrap plan`` prints.
"""

from __future__ import annotations

import shlex
from dataclasses import asdict, dataclass
from typing import Any, ClassVar

from bootstrap.lockchoice import LockChoice  # its home: profiles build one too
from bootstrap.report.config import MetricsConfig

NETWORK_POLICIES = ("offline", "fallback", "online")


@dataclass(frozen=True)
class StepSpec:
    name: ClassVar[str] = ""

    def describe(self) -> str:  # pragma: no cover - every spec overrides it
        raise NotImplementedError

    def fields(self) -> dict[str, Any]:
        out = asdict(self)
        for key, value in out.items():
            if isinstance(value, tuple):
                out[key] = list(value)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.describe(), **self.fields()}


# -- native steps (also what runs inside the target of a handoff) ------------------------


@dataclass(frozen=True)
class EnsureUv(StepSpec):
    name: ClassVar[str] = "ensure-uv"
    # The uv version the plan was made with (bootstrap/uv/pin.txt, read by the caller):
    # the run refuses a pin that says another ("pinned": whatever the pin says).
    version: str = "pinned"
    bundle: str | None = None  # take uv from this cache bundle (checked against the pin)
    # Every uv call of the run trusts the system's certificate store (UV_SYSTEM_CERTS):
    # the profile's [sync] system_certs. Shown in the plan only when set.
    system_certs: bool = False
    # Where an uninstalled uv is fetched from, in order (bootstrap.uv.sources: local,
    # mirror, index, release; BOOTSTRAP_UV_SOURCES, read by the caller). Empty: the
    # default order. Shown only when set.
    sources: tuple[str, ...] = ()

    def fields(self) -> dict[str, Any]:
        out = super().fields()
        if not self.system_certs:
            del out["system_certs"]
        if not self.sources:
            del out["sources"]
        return out

    def describe(self) -> str:
        where = f" (from cache bundle {self.bundle})" if self.bundle else ""
        if self.sources and not self.bundle:
            where = f" (else from: {', '.join(self.sources)})"
        version = "the pinned uv" if self.version == "pinned" else f"the pinned uv {self.version}"
        tls = "; uv trusts the system's certificate store" if self.system_certs else ""
        return f"find or install {version} and verify its SHA-256{where}{tls}"


@dataclass(frozen=True)
class ProvidePython(StepSpec):
    name: ClassVar[str] = "python"
    request: str = ">=3.9"
    downloads: str = "never"  # the profile's python_downloads
    may_download: bool = False  # the network policy lets `uv python install` run
    # Where the interpreter comes from: "system" (one found here, or uv's store; uv may
    # download one when allowed), or "bundle": the pinned CPython the cache bundle
    # carries (bootstrap/python/pin.txt's line, copied here so execution reads only the
    # plan), installed by uv offline and used with --managed-python. Shown only when not
    # "system".
    source: str = "system"
    pinned: tuple[str, ...] = ()  # (triple, version, file name, sha256) with "bundle"

    def fields(self) -> dict[str, Any]:
        out = super().fields()
        if self.source == "system":
            del out["source"], out["pinned"]
        return out

    def describe(self) -> str:
        if self.source == "bundle" and len(self.pinned) == 4:
            return (
                f"install the pinned CPython {self.pinned[1]} from the cache bundle "
                f"(python/{self.pinned[2]}, SHA-256 from bootstrap/python/pin.txt) with uv, "
                "offline; every sync uses it (--managed-python)"
            )
        if self.may_download:
            return (
                f"find a Python for {self.request} here, else have uv download a managed one "
                f"(UV_PYTHON_DOWNLOADS={self.downloads})"
            )
        return f"find a Python for {self.request} (UV_PYTHON_DOWNLOADS={self.downloads})"

    @property
    def uv_python_downloads(self) -> str:
        """UV_PYTHON_DOWNLOADS for uv's own calls: only an allowed download is automatic."""
        return self.downloads if self.may_download else "never"


@dataclass(frozen=True)
class ImportCache(StepSpec):
    name: ClassVar[str] = "import-cache"
    bundle: str = ""

    def describe(self) -> str:
        return f"check cache bundle {self.bundle} against the locks and import its files"


# What a sync from an imported cache bundle's wheelhouse runs stands in the plan with two
# placeholders the run fills in: the wheelhouse directory, and the lock's pins with their
# hashes (as `uv export` writes them for a uv lock; the pylock file itself otherwise).
WHEELHOUSE = "<wheelhouse>"


def sync_argv(lock: LockChoice, network: str, *, wheelhouse: bool = False) -> tuple[str, ...]:
    """uv's arguments for the sync of ``lock`` (``uv`` itself not included): the one
    place they are built, for the plan and for every sync that runs without one.

    ``network``: one of :data:`NETWORK_POLICIES` (``fallback`` starts offline). With
    ``wheelhouse`` (a cache bundle, or a wheelhouse an earlier one filled) and not
    online: ``uv pip sync --require-hashes`` of the lock's pins from the wheelhouse."""
    offline = [] if network == "online" else ["--offline"]
    if wheelhouse and network != "online":
        argv = ["pip", "sync", "--offline", "--no-index", "--require-hashes"]
        flags = " ".join(["--frozen", *lock.uv_flags()])
        source = f"<uv export {flags}>" if lock.kind == "uv" else lock.path
        return (*argv, "--find-links", WHEELHOUSE, source)
    if lock.kind == "uv":
        argv = ["sync", "--frozen", *offline, "--no-build"]
        return (*argv, *lock.uv_flags())
    return ("pip", "sync", *offline, "--preview-features", "pylock", "--no-build", lock.path)


@dataclass(frozen=True)
class Sync(StepSpec):
    """The sync, as the run executes it: ``uv`` + :attr:`argv`, to which the run adds
    only where (``--project DIR`` for ``uv sync``; ``--python`` with the interpreter the
    python step provided, or the environment's own for ``uv pip``) and fills in the
    :data:`WHEELHOUSE` placeholders. On a cache miss, and only when the plan allows it,
    ``uv`` + :attr:`fallback_argv` runs next, from the index."""

    name: ClassVar[str] = "sync"
    lock: LockChoice = LockChoice("uv.lock", "uv")  # noqa: RUF009 - a frozen value
    argv: tuple[str, ...] = ()  # the uv command line, without the uv binary
    network: str = "offline"  # one of NETWORK_POLICIES
    # The sync that runs when the offline one misses (network "fallback"): online, from
    # the index. Empty: a miss fails. Shown only when set.
    fallback_argv: tuple[str, ...] = ()

    @classmethod
    def planned(cls, lock: LockChoice, network: str, *, wheelhouse: bool = False) -> Sync:
        """The sync of ``lock`` under the network policy ``network``."""
        fallback = sync_argv(lock, "online") if network == "fallback" else ()
        argv = sync_argv(lock, network, wheelhouse=wheelhouse)
        return cls(lock=lock, argv=argv, network=network, fallback_argv=fallback)

    @property
    def from_wheelhouse(self) -> bool:
        """The sync installs from the wheelhouse an imported cache bundle filled."""
        return WHEELHOUSE in self.argv

    def describe(self) -> str:
        text = shlex.join(["uv", *self.argv])
        if self.from_wheelhouse:
            # From an imported cache bundle's wheelhouse (bootstrap.sync): placeholders
            # stand for what the run fills in.
            text = "uv venv, then " + text.replace("'", "")
            if self.lock.kind == "uv":
                text += (
                    ", then the project itself when uv.lock builds it: uv pip install "
                    "--no-deps -e . (its build backend from pylock.build.toml, by hash)"
                )
        elif self.lock.kind != "uv":
            text = "uv venv, then " + text
        if self.fallback_argv:
            text += "; on a cache miss, from the index: " + shlex.join(["uv", *self.fallback_argv])
        return text

    def fields(self) -> dict[str, Any]:
        out = super().fields()
        out["lock"] = self.lock.to_dict()
        if not self.fallback_argv:
            del out["fallback_argv"]
        return out


@dataclass(frozen=True)
class WarmTools(StepSpec):
    """The profile's pinned ``[tools]`` run once each (``uvx NAME@VERSION --version``) so
    uv's cache holds them and the same command works offline afterwards."""

    name: ClassVar[str] = "warm-tools"
    tools: tuple[tuple[str, str], ...] = ()  # (name, exact version)
    network: str = "offline"  # one of NETWORK_POLICIES

    def describe(self) -> str:
        names = ", ".join(f"{n}@{v}" for n, v in self.tools)
        where = " from the cache" if self.network == "offline" else ""
        return f"warm the pinned tools{where}: uvx {names}"


@dataclass(frozen=True)
class FirstRun(StepSpec):
    name: ClassVar[str] = "first-run"
    argv: tuple[str, ...] = ()
    timeout: float = 600.0

    def describe(self) -> str:
        if not self.argv:
            return "no first-run command in the profile: `up` stops here (add [first_run] command)"
        return f"run `{shlex.join(self.argv)}` in the environment (timeout {self.timeout:g}s)"


@dataclass(frozen=True)
class Report(StepSpec):
    """Finish the run, whatever its outcome: the timing report to the history, earlier
    runs' spool and the sinks (bootstrap.steps.finish). The profile's ``[metrics]`` is
    resolved here, so finishing reads the plan, not the profile; the sinks the
    environment adds (BOOTSTRAP_METRICS_SINKS) and the opt-outs are read when it runs."""

    name: ClassVar[str] = "report"
    budget_seconds: float = 900.0
    sinks: int = 0
    metrics: MetricsConfig | None = None  # the profile's [metrics]; None: the defaults

    def fields(self) -> dict[str, Any]:
        # The salt stays out of what `plan` prints; the sinks are shown by label (their
        # URLs without a password, a token's variable name), only when there are any.
        out = super().fields()
        del out["metrics"]
        if self.metrics is not None and self.metrics.sinks:
            out["sink_labels"] = [s.label for s in self.metrics.sinks]
        return out

    def describe(self) -> str:
        return f"write the timing report to the history (budget {self.budget_seconds:g}s)" + (
            f" and send it to {self.sinks} sink(s)" if self.sinks else ""
        )


# -- handoff steps (wsl2, devcontainer, remote) -------------------------------------------


@dataclass(frozen=True)
class Preflight(StepSpec):
    """Reach the target and check it can hold the environment, one message and fix each."""

    name: ClassVar[str] = "preflight"
    strategy: str = "remote"
    hosts: tuple[str, ...] = ()  # remote: "[user@]host[:port]" or an ssh_config alias
    directory: str = ""  # where the project lives there ("~/<name>")
    min_disk_gb: float = 0.0
    accept_new_host_keys: bool = False
    parallel: bool = False  # several hosts at once
    # The pinned CPython the cache bundle carries for the target ("3.11.2"), which stage
    # 0 installs there when the target has no Python; shown only when set.
    bundle_python: str = ""
    # How the strategy's transport reaches the target, in words ("over ssh without a
    # prompt"): given by the strategy, part of the description only.
    reach: str = "over ssh without a prompt"

    def fields(self) -> dict[str, Any]:
        out = super().fields()
        del out["reach"]
        if not self.bundle_python:
            del out["bundle_python"]
        return out

    def describe(self) -> str:
        where = ", ".join(self.hosts) or "the target"
        keys = " (new host keys accepted)" if self.accept_new_host_keys else ""
        how = self.reach
        python = "Python >= 3.9"
        if self.bundle_python:
            python += f" (else the bundle's pinned CPython {self.bundle_python}, installed there)"
        return (
            f"reach {where} {how}{keys}; check Linux, arch, libc, "
            f"a POSIX shell, {python} and free disk in {self.directory}"
        )


@dataclass(frozen=True)
class Transfer(StepSpec):
    """Send the project's files (git's tracked and untracked-not-ignored ones, nothing
    secret; only what changed) and the bootstrapper's artifact, verified there."""

    name: ClassVar[str] = "transfer"
    repo: str = ""  # the project's directory here
    directory: str = ""
    # A profile the project does not carry as it is: sent merged, as .bootstrap/profile.toml
    profile: str = ""

    def describe(self) -> str:
        sent = " and the profile" if self.profile else ""
        return (
            f"send the project's files{sent} to {self.directory} (only what changed; "
            "nothing git ignores, no .env or keys) and the bootstrapper's wheel, "
            "checked there by SHA-256"
        )


@dataclass(frozen=True)
class DetectThere(StepSpec):
    """Detect in the target and re-plan the variant from its facts."""

    name: ClassVar[str] = "detect-there"
    profile: str = ""  # the profile file, re-planned natively with the target's facts

    def describe(self) -> str:
        return "run `bootstrap detect --json` there and re-plan the variant from its facts"


@dataclass(frozen=True)
class ShipBundle(StepSpec):
    """The cache bundle for the target's key: the one given, or packed here."""

    name: ClassVar[str] = "ship-bundle"
    bundle: str | None = None  # given by the user; else packed on this host when it can

    def describe(self) -> str:
        if self.bundle:
            return f"send cache bundle {self.bundle} (its target must match the re-plan)"
        return (
            "pack a cache bundle for the target's key here (needs the index; reused while "
            "the locks do not change) and send it"
        )


@dataclass(frozen=True)
class RunThere(StepSpec):
    """Stage 0 in the target, with this host's elapsed time passed through."""

    name: ClassVar[str] = "run-there"
    argv: tuple[str, ...] = ()  # after `sh install.sh`
    profile: str = ""  # as stage 0 there names it: relative to the project's directory

    def describe(self) -> str:
        stage0 = shlex.join(["sh", ".bootstrap/self/install.sh", *self.argv])
        return f"run {stage0} there (the bootstrapper sent), for the project; output streamed"


@dataclass(frozen=True)
class CollectReport(StepSpec):
    name: ClassVar[str] = "collect-report"

    def describe(self) -> str:
        return "bring the target's timing report back and record it here"


@dataclass(frozen=True)
class UserAction(StepSpec):
    """Something only the user can do comes first (install WSL, switch virtualization on
    in the firmware, convert a distro): the run stops with the exact command and
    EXIT_ACTION_REQUIRED; the re-run after it plans again from the new facts."""

    name: ClassVar[str] = "action-required"
    code: str = ""  # the blocker: "wsl_not_installed", "virtualization_off", ...
    message: str = ""
    fix: str = ""  # the exact command, or what to do
    admin: bool = False
    reboot: bool = False

    def describe(self) -> str:
        needs = [w for w, on in (("an administrator", self.admin), ("a reboot", self.reboot)) if on]
        return f"stop: {self.message}; do: {self.fix}" + (
            f" (needs {' and '.join(needs)})" if needs else ""
        )


# -- devcontainer steps (the handoff through the Dev Containers CLI) ----------------------


@dataclass(frozen=True)
class DevcontainerConfig(StepSpec):
    """Write the project's devcontainer.json, or keep the user's (a diff is shown)."""

    name: ClassVar[str] = "devcontainer-config"
    workspace: str = ""  # the host folder the container mounts (the repository)
    path: str = ".devcontainer/devcontainer.json"  # relative to the workspace
    config_json: str = "{}"  # the file it writes (JSON text, keys in the file's order)

    def describe(self) -> str:
        return f"write {self.path} unless the user has one (never overwritten; a diff is shown)"

    def document(self) -> dict[str, Any]:
        import json

        out: dict[str, Any] = json.loads(self.config_json)
        return out

    def fields(self) -> dict[str, Any]:
        out = super().fields()
        del out["config_json"]
        out["config"] = self.document()
        return out


@dataclass(frozen=True)
class ContainerUp(Preflight):
    """`devcontainer up`: build or pull the image, create or reuse the container, check it.
    A Preflight: it is how a devcontainer handoff reaches its target."""

    name: ClassVar[str] = "container-up"
    strategy: str = "devcontainer"
    workspace: str = ""
    config_path: str = ".devcontainer/devcontainer.json"
    engine: str = "docker"  # the engine that answered: docker | podman
    cli_version: str = ""  # @devcontainers/cli pinned in the repository, for npx
    mounts: tuple[str, ...] = ()  # added with --mount when the file is the user's
    remote_env: tuple[str, ...] = ()  # NAME=value added with --remote-env likewise
    # Podman copies the caller's proxy variables (credentials and all) into a new
    # container; they are passed on only when the sync may use the network.
    pass_proxy: bool = False

    def describe(self) -> str:
        path = "" if self.engine == "docker" else f" --docker-path {self.engine}"
        return (
            f"`devcontainer up --workspace-folder <project>{path}`: the image, the container "
            f"(reused when it exists), then check Python >= 3.9 in it"
        )


@dataclass(frozen=True)
class PostCreate(StepSpec):
    """Stage 0 in the container: the devcontainer's postCreateCommand, run with
    `devcontainer exec` and this host's start time."""

    name: ClassVar[str] = "post-create"
    command: str = ""  # a POSIX shell command, run in the workspace folder there

    def describe(self) -> str:
        profile = self.command.partition("--profile ")[2].split(" ")[0] or "?"
        return (
            "run the postCreateCommand (stage 0: sh install.sh --profile "
            f"{profile}) with `devcontainer exec`, output streamed"
        )


HANDOFF_SPECS: tuple[type[StepSpec], ...] = (
    Preflight,
    Transfer,
    DetectThere,
    ShipBundle,
    RunThere,
    CollectReport,
    DevcontainerConfig,
    ContainerUp,
    PostCreate,
)

__all__ = [
    "HANDOFF_SPECS",
    "NETWORK_POLICIES",
    "WHEELHOUSE",
    "CollectReport",
    "ContainerUp",
    "DetectThere",
    "DevcontainerConfig",
    "EnsureUv",
    "FirstRun",
    "ImportCache",
    "LockChoice",
    "PostCreate",
    "Preflight",
    "ProvidePython",
    "Report",
    "RunThere",
    "ShipBundle",
    "StepSpec",
    "Sync",
    "Transfer",
    "UserAction",
    "sync_argv",
]
