"""(l) A team's repository through its committed install.sh: fresh HOME, no network,
`sh install.sh --cache-bundle FILE` to the team project's first run, the bootstrapper
coming out of the bundle as its pinned wheel.      goal: <= 3 s

The team's repository holds no bootstrapper source: its pyproject.toml, uv.lock (locked
by the pinned uv), and what `bootstrap init` wrote (install.sh and install.ps1 with the
pins, bootstrap.toml, the CI jobs). The wheel is this checkout's, built and pinned by
`bootstrap release` in a copy of it; the bundle is packed online with `bootstrap cache
pack --project DIR --self-wheel WHEEL` (untimed). Each timed run gets a fresh copy of
the team's repository, HOME, XDG dirs and uv cache (the copy is not timed), under
`unshare -n` (loopback only).

    uv run python bench/bench_adopt.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_up import home_env, machine, say  # noqa: E402
from common import HEADER, BenchError, Step, row, run_step, time_command  # noqa: E402

GOAL_K = 3.0
FIRST_RUN_OK = "teamsvc first run ok"
TARGET = "linux-x86_64-cpu"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = ap.parse_args()
    if subprocess.run(["unshare", "-n", "true"], check=False).returncode:
        say("skipped: `unshare -n` is not available here (root)")
        return 0
    from support.teamkit import copy_tree, git, write_team

    from bootstrap.adopt.release import release

    start = time.perf_counter()
    root = Path(tempfile.mkdtemp(prefix="bench-adopt-"))
    try:
        tool = REPO / ".venv" / "bin" / "bootstrap"
        env = home_env(root / "pack", "/usr/local/bin:/usr/bin:/bin")
        env["UV_SYSTEM_CERTS"] = "1"
        say("installing the pinned uv for packing (online, untimed)")
        uv = json.loads(run_step(Step([tool, "uv", "ensure", "--json"], None), dict(env)))["path"]
        say("bootstrap release in a copy of this checkout (untimed)")
        tree = copy_tree(root / "bootstrap")
        rel = release(Path(uv), tree, offline=False)
        pin = tree / "bootstrap" / "uv" / "pin.txt"
        env["BOOTSTRAP_UV_PIN_FILE"] = str(pin)
        team = write_team(root / "teamsvc")
        say("the team's uv.lock, by the pinned uv (online, untimed)")
        run_step(Step([uv, "lock", "--project", str(team)], None), dict(env))
        run_step(Step([tool, "init", str(team)], None), dict(env))
        git(team, "add", "-A")
        git(team, "commit", "-qm", "adopt bootstrap")
        bundle = root / f"teamsvc-{TARGET}.tar"
        say("packing the team's bundle with the released wheel (online, untimed)")
        run_step(
            Step(
                [
                    tool,
                    "cache",
                    "pack",
                    "--project",
                    str(team),
                    "--target",
                    TARGET,
                    "--self-wheel",
                    str(rel.wheel),
                    "--uv",
                    uv,
                    "--out",
                    str(bundle),
                ],
                REPO,
            ),
            dict(env),
        )
        machine_dir = root / "machine"
        run_env: dict[str, str] = {}

        def fresh() -> None:
            shutil.rmtree(machine_dir, ignore_errors=True)
            shutil.copytree(team, machine_dir / "teamsvc", symlinks=True)
            run_env.clear()
            run_env.update(home_env(machine_dir, os.environ.get("PATH", "/usr/bin:/bin")))

        fresh()
        say("the team's install.sh --cache-bundle, no network, fresh HOME each run")
        sample = time_command(
            ["unshare", "-n", "sh", "./install.sh", "--cache-bundle", str(bundle)],
            runs=args.runs,
            env=run_env,
            cwd=machine_dir / "teamsvc",
            before_each=fresh,
            label="(l) team repository, unshare -n, its install.sh --cache-bundle",
            expect=FIRST_RUN_OK,
        )
        size = bundle.stat().st_size / 1e6
        title = (
            "(l) a team's repository (no bootstrapper source): fresh HOME, no network, its "
            "committed `install.sh --cache-bundle` to first run (the bootstrapper from its "
            f"pinned wheel in the bundle; {size:.1f} MB bundle)"
        )
        print(f"## A team's repository through its own install.sh: median of {args.runs} runs\n")
        print("\n".join(machine(Path(sys.executable), Path(uv))))
        print(f"- wheel: {rel.wheel.name} ({rel.wheel.stat().st_size / 1e3:.0f} kB)")
        print()
        print(HEADER)
        ok = sample.median <= GOAL_K
        print(row(title, sample, None, ratio=None, goal=f"<= {GOAL_K:.0f} s", ok=ok))
        print()
        # Where the time went, as the last run's own report says it.
        last = sample.outputs[-1] if sample.outputs else ""
        for line in last.splitlines():
            if line.startswith(("time to first successful run", "  stage0_")):
                print(f"    {line.strip()}")
        cpu = sorted(sample.cpu_runs)[len(sample.cpu_runs) // 2] if sample.cpu_runs else 0.0
        print(f"    CPU (user + system, median): {cpu:.2f} s")
        print()
        say(f"done in {time.perf_counter() - start:.0f}s")
        return 0 if ok else 1
    except BenchError as exc:
        say(f"error: {exc}")
        return 2
    finally:
        if args.keep:
            say(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
