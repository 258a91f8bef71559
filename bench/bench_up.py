"""`bootstrap up` side by side with what it drives and with pip: medians of N runs.

  (a) `bootstrap up --profile python-service --refresh` into a fresh venv, warm uv cache,
      vs the raw commands it drives: `uv sync --frozen --offline --no-build` + the first
      run (`.venv/bin/python -m service`).                         goal: ours/raw <= 1.10
  (b) pip onboarding of the same locked packages: `python -m venv` + `pip install
      --no-index --require-hashes --find-links WHEELHOUSE -r requirements.txt` + the same
      first run, vs (a)'s `bootstrap up`.                          goal: pip/ours >= 10
  (c) the no-op re-run `bootstrap up --profile python-service` vs a no-op
      `uv sync --frozen --offline`.                                goal: ours/raw <= 2
  (d) a machine with no network: fresh HOME, BOOTSTRAP_HOME, uv cache and XDG dirs, a
      fresh copy of the repository, `install.sh --cache-bundle FILE --profile
      python-service` under `unshare -n` (only loopback up, for the service's own
      request) to the first run.                       goal: <= 3 s, bundle <= 30 MB
  (e) a team's repository (tests/fixtures/teamrepo: click's dependency groups) through
      the profile it keeps, only its tests group, the tests as the first run:
      `bootstrap up --project DIR --refresh` into a fresh venv vs the raw `uv sync
      --frozen --offline --no-build <the plan's selection flags>` + `python -m pytest`.
                                                                   goal: ours/raw <= 1.10
  (f) the same as (d) for bench/projects/web-stack, ~30 locked packages (pydantic,
      SQLAlchemy, httpx, requests, rich ...): timed for reference. goal: bundle <= 1.2 x
      (the project's wheels + uv)
  (g) the same as (d) for a project that depends on PyTorch's CPU build, to `python -c
      "import torch; print(torch.ones(2) @ torch.ones(2))"`. The wheel comes from disk
      (--torch-wheels DIR, default PIP_FIND_LINKS), served on 127.0.0.1 as a find-links
      page with its SHA-256 so that uv locks it with a hash; no multi-GB download.
                                                                   goal: <= 30 s
  (i) the no-op re-run as a user types it, `./install.sh --profile python-service`
      (stage 0, `uv run` into the tool's environment, `bootstrap up`), vs a no-op
      `uv sync --frozen --offline`, with the split of where the time goes.
                                                                   goal: ours/raw <= 3
  (k) issue 20's side by side, fresh venv, warm uv cache: the raw `uv sync --frozen
      --offline` + the first run, mise running a `bootstrap` task that does the same
      (`mise bootstrap --yes`; --mise PATH, the binary of the npm package
      @jdxcode/mise-linux-x64), and `bootstrap up --refresh`. The tool's overhead is
      ours - raw.                          goal: overhead <= 0.15 s, ours/mise <= 1.0
  ((f) and (g) are issue 12's benchmarks (e) and (f); (h) is bench_devcontainer.py.)

--before PATH (another checkout's `bootstrap` console script, e.g. the code before a
change) adds it, round-robin with ours, to (c) and (k): on a shared machine only a
comparison taken in the same minutes says whether a change made the tool faster.

Every figure comes with the CPU time (user + system of all the processes) and the load
average it ran under: on a shared machine, wall time follows the load, CPU time far less.

Everything runs in a temporary directory: its own HOME, XDG dirs, BOOTSTRAP_HOME, uv
cache, a copy of the profile and of examples/python-service (found through
BOOTSTRAP_PROFILE_PATH), BOOTSTRAP_NO_METRICS=1. The pinned uv (checked against the
repository's pin) is installed there by install.sh from the pinned wheel. Setup needs
the network once (the uv wheel, warming the uv cache, pip's wheelhouse, packing the
bundle); the timed runs need none. Resets between runs (deleting the venv, copying the
repository) are not timed; each command is run once untimed first to warm the page cache,
and compared commands run round-robin so that the machine's load hits them alike.

    uv run python bench/bench_up.py [--runs 5] [--only a,b,c,d,e,f,g,i,k] [--uv-artifact WHEEL]
        [--torch-wheels DIR] [--mise PATH] [--before PATH]
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.server
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    Arg,
    BenchError,
    Measure,
    Sample,
    Step,
    measure,
    print_results,
    row,
    run_step,
    time_command,
)

PROFILE = "python-service"
EXAMPLE = REPO / "examples" / PROFILE
FIRST_RUN_OK = "service ok"  # what `python -m service` prints when its request succeeded
GOAL_A, GOAL_B, GOAL_C, GOAL_D, GOAL_E = 1.10, 10.0, 2.0, 3.0, 1.10
GOAL_D_MB, GOAL_F, GOAL_G = 30.0, 1.2, 30.0  # (d) MB; (f) bundle/(wheels + uv); (g) s
GOAL_I = 3.0  # (i) ./install.sh no-op / uv sync no-op
GOAL_K_OVERHEAD, GOAL_K_MISE = 0.15, 1.0  # (k) ours - raw (s); ours / mise
TEAMREPO = REPO / "tests" / "fixtures" / "teamrepo"
TEAM_FIRST_RUN_OK = "1 passed"  # the fixture project's one test
WEB_STACK = Path(__file__).resolve().parent / "projects" / "web-stack"
WEB_STACK_PROFILE = WEB_STACK.parent / "profiles" / "web-stack.toml"
# The parts of the repository a clone needs for stage 0 and `bootstrap up`.
REPO_FILES = ("install.sh", "pyproject.toml", "uv.lock", "README.md")
REPO_DIRS = ("bootstrap", "profiles")
IGNORE = shutil.ignore_patterns("__pycache__", ".venv", "*.pyc")
CA_VARS = ("SSL_CERT_FILE", "SSL_CERT_DIR", "PIP_CERT", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")
OFFLINE_SH = 'ip link set lo up 2>/dev/null || true; exec sh ./install.sh "$@"'


def say(text: str) -> None:
    print(f"bench_up: {text}", file=sys.stderr, flush=True)


def home_env(root: Path, path: str) -> dict[str, str]:
    """A home of its own: HOME, XDG dirs, BOOTSTRAP_HOME and uv cache under ``root``."""
    home = root / "home"
    env = {
        "PATH": path,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_STATE_HOME": str(home / ".local" / "state"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "BOOTSTRAP_HOME": str(root / "bootstrap-home"),
        "UV_CACHE_DIR": str(root / "uv-cache"),
        "BOOTSTRAP_NO_METRICS": "1",
        "LANG": "C.UTF-8",
        "TERM": "dumb",
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }
    # The machine's CA settings and proxy, so that the (untimed) downloads of the setup
    # work behind a TLS-inspecting proxy; nothing else of the caller's environment.
    for var in (*CA_VARS, "HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy"):
        if var in os.environ:
            env[var] = os.environ[var]
    for key in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        Path(env[key]).mkdir(parents=True, exist_ok=True)
    return env


def copy_project(dest: Path) -> Path:
    """examples/python-service and its profile, in the same relative layout."""
    (dest / "profiles").mkdir(parents=True)
    shutil.copy2(REPO / "profiles" / f"{PROFILE}.toml", dest / "profiles")
    project = dest / "examples" / PROFILE
    shutil.copytree(EXAMPLE, project, ignore=IGNORE)
    return project


def copy_repo(dest: Path) -> Path:
    """A clone's worth of the repository (no venvs, no caches) for stage 0."""
    dest.mkdir(parents=True)
    for name in REPO_FILES:
        shutil.copy2(REPO / name, dest / name)
    for name in REPO_DIRS:
        shutil.copytree(REPO / name, dest / name, ignore=IGNORE)
    shutil.copytree(EXAMPLE, dest / "examples" / PROFILE, ignore=IGNORE)
    return dest


def netns_available() -> bool:
    if not shutil.which("unshare"):
        return False
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True, check=False)
    return probe.returncode == 0


def first_line(argv: list[str], env: dict[str, str] | None = None) -> str:
    out = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    return (out.stdout or out.stderr).strip().splitlines()[0] if out.returncode == 0 else "?"


def machine(py: Path, uv: Path) -> list[str]:
    cpu = "?"
    mem = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
            break
    os_name = platform.platform()
    if Path("/etc/os-release").is_file():
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = line.split("=", 1)[1].strip('"')
    pip = first_line([str(py), "-c", "import ensurepip; print(ensurepip.version())"])
    return [
        f"- date: {dt.datetime.now(dt.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- machine: {cpu}, nproc {len(os.sched_getaffinity(0))}, RAM {mem}, "
        f"load average at the end {os.getloadavg()[0]:.2f}",
        f"- OS: {os_name}, kernel {platform.release()}"
        + (", in a container" if Path("/.dockerenv").exists() else ""),
        f"- Python: {first_line([str(py), '--version'])} ({py}); pip {pip} (ensurepip)",
        f"- uv: {first_line([str(uv), '--version'])} (the pinned uv)",
    ]


class Bench:
    def __init__(
        self, root: Path, runs: int, uv_artifact: Path | None, before: Path | None = None
    ) -> None:
        self.root = root
        self.runs = runs
        self.before = before  # another checkout's `bootstrap`, measured beside ours
        self.tool = REPO / ".venv" / "bin" / "bootstrap"
        if not self.tool.is_file():
            raise BenchError(f"{self.tool} is missing: run `uv sync` in the repository first")
        # One interpreter for everything: the one running this script, alone on PATH
        # in front of the system directories (no pyenv shims, no uv on PATH).
        pybin = root / "pybin"
        pybin.mkdir()
        base = Path(sys.base_prefix) / "bin" / "python3"
        (pybin / "python3").symlink_to(base if base.exists() else Path(sys.executable))
        self.path = f"{pybin}:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"
        self.env = home_env(root, self.path)
        self.project = copy_project(root / "tree")
        self.env["BOOTSTRAP_PROFILE_PATH"] = str(root / "tree" / "profiles")
        self.plan = json.loads(self.run([self.tool, "plan", "--profile", PROFILE, "--json"]))
        self.target = str(self.plan["target"])
        self.artifact = uv_artifact or self.fetch_uv()
        self.uv = self.install_uv()
        # The Python `bootstrap up` picks (its python step, run from the same directory:
        # uv would prefer a .venv there), used by the raw commands too.
        found = self.run(
            [self.uv, "python", "find", "--no-project", ">=3.9"],
            cwd=self.root,
            env=dict(self.env, UV_PYTHON_DOWNLOADS="never"),
        )
        self.py = Path(found.strip().splitlines()[-1])
        self.raw_env = dict(self.env, UV_PYTHON=str(self.py), UV_PYTHON_DOWNLOADS="never")
        say("warming the uv cache (online `uv sync --frozen`, untimed)")
        self.run([self.uv, "sync", "--frozen", "--no-build"], cwd=self.project)
        self.reset_venv()
        self.samples: list[Sample] = []
        self.notes: list[str] = []

    # -- setup helpers ----------------------------------------------------------------

    def run(
        self, argv: Sequence[Arg], *, cwd: Path | None = None, env: dict[str, str] | None = None
    ) -> str:
        return run_step(Step(argv, cwd), self.env if env is None else env)

    def measured(self, *samples: Sample) -> None:
        self.samples.extend(samples)

    def fetch_uv(self) -> Path:
        from bootstrap.cache.pack import PYPI_SIMPLE, fetch_uv_artifact
        from bootstrap.cache.pin import repo_pin
        from bootstrap.cache.targets import parse_target

        say("downloading the pinned uv wheel (checked against the pin)")
        return fetch_uv_artifact(
            parse_target(self.target), repo_pin(), self.root / "uv-artifact", index_url=PYPI_SIMPLE
        )

    def install_uv(self) -> Path:
        env = dict(
            self.env, BOOTSTRAP_UV_LOCAL=str(self.artifact.parent), BOOTSTRAP_UV_SOURCES="local"
        )
        out = self.run(["sh", REPO / "install.sh", "--no-run"], env=env)
        match = re.search(r"is ready: (\S+)", out)
        if not match:
            raise BenchError(f"install.sh did not say where uv is:\n{out}")
        return Path(match.group(1))

    def reset_venv(self) -> None:
        shutil.rmtree(self.project / ".venv", ignore_errors=True)

    def up(self, *extra: str) -> list[Arg]:
        return [self.tool, "up", "--profile", PROFILE, *extra]

    def before_measures(self, *measures: Measure) -> list[Measure]:
        """The same measures with --before's `bootstrap` in place of ours (none without)."""
        if self.before is None:
            return []
        before = self.before

        def swap(step: Step) -> Step:
            argv = [before if a == self.tool else a for a in step.argv]
            return Step(argv, step.cwd)

        return [
            Measure(
                f"before: {m.label}",
                [swap(st) for st in m.steps],
                m.env,
                m.before_each,
                m.expect,
            )
            for m in measures
        ]

    def compare_before(self, ours: Sequence[Sample], before: Sequence[Sample]) -> None:
        """A note per pair measured alternately: ours against the code before, as ratios."""
        for mine, theirs in zip(ours, before):
            self.notes.append(
                f"vs --before, measured alternately: {mine.label} {mine.median:.3f} s (CPU "
                f"{mine.cpu_median:.2f} s) vs {theirs.median:.3f} s (CPU "
                f"{theirs.cpu_median:.2f} s): {mine.median / theirs.median:.2f}x, "
                f"{mine.median - theirs.median:+.3f} s"
            )

    # -- the benchmarks ---------------------------------------------------------------

    def wheelhouse(self) -> tuple[Path, Path] | None:
        """The lock's packages as hashed requirements and a local wheelhouse (untimed)."""
        req = self.root / "requirements.txt"
        export = ["export", "--frozen", "--no-emit-project", "--format", "requirements-txt"]
        self.run([self.uv, *export, "-o", req], cwd=self.project)
        house = self.root / "wheelhouse"
        pip: list[Arg] = [self.py, "-m", "pip"]
        has_pip = [str(self.py), "-m", "pip", "--version"]
        if subprocess.run(has_pip, capture_output=True, check=False).returncode:
            self.run([self.py, "-m", "venv", self.root / "pip-download"])
            pip = [self.root / "pip-download" / "bin" / "python", "-m", "pip"]
        download = ["download", "--no-deps", "--only-binary", ":all:", "--require-hashes"]
        try:
            self.run([*pip, *download, "-r", req, "-d", house])
        except BenchError as exc:
            say(f"(b) skipped: cannot build the wheelhouse with pip download: {exc}")
            return None
        return req, house

    def bench_fresh(self, a: bool, b: bool) -> list[str]:
        """(a) and (b): a fresh venv each run; ours, raw uv and pip measured round-robin."""
        venv = self.project / ".venv"
        first_run = Step([venv / "bin" / "python", "-m", "service"], self.project)
        ours = Measure(
            "bootstrap up --refresh, fresh venv",
            [Step(self.up("--refresh"), self.root)],
            self.env,
            self.reset_venv,
            FIRST_RUN_OK,
        )
        specs = [ours]
        if a:
            sync: list[Arg] = [self.uv, "sync", "--frozen", "--offline", "--no-build"]
            specs.append(
                Measure(
                    "uv sync --frozen --offline --no-build + python -m service",
                    [Step(sync, self.project), first_run],
                    self.raw_env,
                    self.reset_venv,
                    FIRST_RUN_OK,
                )
            )
        built = self.wheelhouse() if b else None
        if built is not None:
            req, house = built
            install: list[Arg] = [
                "install",
                "--no-index",
                "--require-hashes",
                "--find-links",
                house,
            ]
            specs.append(
                Measure(
                    "python -m venv + pip install --no-index --require-hashes + python -m service",
                    [
                        Step([self.py, "-m", "venv", venv]),
                        Step([venv / "bin" / "python", "-m", "pip", *install, "-r", req]),
                        first_run,
                    ],
                    self.raw_env,
                    self.reset_venv,
                    FIRST_RUN_OK,
                )
            )
        say(f"(a/b) fresh venv: {', '.join(spec.label for spec in specs)}")
        samples = measure(specs, runs=self.runs)
        self.measured(*samples)
        rows = []
        mine = samples[0]
        self.split_notes(samples, a=a, pip=built is not None)
        if a:
            raw = samples[1]
            ratio = mine.median / raw.median
            rows.append(
                row(
                    "(a) `up --refresh`, fresh venv, warm cache vs `uv sync --frozen --offline "
                    "--no-build` + first run",
                    mine,
                    raw,
                    ratio=ratio,
                    goal=f"ours/raw <= {GOAL_A:.2f}",
                    ok=ratio <= GOAL_A,
                )
            )
        if b and built is None:
            rows.append("| (b) pip onboarding | skipped: no wheelhouse (see the log) | | | | |")
        elif b:
            pip = samples[-1]
            ratio = pip.median / mine.median
            rows.append(
                row(
                    "(b) `up --refresh`, fresh venv vs `python -m venv` + `pip install "
                    "--no-index --require-hashes` (local wheelhouse) + first run",
                    mine,
                    pip,
                    ratio=ratio,
                    goal=f"pip/ours >= {GOAL_B:.0f}",
                    ok=ratio >= GOAL_B,
                )
            )
        return rows

    def split_notes(self, samples: list[Sample], *, a: bool, pip: bool) -> None:
        """Where the time went: the first run's own share (the tool reports it per run;
        the raw commands are timed step by step), and the ratios without it."""
        mine = samples[0]
        first = []
        for out in mine.outputs:
            m = re.search(r"\[first-run\] done in ([0-9.]+)s", out)
            first.append(float(m.group(1)) if m else float("nan"))
        rest = statistics.median(w - f for w, f in zip(mine.runs, first))
        runs = ", ".join(f"{f:.2f}" for f in first)
        self.notes.append(
            f"ours, split: first run (as the tool reports it) median "
            f"{statistics.median(first):.3f} s (runs: {runs}); everything else "
            f"{rest:.3f} s"
        )
        if a:
            raw = samples[1]
            sync, run = raw.step_median(0), raw.step_median(1)
            runs = ", ".join(f"{t[1]:.2f}" for t in raw.step_runs)
            self.notes.append(
                f"(a) raw, split: `uv sync` {sync:.3f} s, first run {run:.3f} s (runs: {runs}); "
                f"without the first run: ours {rest:.3f} s vs `uv sync` {sync:.3f} s "
                f"({rest / sync:.1f}x, +{rest - sync:.3f} s)"
            )
        if pip:
            pips = samples[-1]
            venv, install, run = (pips.step_median(i) for i in range(3))
            setup = statistics.median(t[0] + t[1] for t in pips.step_runs)
            self.notes.append(
                f"(b) pip, split: `python -m venv` {venv:.3f} s, `pip install` {install:.3f} s, "
                f"first run {run:.3f} s; without the first run: pip {setup:.3f} s vs ours "
                f"{rest:.3f} s ({setup / rest:.1f}x)"
            )

    def bench_c(self) -> list[str]:
        self.reset_venv()
        self.run(self.up(), cwd=self.root)  # a successful run the re-runs can skip
        say("(c) no-op re-run vs uv sync --frozen --offline no-op")
        samples = measure(
            [
                Measure(
                    "bootstrap up (no-op)",
                    [Step(self.up(), self.root)],
                    self.env,
                    expect="up to date",
                ),
                Measure(
                    "uv sync --frozen --offline (no-op)",
                    [Step([self.uv, "sync", "--frozen", "--offline"], self.project)],
                    self.raw_env,
                ),
                # Not part of the goal: the floor any run of the CLI pays (interpreter
                # start-up, click), to tell the tool's own work from it.
                Measure("bootstrap --version", [Step([self.tool, "--version"])], self.env),
                # `--help` must stay instant: the command modules load only when run.
                Measure(
                    "bootstrap --help", [Step([self.tool, "--help"])], self.env, expect="Usage"
                ),
                *self.before_measures(
                    Measure(
                        "bootstrap up (no-op)",
                        [Step(self.up(), self.root)],
                        self.env,
                        expect="up to date",
                    ),
                    Measure(
                        "bootstrap --help", [Step([self.tool, "--help"])], self.env, expect="Usage"
                    ),
                ),
            ],
            runs=self.runs,
        )
        ours, raw, floor, helped, *before = samples
        self.measured(*samples)
        self.compare_before([ours, helped], before)
        self.notes.append(
            f"(c) split: `bootstrap --version` (interpreter + CLI start-up) {floor.median:.3f} s; "
            f"the no-op check itself {ours.median - floor.median:.3f} s"
        )
        ratio = ours.median / raw.median
        return [
            row(
                "(c) no-op re-run `up` vs `uv sync --frozen --offline`",
                ours,
                raw,
                ratio=ratio,
                goal=f"ours/raw <= {GOAL_C:.0f}",
                ok=ratio <= GOAL_C,
            )
        ]

    def bench_k(self, mise: Path | None) -> list[str]:
        """(k): issue 20's side by side, a fresh venv each run, round-robin: the raw
        `uv sync --frozen --offline` + first run, mise's `bootstrap` task doing the same,
        and `bootstrap up --refresh` (and --before's, when given)."""
        if mise is None:
            say("(k) skipped: no mise binary (--mise PATH; npm pack @jdxcode/mise-linux-x64)")
            return ["| (k) vs mise | skipped: no mise binary (--mise PATH) | | | | |"]
        venv = self.project / ".venv"
        config = self.project / "mise.toml"
        sync = [str(self.uv), "sync", "--frozen", "--offline"]
        # The same commands as the raw side, through mise's task runner (it runs `run` with
        # `sh -c`); `mise bootstrap` runs the task named `bootstrap` last, after its other
        # phases (none is configured here).
        config.write_text(
            "[tasks.bootstrap]\n"
            f"run = {json.dumps(shlex.join(sync) + ' && .venv/bin/python -m service')}\n"
        )
        try:
            self.run([mise, "trust", config], cwd=self.project, env=self.raw_env)
            version = self.run([mise, "--version"], env=self.raw_env).strip()
            ours = Measure(
                "bootstrap up --refresh, fresh venv",
                [Step(self.up("--refresh"), self.root)],
                self.env,
                self.reset_venv,
                FIRST_RUN_OK,
            )
            specs = [
                ours,
                Measure(
                    "uv sync --frozen --offline + python -m service",
                    [
                        Step(sync, self.project),
                        Step([venv / "bin" / "python", "-m", "service"], self.project),
                    ],
                    self.raw_env,
                    self.reset_venv,
                    FIRST_RUN_OK,
                ),
                Measure(
                    f"mise bootstrap --yes ({version})",
                    [Step([mise, "bootstrap", "--yes"], self.project)],
                    self.raw_env,
                    self.reset_venv,
                    FIRST_RUN_OK,
                ),
                *self.before_measures(ours),
            ]
            say(f"(k) fresh venv: {', '.join(spec.label for spec in specs)}")
            mine, raw, theirs, *before = measure(specs, runs=self.runs)
        finally:
            config.unlink(missing_ok=True)
        self.measured(mine, raw, theirs, *before)
        self.compare_before([mine], before)
        overhead = mine.median - raw.median
        mise_overhead = theirs.median - raw.median
        first = [_first_run_seconds(out) for out in mine.outputs]
        rest = statistics.median(w - f for w, f in zip(mine.runs, first))
        self.notes.append(
            f"(k) overhead beyond the raw commands: ours {overhead:.3f} s, mise "
            f"{mise_overhead:.3f} s; ours without its first run {rest:.3f} s vs raw `uv sync` "
            f"{raw.step_median(0):.3f} s"
        )
        # On a shared machine the wall figures follow the load; CPU time much less.
        self.notes.append(
            f"(k) CPU (user + system, every process; medians): ours {mine.cpu_median:.2f} s, "
            f"raw {raw.cpu_median:.2f} s, mise {theirs.cpu_median:.2f} s; beyond the raw "
            f"commands ours +{mine.cpu_median - raw.cpu_median:.2f} s, mise "
            f"+{theirs.cpu_median - raw.cpu_median:.2f} s"
            + "".join(f", before +{b.cpu_median - raw.cpu_median:.2f} s" for b in before)
        )
        ratio = mine.median / theirs.median
        return [
            row(
                "(k) `up --refresh` vs `mise bootstrap --yes` (task: `uv sync --frozen "
                "--offline` + first run), fresh venv, warm cache",
                mine,
                theirs,
                ratio=ratio,
                goal=f"ours/mise <= {GOAL_K_MISE:.1f}",
                ok=ratio <= GOAL_K_MISE,
            ),
            f"| (k) the tool's overhead: `up --refresh` - (`uv sync --frozen --offline` + "
            f"first run); mise's for comparison {mise_overhead:.3f} s | {overhead:.3f} s | "
            f"{raw.median:.3f} s (raw) | - | <= {GOAL_K_OVERHEAD:.2f} s | "
            f"{'met' if overhead <= GOAL_K_OVERHEAD else '**missed**'} |",
        ]

    def bench_e(self) -> list[str]:
        """(e): the team repository's own profile, its tests group, fresh venv each run."""
        project = self.root / "teamrepo"
        shutil.copytree(TEAMREPO, project, ignore=IGNORE)
        plan = json.loads(self.run([self.tool, "plan", "--project", project, "--json"]))
        sync_spec = next(st for st in plan["steps"] if st["name"] == "sync")
        argv = [str(a) for a in sync_spec["argv"]]  # the exact uv command the plan runs
        flags = argv[argv.index("--no-build") + 1 :]
        first = [str(a) for a in plan["first_run"]]
        say(f"(e) warming the uv cache for {' '.join(flags)} (online, untimed)")
        self.run([self.uv, "sync", "--frozen", "--no-build", *flags], cwd=project)
        venv = project / ".venv"

        def reset() -> None:
            shutil.rmtree(venv, ignore_errors=True)

        reset()
        ours, raw = measure(
            [
                Measure(
                    "bootstrap up --project teamrepo --refresh, fresh venv",
                    [Step([self.tool, "up", "--project", project, "--refresh"], self.root)],
                    self.env,
                    reset,
                    TEAM_FIRST_RUN_OK,
                ),
                Measure(
                    f"uv {' '.join(argv)} + {' '.join(first)}",
                    [
                        Step([self.uv, *argv], project),
                        Step([venv / "bin" / first[0], *first[1:]], project),
                    ],
                    self.raw_env,
                    reset,
                    TEAM_FIRST_RUN_OK,
                ),
            ],
            runs=self.runs,
        )
        self.measured(ours, raw)
        mine = []
        for out in ours.outputs:
            m = re.search(r"\[first-run\] done in ([0-9.]+)s", out)
            mine.append(float(m.group(1)) if m else float("nan"))
        rest = statistics.median(w - f for w, f in zip(ours.runs, mine))
        sync, run = raw.step_median(0), raw.step_median(1)
        self.notes.append(
            f"(e) split: ours first run {statistics.median(mine):.3f} s, everything else "
            f"{rest:.3f} s; raw `uv sync` {sync:.3f} s, first run {run:.3f} s; without the "
            f"first run ours/raw {rest / sync:.1f}x (+{rest - sync:.3f} s)"
        )
        ratio = ours.median / raw.median
        return [
            row(
                "(e) team repo, tests group: `up --project DIR --refresh`, fresh venv vs "
                "`uv sync --frozen --offline --no-build --no-default-groups --group tests` "
                "+ `python -m pytest`",
                ours,
                raw,
                ratio=ratio,
                goal=f"ours/raw <= {GOAL_E:.2f}",
                ok=ratio <= GOAL_E,
            )
        ]

    def bench_i(self) -> list[str]:
        """(i): `./install.sh` no-op vs `uv sync --frozen --offline` no-op, and its parts:
        stage 0 alone (`install.sh --no-run`), `uv run` into the tool's environment with
        an empty program, and `bootstrap up` started directly."""
        clone = copy_repo(self.root / "i-repo")
        install: list[Arg] = ["sh", clone / "install.sh", "--profile", PROFILE]
        say("(i) a first `./install.sh` in a clone (untimed: the tool's environment)")
        self.run(install, cwd=clone)
        say("(i) ./install.sh no-op re-run vs uv sync --frozen --offline no-op")
        uv_run: list[Arg] = [self.uv, "run", "--frozen", "--no-dev", "--project", clone]
        tool = clone / ".venv" / "bin" / "bootstrap"
        samples = measure(
            [
                Measure(
                    "./install.sh (no-op)", [Step(install, clone)], self.env, expect="up to date"
                ),
                Measure(
                    "uv sync --frozen --offline (no-op)",
                    [Step([self.uv, "sync", "--frozen", "--offline"], self.project)],
                    self.raw_env,
                ),
                Measure(
                    "install.sh --no-run",
                    [Step(["sh", clone / "install.sh", "--no-run"], clone)],
                    self.env,
                ),
                Measure(
                    "uv run --frozen python -c pass",
                    [Step([*uv_run, "python", "-c", "pass"], clone)],
                    self.env,
                ),
                Measure(
                    "bootstrap up (no-op), started directly",
                    [
                        Step(
                            [tool, "up", "--profile", PROFILE],
                            clone,
                        )
                    ],
                    self.env,
                    expect="up to date",
                ),
                # An option the quick no-op does not take (`--wait`, at its default):
                # the same no-op through click and the whole CLI, for comparison.
                Measure(
                    "bootstrap up --wait 300 (no-op through the full CLI)",
                    [Step([tool, "up", "--profile", PROFILE, "--wait", "300"], clone)],
                    self.env,
                    expect="up to date",
                ),
            ],
            runs=self.runs,
        )
        ours, raw, stage0, uv_run_s, direct, full_cli = samples
        self.measured(*samples)
        self.notes.append(
            f"(i) split (medians, each measured alone): stage 0 up to the handover "
            f"{stage0.median:.3f} s; `uv run` + interpreter start {uv_run_s.median:.3f} s; "
            f"`bootstrap up` no-op started directly {direct.median:.3f} s; "
            f"sum {stage0.median + uv_run_s.median + direct.median:.3f} s vs "
            f"`./install.sh` {ours.median:.3f} s; the same no-op through the full CLI "
            f"(click) {full_cli.median:.3f} s"
        )
        ratio = ours.median / raw.median
        return [
            row(
                "(i) no-op re-run `./install.sh` vs `uv sync --frozen --offline`",
                ours,
                raw,
                ratio=ratio,
                goal=f"ours/raw <= {GOAL_I:.0f}",
                ok=ratio <= GOAL_I,
            )
        ]

    def bench_d(self) -> list[str]:
        return self.bundle_first_run(
            "d",
            Offline(PROFILE, None, FIRST_RUN_OK, GOAL_D, max_mb=GOAL_D_MB),
            "(d) fresh HOME, no network (`unshare -n`), `install.sh --cache-bundle` to first run",
        )

    def bench_f(self) -> list[str]:
        profiles = self.root / "tree-f" / "profiles"
        profiles.mkdir(parents=True)
        shutil.copy2(WEB_STACK_PROFILE, profiles)
        shutil.copytree(WEB_STACK, self.root / "tree-f" / "web-stack", ignore=IGNORE)
        return self.bundle_first_run(
            "f",
            Offline("web-stack", profiles, "web-stack ok", None, size_goal=GOAL_F),
            "(f) the same as (d) for a project with ~30 locked packages (web-stack)",
        )

    def bench_g(self, torch_wheels: Path | None) -> list[str]:
        wheel = find_torch_wheel(torch_wheels)
        if wheel is None:
            say("(g) skipped: no PyTorch CPU wheel found (--torch-wheels DIR, or PIP_FIND_LINKS)")
            return [
                "| (g) PyTorch CPU, no network | skipped: no PyTorch CPU wheel on disk | | | | |"
            ]
        tree = self.root / "tree-g"
        with LoopbackLinks(wheel) as links:
            say(f"(g) locking a PyTorch CPU project against {wheel.name} served on {links.url}")
            profiles = torch_project(tree, wheel)
            self.run([self.uv, "lock", "--find-links", links.url], cwd=tree / "torch-cpu")
            # Packing downloads the lock's files (the torch wheel from the loopback server).
            return self.bundle_first_run(
                "g",
                Offline("torch-cpu", profiles, "tensor(2.)", GOAL_G),
                "(g) PyTorch CPU build, no network, `install.sh --cache-bundle` to "
                "`torch.ones(2) @ torch.ones(2)`",
                runs=min(self.runs, 3),
            )

    def bundle_first_run(
        self, letter: str, spec: Offline, title: str, *, runs: int | None = None
    ) -> list[str]:
        """Pack ``spec``'s bundle (online, untimed), then time a fresh machine (HOME,
        data, uv cache and a copy of the repository and project, all new each run)
        going from `install.sh --cache-bundle` to the first run under `unshare -n`."""
        if not netns_available():
            say(f"({letter}) skipped: `unshare -n` is not available here")
            return [f"| ({letter}) no network, cache bundle | skipped: no `unshare -n` | | | | |"]
        say(f"({letter}) packing the cache bundle for {spec.profile} (online, untimed)")
        bundle = self.root / f"{spec.profile}-{self.target}.tar"
        pack_env = dict(self.env)
        tree = None if spec.profiles is None else spec.profiles.parent
        if spec.profiles is not None:
            pack_env["BOOTSTRAP_PROFILE_PATH"] = str(spec.profiles)
        project = self.project if tree is None else tree / spec.profile
        try:
            self.run(
                [
                    self.tool,
                    "cache",
                    "pack",
                    "--profile",
                    spec.profile,
                    "--project",
                    project,
                    "--target",
                    self.target,
                    "--uv",
                    self.uv,
                    "--uv-artifact",
                    self.artifact,
                    "--out",
                    bundle,
                ],
                cwd=self.root,
                env=pack_env,
            )
        except BenchError as exc:
            say(f"({letter}) skipped: cannot pack the bundle: {exc}")
            return [f"| ({letter}) no network, cache bundle | skipped: packing failed | | | | |"]
        machine_dir = self.root / f"machine-{letter}"
        env = home_env(machine_dir, self.path)

        def fresh() -> None:
            shutil.rmtree(machine_dir, ignore_errors=True)
            copy_repo(machine_dir / "repo")
            if tree is not None:
                shutil.copytree(tree, machine_dir / "tree", ignore=IGNORE)
            env.clear()
            env.update(home_env(machine_dir, self.path))
            if tree is not None:
                env["BOOTSTRAP_PROFILE_PATH"] = str(machine_dir / "tree" / "profiles")

        fresh()
        say(f"({letter}) install.sh --cache-bundle under unshare -n, fresh machine each run")
        sample = time_command(
            [
                "unshare",
                "-n",
                "sh",
                "-c",
                OFFLINE_SH,
                "install.sh",
                "--cache-bundle",
                str(bundle),
                "--profile",
                spec.profile,
            ],
            runs=self.runs if runs is None else runs,
            env=env,
            cwd=machine_dir / "repo",
            before_each=fresh,
            label=f"({letter}) unshare -n install.sh --cache-bundle --profile {spec.profile}",
            expect=spec.expect,
        )
        self.measured(sample)
        shutil.rmtree(machine_dir, ignore_errors=True)
        size = bundle_sizes(bundle)
        self.notes += split_note(letter, sample, size)
        if spec.goal is None:
            rows = [f"| {title} | {sample.median:.3f} s | - | - | none (timed for reference) | - |"]
        else:
            ok = sample.median <= spec.goal
            rows = [row(title, sample, None, ratio=None, goal=f"<= {spec.goal:.0f} s", ok=ok)]
        if spec.max_mb is not None:
            mb = size.total / 1e6
            rows.append(
                f"| ({letter}) bundle size | {mb:.1f} MB | - | - | <= {spec.max_mb:.0f} MB | "
                f"{'met' if mb <= spec.max_mb else '**missed**'} |"
            )
        if spec.size_goal is not None:
            ratio = size.total / (size.project + size.uv)
            rows.append(
                f"| ({letter}) bundle size vs the project's wheels {size.project / 1e6:.1f} MB + "
                f"uv {size.uv / 1e6:.1f} MB (the bundle also carries the bootstrapper's runtime "
                f"wheels the project does not share) | {size.total / 1e6:.1f} MB | "
                f"{(size.project + size.uv) / 1e6:.1f} MB | {ratio:.2f}x | "
                f"<= {spec.size_goal:.1f}x | {'met' if ratio <= spec.size_goal else '**missed**'} |"
            )
        return rows


@dataclass(frozen=True)
class Offline:
    """A bundle benchmark: the profile, the directory of profiles holding it (None: the
    repository's own), what its first run prints, and the goals."""

    profile: str
    profiles: Path | None
    expect: str
    goal: float | None  # seconds (None: the issue sets only a size goal)
    size_goal: float | None = None  # bundle / (project wheels + uv)
    max_mb: float | None = None  # the bundle's size


@dataclass(frozen=True)
class Sizes:
    total: int  # the bundle file
    uv: int
    tool: int
    project: int


def bundle_sizes(bundle: Path) -> Sizes:
    """The bundle's size and its parts' (from the manifest and the tar's member sizes)."""
    import tarfile

    from bootstrap.cache.importer import peek_manifest

    manifest = peek_manifest(bundle)
    with tarfile.open(bundle, "r:") as tar:
        sizes = {m.name: m.size for m in tar.getmembers()}

    def part(name: str) -> int:
        return sum(sizes.get(f"wheels/{f}", 0) for f in manifest.parts.get(name, []))

    return Sizes(bundle.stat().st_size, sizes[manifest.uv_artifact], part("tool"), part("project"))


PHASES = re.compile(r"^\s+detect [0-9.]+s.*$", re.M)


def split_note(letter: str, sample: Sample, size: Sizes) -> list[str]:
    """Where a bundle run's time went: CPU, stage 0 (with Python's start) and the phases
    of `bootstrap up`, medians over the runs; and the load it ran under."""
    totals: list[float] = []
    phases: dict[str, list[float]] = {}
    for out in sample.outputs:
        m = re.search(r"time to first successful run: ([0-9.]+)s", out)
        p = PHASES.search(out)
        if not m or not p:
            continue
        totals.append(float(m.group(1)))
        for name, secs in re.findall(r"([a-z_]+) ([0-9.]+)s", p.group(0)):
            phases.setdefault(name, []).append(float(secs))
    if not totals:
        return [f"({letter}) the tool's timing report was not found in the output"]
    up = [sum(v[i] for v in phases.values()) for i in range(len(totals))]
    stage0 = statistics.median(t - u for t, u in zip(totals, up))
    parts = ", ".join(f"{k} {statistics.median(v):.2f} s" for k, v in phases.items())
    return [
        f"({letter}) bundle {size.total / 1e6:.1f} MB (uv {size.uv / 1e6:.1f} MB, the "
        f"bootstrapper's runtime wheels {size.tool / 1e6:.1f} MB, the project's "
        f"{size.project / 1e6:.1f} MB); wall median {sample.median:.2f} s, CPU (user + "
        f"system, all processes) median {sample.cpu_median:.2f} s, load average "
        f"{sample.load} during the runs",
        f"({letter}) split (medians): `total` in the tool's report "
        f"{statistics.median(totals):.2f} s = stage 0 and Python's start {stage0:.2f} s + "
        f"`bootstrap up`'s phases: {parts}",
    ]


def _first_run_seconds(output: str) -> float:
    """The first run's own time, as `bootstrap up` reports it (NaN when it did not)."""
    m = re.search(r"\[first-run\] done in ([0-9.]+)s", output)
    return float(m.group(1)) if m else float("nan")


def find_torch_wheel(directory: Path | None) -> Path | None:
    """A PyTorch CPU wheel for this Python, in ``directory`` or the directories pip is
    told to find links in (PIP_FIND_LINKS): a CPU build, never a multi-GB download."""
    tag = f"cp{sys.version_info[0]}{sys.version_info[1]}"
    dirs = (
        [directory]
        if directory
        else [Path(p) for p in os.environ.get("PIP_FIND_LINKS", "").split()]
    )
    for d in dirs:
        if d.is_dir():
            for wheel in sorted(
                d.glob(f"torch-*+cpu-{tag}-{tag}-*linux*_{platform.machine()}.whl")
            ):
                return wheel
    return None


def torch_project(tree: Path, wheel: Path) -> Path:
    """A project that depends on exactly this PyTorch CPU build, and its profile."""
    version = wheel.name.split("-")[1]
    project = tree / "torch-cpu"
    project.mkdir(parents=True)
    py = f"{sys.version_info[0]}.{sys.version_info[1]}"
    (project / "pyproject.toml").write_text(
        "[project]\n"
        'name = "torch-cpu"\n'
        'version = "0.1.0"\n'
        f'requires-python = "=={py}.*"\n'
        f'dependencies = ["torch=={version}"]\n\n'
        "[tool.uv]\n"
        "package = false\n"
        "environments = [\"sys_platform == 'linux' and "
        f"platform_machine == '{platform.machine()}'\"]\n"
    )
    profiles = tree / "profiles"
    profiles.mkdir()
    (profiles / "torch-cpu.toml").write_text(
        'name = "torch-cpu"\n'
        'description = "Benchmark (f): PyTorch\'s CPU build."\n'
        'kind = "python"\n\n'
        "[project]\n"
        'path = "../torch-cpu"\n'
        f'python = "=={py}.*"\n'
        'python_downloads = "manual"\n\n'
        "[[locks]]\n"
        'kind = "uv"\n'
        'path = "uv.lock"\n\n'
        "[needs]\n"
        "min_memory_gb = 1\n"
        "min_disk_gb = 2\n\n"
        "[strategies]\n"
        'allowed = ["native"]\n\n'
        "[first_run]\n"
        'command = ["python", "-c", "import torch; print(torch.ones(2) @ torch.ones(2))"]\n'
        "timeout_seconds = 300\n"
    )
    return profiles


class LoopbackLinks:
    """A find-links page for one wheel, served on 127.0.0.1 with the wheel's SHA-256 in
    the link, so that uv records the hash in the lock (for a local path it records
    none, and a bundle's files must each match a hash in a lock)."""

    def __init__(self, wheel: Path) -> None:
        self.wheel = wheel
        self.url = ""

    def __enter__(self) -> LoopbackLinks:
        import functools
        import threading
        from urllib.parse import quote

        from bootstrap.cache.bundle import sha256_file

        root = Path(tempfile.mkdtemp(prefix="links-"))
        (root / self.wheel.name).symlink_to(self.wheel)
        digest = sha256_file(self.wheel)
        (root / "index.html").write_text(
            f'<a href="{quote(self.wheel.name)}#sha256={digest}">{self.wheel.name}</a>\n'
        )
        handler = functools.partial(QuietHandler, directory=str(root))
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._root = root
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/index.html"
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        shutil.rmtree(self._root, ignore_errors=True)


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5, help="timed runs per command (default 5)")
    ap.add_argument(
        "--only", default="a,b,c,d,e,f,g,i,k", help="comma-separated subset of a-g, i, k"
    )
    ap.add_argument("--uv-artifact", type=Path, help="the pinned uv wheel (else downloaded)")
    ap.add_argument(
        "--torch-wheels",
        type=Path,
        help="a directory holding a PyTorch CPU wheel for (g) (default: PIP_FIND_LINKS)",
    )
    ap.add_argument(
        "--mise",
        type=Path,
        default=shutil.which("mise"),
        help="the mise binary for (k) (npm pack @jdxcode/mise-linux-x64; default: on PATH)",
    )
    ap.add_argument(
        "--before",
        type=Path,
        help="another checkout's `bootstrap` console script, measured beside ours in (c), (k)",
    )
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = ap.parse_args()
    only = {x.strip() for x in args.only.split(",") if x.strip()}
    if not only or only - set("abcdefgik"):
        ap.error(f"--only takes letters from a,b,c,d,e,f,g,i,k, not {args.only!r}")
    if args.runs < 1:
        ap.error("--runs must be at least 1")
    start = time.perf_counter()
    root = Path(tempfile.mkdtemp(prefix="bench-up-"))
    try:
        bench = Bench(
            root,
            args.runs,
            args.uv_artifact.resolve() if args.uv_artifact else None,
            args.before.absolute() if args.before else None,
        )
        rows: list[str] = []
        if only & {"a", "b"}:
            rows += bench.bench_fresh("a" in only, "b" in only)
        if "c" in only:
            rows += bench.bench_c()
        if "d" in only:
            rows += bench.bench_d()
        if "e" in only:
            rows += bench.bench_e()
        if "f" in only:
            rows += bench.bench_f()
        if "g" in only:
            rows += bench.bench_g(args.torch_wheels)
        if "i" in only:
            rows += bench.bench_i()
        if "k" in only:
            rows += bench.bench_k(Path(args.mise).absolute() if args.mise else None)
        print_results(
            f"## `bootstrap up` ({PROFILE}): median of {args.runs} runs",
            machine(bench.py, bench.uv),
            rows,
            samples=bench.samples,
            notes=bench.notes,
            started=start,
        )
    except BenchError as exc:
        say(f"error: {exc}")
        return 1
    finally:
        if args.keep:
            say(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
