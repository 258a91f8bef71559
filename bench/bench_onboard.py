"""`bootstrap onboard` and `bootstrap swap restore` vs the commands a person would type.

Three small real projects, each a repository on a local git server (``git daemon`` on
127.0.0.1), each keeping its own profile (``bootstrap.toml``) with its tests or its
request as the first run: examples/python-service (bottle + itsdangerous, not a
package), and tests/support/realshapes.py's ``srcapp`` (src layout, hatchling, pytest in a
group) and ``flatws`` (flat layout with setuptools, a uv workspace with a hatchling
member, unittest), written with ``realshapes.write`` and locked once with the pinned uv.

  (a) a warm uv cache: `bootstrap onboard MANIFEST` (fresh workspace and tool data each
      run; the uv cache kept) vs the raw sequence, the three projects one after the
      other: `git clone URL DIR` + `uv sync --frozen --offline <the plan's selection>`
      + the project's first run (`.venv/bin/...`).              goal: ours/raw <= 1.0
  (b) a new machine with no network (`unshare -n`, only loopback up, the git daemon
      started inside the namespace): `bootstrap swap restore FILE` of a swap file
      exported with `--bundles` on a first HOME, on a fresh HOME, data and uv cache
      each run, vs the raw sequence from the same bundles, per project: `git clone` +
      `tar -xf BUNDLE wheels` (the bundle's wheels in a directory) + `uv export --frozen
      <selection> -o REQS` + `uv venv` + `uv pip install --offline --no-index
      --find-links WHEELS -r REQS` + the first run. (`uv sync --frozen --offline
      --find-links` cannot do it: a frozen sync fetches each package from the URL the
      lock records, never from find-links.)                     goal: ours/raw <= 1.2

Every figure comes with the CPU time (user + system of all the processes) and the load
average it ran under. Everything runs in a temporary directory with its own HOME, XDG
dirs, BOOTSTRAP_HOME and uv cache, BOOTSTRAP_NO_METRICS=1; the pinned uv is installed
there by install.sh from the pinned wheel. Setup needs the network once (the uv wheel,
locking, warming the uv cache, packing the bundles); the timed runs need none. Resets
are not timed; each command runs once untimed first, and compared commands run
round-robin.

    uv run python bench/bench_onboard.py [--runs 5] [--only a,b] [--uv-artifact WHEEL]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(REPO / "tests"))

from bench_up import IGNORE, home_env, machine, netns_available  # noqa: E402
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
)
from support import realshapes  # noqa: E402
from support.gitserver import GIT_ENV, git_daemon  # noqa: E402

GOAL_A, GOAL_B = 1.0, 1.2
NAMES = ("python-service", "srcapp", "flatws")
# What each first run prints when it succeeded.
FIRST_RUN_OK = {"python-service": "service ok", **realshapes.PASSED}
SERVICE_PROFILE = (
    (REPO / "profiles" / "python-service.toml")
    .read_text()
    .replace('path = "../examples/python-service"', 'path = "."')
)
PORT_B = 9418  # inside (b)'s network namespace the port is free; the swap file records it
# In a new network namespace: loopback up, a git daemon serving $1, then the command
# (tests/support/onboarding.py's IN_NETNS; the same for ours and the raw sequence).
IN_NETNS = f"""\
ip link set lo up
root=$1; shift
git daemon --reuseaddr --export-all --base-path="$root" --listen=127.0.0.1 \
  --port={PORT_B} "$root" &
daemon=$!
i=0
until git ls-remote git://127.0.0.1:{PORT_B}/srcapp.git >/dev/null 2>&1; do
  i=$((i + 1)); [ $i -lt 100 ] || {{ echo "git daemon did not start" >&2; exit 99; }}; sleep 0.05
done
"$@"; rc=$?
kill $daemon; wait $daemon 2>/dev/null
exit $rc
"""


def say(text: str) -> None:
    print(f"bench_onboard: {text}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Project:
    name: str
    sync: list[str]  # the plan's uv arguments (after `uv`), offline
    first_run: list[str]  # the plan's first run, its program in the venv's bin/


class Bench:
    def __init__(self, root: Path, runs: int, uv_artifact: Path | None) -> None:
        self.root = root
        self.runs = runs
        self.samples: list[Sample] = []
        self.notes: list[str] = []
        self.phases: dict[str, list[dict[str, float]]] = {}
        self.tool = REPO / ".venv" / "bin" / "bootstrap"
        if not self.tool.is_file():
            raise BenchError(f"{self.tool} is missing: run `uv sync` in the repository first")
        pybin = root / "pybin"
        pybin.mkdir()
        base = Path(sys.base_prefix) / "bin" / "python3"
        (pybin / "python3").symlink_to(base if base.exists() else Path(sys.executable))
        git_bin = shutil.which("git")
        if git_bin is None:
            raise BenchError("git is not installed")
        self.path = f"{pybin}:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"
        self.uv_cache = root / "uv-cache"  # (a)'s warm cache, shared by ours and raw
        self.env = self.machine_env(root / "setup")
        self.artifact = uv_artifact or self.fetch_uv()
        self.uv = self.install_uv()
        found = self.run(
            [self.uv, "python", "find", "--no-project", ">=3.9"],
            cwd=root,
            env=dict(self.env, UV_PYTHON_DOWNLOADS="never"),
        )
        self.py = Path(found.strip().splitlines()[-1])
        self.served = root / "served"  # bare repositories
        self.projects = self.make_projects(root / "work")

    # -- setup --------------------------------------------------------------------------

    def machine_env(self, where: Path, *, uv_cache: Path | None = None) -> dict[str, str]:
        """A fresh HOME, XDG dirs and BOOTSTRAP_HOME under ``where``; the uv cache given
        (default: the shared warm one)."""
        shutil.rmtree(where, ignore_errors=True)
        env = home_env(where, self.path)
        env["UV_CACHE_DIR"] = str(uv_cache or self.uv_cache)
        env.update(GIT_ENV)
        env["GIT_CONFIG_GLOBAL"] = os.devnull
        # A temporary directory of its own: pytest (srcapp's first run) otherwise shares
        # /tmp/pytest-of-USER with every other pytest on the machine and prunes it.
        env["TMPDIR"] = str(where / "tmp")
        (where / "tmp").mkdir(parents=True)
        installed = self.root / "setup" / "bootstrap-home" / "data" / "uv"
        if where != self.root / "setup" and installed.is_dir():
            # The tool is installed on every machine (install.sh put the pinned uv in its
            # data dir): linked from the setup's, untimed, as that install is not measured.
            dest = Path(env["BOOTSTRAP_HOME"]) / "data" / "uv"
            shutil.copytree(installed, dest, copy_function=os.link, symlinks=True)
        return env

    def run(
        self, argv: Sequence[Arg], *, cwd: Path | None = None, env: dict[str, str] | None = None
    ) -> str:
        return run_step(Step(argv, cwd), self.env if env is None else env, timeout=1800)

    def fetch_uv(self) -> Path:
        from bootstrap.cache.pack import PYPI_SIMPLE, fetch_uv_artifact
        from bootstrap.cache.pin import repo_pin
        from bootstrap.cache.targets import parse_target

        plan = json.loads(
            self.run(
                [self.tool, "plan", "--profile", "python-service", "--json"],
                env=dict(self.env, BOOTSTRAP_PROFILE_PATH=str(REPO / "profiles")),
            )
        )
        say("downloading the pinned uv wheel (checked against the pin)")
        return fetch_uv_artifact(
            parse_target(str(plan["target"])),
            repo_pin(),
            self.root / "uv-artifact",
            index_url=PYPI_SIMPLE,
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

    def make_projects(self, work: Path) -> list[Project]:
        """The three projects written, locked (online, once) and pushed to bare
        repositories; each one's sync arguments and first run from its own plan."""
        self.served.mkdir()
        projects = []
        for name in NAMES:
            src = work / name
            if name == "python-service":
                shutil.copytree(REPO / "examples" / name, src, ignore=IGNORE)
                (src / "bootstrap.toml").write_text(SERVICE_PROFILE)
            else:
                realshapes.write(name, src)
                say(f"locking {name} with the pinned uv (online, untimed)")
                self.run([self.uv, "lock", "--project", src], cwd=src)
                self.run([self.tool, "lock", "--project", src, "--uv", self.uv], cwd=src)
            plan = json.loads(self.run([self.tool, "plan", "--project", src, "--json"]))
            sync = next(st for st in plan["steps"] if st["name"] == "sync")
            argv = [str(a) for a in sync["argv"]]
            if "--offline" not in argv:
                raise BenchError(f"{name}: the plan's sync is not offline: {argv}")
            projects.append(Project(name, argv, [str(a) for a in plan["first_run"]]))
            bare = self.served / f"{name}.git"
            self.run(["git", "init", "--quiet", "-b", "main", src], cwd=src)
            self.run(["git", "add", "-A"], cwd=src)
            self.run(["git", "commit", "--quiet", "-m", name], cwd=src)
            self.run(["git", "init", "--quiet", "--bare", "-b", "main", bare])
            self.run(["git", "push", "--quiet", bare, "main"], cwd=src)
        return projects

    def manifest(self, path: Path, url: str) -> Path:
        lines = ['name = "bench"', "jobs = 3", ""]
        for p in self.projects:
            lines += ["[[projects]]", f'git = "{url}/{p.name}.git"', ""]
        path.write_text("\n".join(lines))
        return path

    def raw_steps(self, url: str, workspace: Path, extra: Sequence[str] = ()) -> list[Step]:
        """The sequence a person types, one project after the other."""
        steps = []
        for p in self.projects:
            d = workspace / p.name
            venv_bin = d / ".venv" / "bin"
            steps += [
                Step(["git", "clone", "--quiet", f"{url}/{p.name}.git", d], workspace),
                Step([self.uv, *p.sync, *extra], d),
                Step([venv_bin / p.first_run[0], *p.first_run[1:]], d),
            ]
        return steps

    def harvest(self, letter: str, machine_dir: Path) -> None:
        """Before a machine is wiped: the phases each project's `up` recorded in its
        history (summed over the projects, which run side by side)."""
        history = machine_dir / "bootstrap-home" / "state" / "history.jsonl"
        if not history.is_file():
            return
        sums: dict[str, float] = {}
        for line in history.read_text().splitlines():
            record = json.loads(line)
            if record.get("run_kind") != "first":
                continue
            for name, secs in (record.get("phases") or {}).items():
                sums[name] = sums.get(name, 0.0) + float(secs)
        if sums:
            self.phases.setdefault(letter, []).append(sums)

    def phase_note(self, letter: str) -> list[str]:
        runs = self.phases.get(letter, [])[-self.runs :]  # the timed runs (not the warm-ups)
        if not runs:
            return [f"({letter}) ours: no phases found in the machines' histories"]
        names = list(runs[-1])
        parts = ", ".join(
            f"{n} {statistics.median(r.get(n, 0.0) for r in runs):.2f} s" for n in names
        )
        total = statistics.median(sum(r.values()) for r in runs)
        return [
            f"({letter}) ours, the phases of the 3 projects' `up` summed (they overlap; "
            f"medians): {parts}; total {total:.2f} s"
        ]

    def measured(self, *samples: Sample) -> None:
        self.samples.extend(samples)

    # -- (a) ----------------------------------------------------------------------------

    def bench_a(self) -> list[str]:
        with git_daemon(self.served) as server:
            url = f"git://127.0.0.1:{server.port}"
            manifest = self.manifest(self.root / "onboard-a.toml", url)
            a = self.root / "a"
            ours_env: dict[str, str] = {}
            raw_env: dict[str, str] = {}

            def fresh_ours() -> None:
                self.harvest("a", a / "ours")
                ours_env.clear()
                ours_env.update(self.machine_env(a / "ours"))
                ours_env["BOOTSTRAP_WORKSPACE"] = str(a / "ours" / "workspace")

            def fresh_raw() -> None:
                raw_env.clear()
                raw_env.update(self.machine_env(a / "raw"))
                raw_env.update(UV_PYTHON=str(self.py), UV_PYTHON_DOWNLOADS="never")
                (a / "raw" / "workspace").mkdir()

            fresh_ours()
            say("(a) warming the uv cache: `bootstrap onboard --online` once (untimed)")
            out = self.run([self.tool, "onboard", manifest, "--online"], env=ours_env)
            if "all green: 3 project(s)" not in out:
                raise BenchError(f"(a) the warm-up onboarding was not all green:\n{out}")
            fresh_raw()
            say("(a) bootstrap onboard vs git clone + uv sync + first run, x3")
            ours, raw = measure(
                [
                    Measure(
                        "(a) bootstrap onboard MANIFEST (3 projects), warm uv cache",
                        [Step([self.tool, "onboard", manifest], self.root)],
                        ours_env,
                        fresh_ours,
                        "all green: 3 project(s)",
                    ),
                    Measure(
                        "(a) raw: (git clone + uv sync --frozen --offline + first run) x3",
                        self.raw_steps(url, a / "raw" / "workspace"),
                        raw_env,
                        fresh_raw,
                        FIRST_RUN_OK["python-service"],
                    ),
                ],
                runs=self.runs,
            )
        self.harvest("a", a / "ours")
        for text in raw.outputs:
            self.check_first_runs("(a) raw", text)
        self.measured(ours, raw)
        self.notes += self.split("a", ours, raw)
        self.notes += self.phase_note("a")
        ratio = ours.median / raw.median
        return [
            row(
                "(a) `bootstrap onboard` 3 projects from a local git server, warm uv cache vs "
                "(`git clone` + `uv sync --frozen --offline` + first run) x3",
                ours,
                raw,
                ratio=ratio,
                goal=f"ours/raw <= {GOAL_A:.1f}",
                ok=ratio <= GOAL_A,
            )
        ]

    def check_first_runs(self, label: str, text: str) -> None:
        for name, ok in FIRST_RUN_OK.items():
            if ok not in text:
                raise BenchError(f"{label}: {name}'s first run did not print {ok!r}:\n{text}")

    def split(self, letter: str, ours: Sample, raw: Sample) -> list[str]:
        """Where the time goes: the raw sequence per kind of step, and ours per project
        (each project's seconds from the start of the onboarding, as it reports them)."""
        kinds = ("git clone", "dependencies", "first run")
        per_kind = []
        width = len(raw.step_runs[0]) // len(self.projects)
        for k in range(width):
            per_kind.append(statistics.median(sum(t[k::width]) for t in raw.step_runs))
        names = kinds if width == 3 else tuple(f"step {k + 1}" for k in range(width))
        raw_text = ", ".join(f"{n} {s:.2f} s" for n, s in zip(names, per_kind))
        green: dict[str, list[float]] = {}
        for text in ours.outputs:
            for name, secs in re.findall(r"^ok\s+(\S+)\s.*?green (?:in|at) ([0-9.]+)s", text, re.M):
                green.setdefault(name, []).append(float(secs))
        ours_text = (
            ", ".join(f"{n} {statistics.median(v):.2f} s" for n, v in sorted(green.items()))
            or "not found in the output"
        )
        return [
            f"({letter}) raw split (medians, the 3 projects summed): {raw_text}",
            f"({letter}) ours: each project green at (median, from the start): {ours_text}; "
            f"CPU ours {ours.cpu_median:.2f} s vs raw {raw.cpu_median:.2f} s",
        ]

    # -- (b) ----------------------------------------------------------------------------

    def bench_b(self) -> list[str]:
        if not netns_available():
            say("(b) skipped: `unshare -n` is not available here")
            return ["| (b) swap restore, no network | skipped: no `unshare -n` | | | | |"]
        url = f"git://127.0.0.1:{PORT_B}"
        manifest = self.manifest(self.root / "onboard-b.toml", url)
        old = self.machine_env(self.root / "b" / "old")
        say("(b) the old machine: onboard (offline, warm cache) then swap export --bundles")
        out = self.in_netns([self.tool, "onboard", manifest], old)
        if "all green: 3 project(s)" not in out:
            raise BenchError(f"(b) the old machine's onboarding was not all green:\n{out}")
        swap = self.root / "b" / "carry" / "swap.json"
        swap.parent.mkdir(parents=True)
        self.run([self.tool, "swap", "export", "--bundles", "--out", swap], env=old)
        data = json.loads(swap.read_text())
        bundles = {}
        for entry in data["projects"]:
            (bundle,) = entry["bundles"]
            bundles[entry["name"]] = swap.with_suffix(".bundles") / bundle["file"]
        if sorted(bundles) != sorted(NAMES):
            raise BenchError(f"(b) the swap file holds {sorted(bundles)}, not {sorted(NAMES)}")
        new = self.root / "b" / "new"
        ours_env: dict[str, str] = {}
        raw_env: dict[str, str] = {}

        def fresh_ours() -> None:
            self.harvest("b", new / "ours")
            ours_env.clear()
            ours_env.update(self.machine_env(new / "ours", uv_cache=new / "ours" / "uv-cache"))
            ours_env["BOOTSTRAP_WORKSPACE"] = str(new / "ours" / "workspace")

        def fresh_raw() -> None:
            raw_env.clear()
            raw_env.update(self.machine_env(new / "raw", uv_cache=new / "raw" / "uv-cache"))
            # No UV_PYTHON here: with it `uv pip install` would aim at that interpreter
            # instead of the project's .venv; `uv venv --python` names it instead.
            raw_env["UV_PYTHON_DOWNLOADS"] = "never"
            (new / "raw" / "workspace").mkdir()

        script = self.raw_script(url, new / "raw" / "workspace", bundles)
        (self.root / "b" / "raw.sh").write_text(script)
        fresh_ours()
        fresh_raw()
        say("(b) swap restore vs the raw sequence from the same bundles, under unshare -n")
        ours, raw = measure(
            [
                Measure(
                    "(b) unshare -n: bootstrap swap restore FILE (3 projects, bundles)",
                    [
                        self.netns_step(
                            [
                                self.tool,
                                "swap",
                                "restore",
                                swap,
                                "--workspace",
                                new / "ours" / "workspace",
                            ]
                        )
                    ],
                    ours_env,
                    fresh_ours,
                    "all green: 3 project(s)",
                ),
                Measure(
                    "(b) unshare -n: raw (git clone + tar -xf BUNDLE wheels + uv export + "
                    "uv venv + uv pip install --offline --no-index --find-links + first run) x3",
                    [self.netns_step(["sh", "-e", self.root / "b" / "raw.sh"])],
                    raw_env,
                    fresh_raw,
                    FIRST_RUN_OK["python-service"],
                ),
            ],
            runs=self.runs,
        )
        self.harvest("b", new / "ours")
        for text in raw.outputs:
            self.check_first_runs("(b) raw", text)
        self.measured(ours, raw)
        self.notes += self.split_b(ours, raw)
        self.notes += self.phase_note("b")
        ratio = ours.median / raw.median
        return [
            row(
                "(b) `bootstrap swap restore` 3 projects with bundles, no network, fresh HOME "
                "and uv cache vs the raw sequence from the same bundles",
                ours,
                raw,
                ratio=ratio,
                goal=f"ours/raw <= {GOAL_B:.1f}",
                ok=ratio <= GOAL_B,
            )
        ]

    def raw_script(self, url: str, workspace: Path, bundles: dict[str, Path]) -> str:
        """(b)'s raw sequence as one shell script (it runs inside the namespace), each
        step timed by the script itself for the split."""
        q = shlex.quote
        lines = ["now() { date +%s%N; }", 'mark() { echo "raw-step $1 $(now)"; }']
        for p in self.projects:
            d = workspace / p.name
            wheels = workspace / f".wheels-{p.name}"
            req = workspace / f".requirements-{p.name}.txt"
            first = [str(d / ".venv" / "bin" / p.first_run[0]), *p.first_run[1:]]
            uv = q(str(self.uv))
            export = [*self.selection(p), "--format", "requirements-txt", "-o", str(req)]
            lines += [
                "mark clone",
                f"git clone --quiet {q(url + '/' + p.name + '.git')} {q(str(d))}",
                "mark wheels",
                f"mkdir -p {q(str(wheels))}",
                f"tar -xf {q(str(bundles[p.name]))} -C {q(str(wheels))} --strip-components=1 "
                "wheels",
                "mark install",
                f"cd {q(str(d))}",
                f"{uv} export --quiet --frozen --offline {' '.join(q(a) for a in export)}",
                f"{uv} venv --quiet --offline --python {q(str(self.py))}",
                f"{uv} pip install --offline --no-index --find-links {q(str(wheels))} "
                f"-r {q(str(req))}",
                "mark first",
                " ".join(q(a) for a in first),
                "mark end",
            ]
        return "\n".join(lines) + "\n"

    def selection(self, p: Project) -> list[str]:
        """The plan's extras and groups (its `uv sync` arguments without the sync's own
        flags), for `uv export`."""
        own = {"sync", "--frozen", "--offline", "--no-build"}
        return [a for a in p.sync if a not in own]

    def netns_step(self, argv: Sequence[Arg]) -> Step:
        return Step(["unshare", "-n", "sh", "-c", IN_NETNS, "netns", self.served, *argv])

    def in_netns(self, argv: Sequence[Arg], env: dict[str, str]) -> str:
        return run_step(self.netns_step(argv), env, timeout=1800)

    def split_b(self, ours: Sample, raw: Sample) -> list[str]:
        per: dict[str, list[float]] = {}
        for text in raw.outputs:
            marks = re.findall(r"^raw-step (\w+) (\d+)$", text, re.M)
            sums: dict[str, float] = {}
            for (name, t0), (_, t1) in zip(marks, marks[1:]):
                if name != "end":
                    sums[name] = sums.get(name, 0.0) + (int(t1) - int(t0)) / 1e9
            for name, secs in sums.items():
                per.setdefault(name, []).append(secs)
        raw_text = ", ".join(f"{n} {statistics.median(v):.2f} s" for n, v in per.items())
        green: dict[str, list[float]] = {}
        for text in ours.outputs:
            for name, secs in re.findall(r"^ok\s+(\S+)\s.*?green (?:in|at) ([0-9.]+)s", text, re.M):
                green.setdefault(name, []).append(float(secs))
        ours_text = (
            ", ".join(f"{n} {statistics.median(v):.2f} s" for n, v in sorted(green.items()))
            or "not found in the output"
        )
        return [
            f"(b) raw split (medians, the 3 projects summed): {raw_text}",
            f"(b) ours: each project green at (median, from the start): {ours_text}; "
            f"CPU ours {ours.cpu_median:.2f} s vs raw {raw.cpu_median:.2f} s",
        ]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5, help="timed runs per command (default 5)")
    ap.add_argument("--only", default="a,b", help="comma-separated subset of a,b")
    ap.add_argument("--uv-artifact", type=Path, help="the pinned uv wheel (else downloaded)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = ap.parse_args()
    only = {x.strip() for x in args.only.split(",") if x.strip()}
    if not only or only - set("ab"):
        ap.error(f"--only takes letters from a,b, not {args.only!r}")
    if args.runs < 1:
        ap.error("--runs must be at least 1")
    start = time.perf_counter()
    root = Path(tempfile.mkdtemp(prefix="bench-onboard-"))
    try:
        bench = Bench(root, args.runs, args.uv_artifact.resolve() if args.uv_artifact else None)
        rows: list[str] = []
        if "a" in only:
            rows += bench.bench_a()
        if "b" in only:
            rows += bench.bench_b()
        print_results(
            f"## `bootstrap onboard` and `swap restore` (3 projects): median of {args.runs} runs",
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
