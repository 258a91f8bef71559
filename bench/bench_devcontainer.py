"""`bootstrap up --strategy devcontainer` against the raw Dev Containers CLI commands it
drives: medians of N runs, round-robin.

  ours  `bootstrap up --profile python-service-dc --strategy devcontainer --cache-bundle B`
        in a copy of the repository: writes the devcontainer.json, `devcontainer up`,
        ships the bundle, stage 0 with `devcontainer exec`, the report back here.
  raw   in a second copy holding the same devcontainer.json and the same bundle in its
        read-only bundle folder: `devcontainer up --skip-post-create` + `devcontainer exec
        sh -c '<its postCreateCommand>'` (stage 0 with the bundle, the same first run).
                                                                    goal: ours/raw <= 1.2

Both start each run from nothing: no container for their workspace and an empty uv cache
volume (removed before each run, untimed); the same image, bundle, engine and CLI. The
container runs with `--network=none`. Needs podman (or docker) and the Dev Containers
CLI; on this project's CI machines podman needs CONTAINERS_CONF (see
tests/support/podman.py).

    uv run python bench/bench_devcontainer.py --bundle B [--runs 5] [--image IMG]
        [--cli PATH] [--engine podman]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import HEADER, Measure, Step, measure, row  # noqa: E402

GOAL = 1.2
FIRST_RUN_OK = "service ok"
PROFILE_TOML = """\
extends = "python-service"
name = "python-service-dc"

[strategies.devcontainer]
image = "{image}"
run_args = ["--network=none"]
"""


def say(text: str) -> None:
    print(f"bench_devcontainer: {text}", file=sys.stderr, flush=True)


def copy_repo(dest: Path) -> Path:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO, capture_output=True, check=True,
    ).stdout.split(b"\0")  # fmt: skip
    for raw in listed:
        rel = raw.decode()
        if rel and (REPO / rel).is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / rel, dest / rel)
    return dest


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, required=True, help="python-service bundle")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--image", default="localhost/debian:bookworm")
    parser.add_argument("--engine", default="podman", choices=["podman", "docker"])
    parser.add_argument("--cli", help="the devcontainer command (default: from PATH)")
    args = parser.parse_args()

    cli = args.cli or shutil.which("devcontainer")
    if not cli:
        say("no `devcontainer` on PATH: give --cli")
        return 2
    from bootstrap.strategies import devcontainer_config as dc

    root = Path(tempfile.mkdtemp(prefix="bench-dc-"))
    ours, raw = copy_repo(root / "ours"), copy_repo(root / "raw")
    for tree in (ours, raw):
        (tree / "profiles" / "python-service-dc.toml").write_text(
            PROFILE_TOML.format(image=args.image)
        )
    env = {
        **os.environ,
        "BOOTSTRAP_HOME": str(root / "home"),
        "BOOTSTRAP_NO_METRICS": "1",
        "PATH": f"{Path(cli).parent}:{os.environ['PATH']}",
    }
    docker_path = [] if args.engine == "docker" else ["--docker-path", args.engine]

    def engine(*argv: str) -> str:
        done = subprocess.run([args.engine, *argv], env=env, capture_output=True, text=True,
                              check=False, timeout=120)  # fmt: skip
        return done.stdout

    def reset() -> None:
        for tree in (ours, raw):
            ids = engine("ps", "-aq", "--filter", f"label=devcontainer.local_folder={tree}")
            if ids.split():
                engine("rm", "-f", "-t", "0", *ids.split())
        engine("volume", "rm", "-f", dc.CACHE_VOLUME)
        shutil.rmtree(root / "home", ignore_errors=True)  # `up` starts as a new machine

    # The raw side gets exactly the file `up` writes, and the bundle where it mounts it.
    reset()
    say("writing the devcontainer.json with `bootstrap devcontainer generate`...")
    subprocess.run(
        [sys.executable, "-m", "bootstrap", "devcontainer", "generate",
         "--profile", "profiles/python-service-dc.toml"],
        cwd=raw, env=env, check=True, capture_output=True,
    )  # fmt: skip
    doc = json.loads((raw / ".devcontainer" / "devcontainer.json").read_text())
    shutil.copyfile(args.bundle, raw / dc.BUNDLE_HOST_DIR / dc.BUNDLE_NAME)
    ws = ["--workspace-folder", str(raw), *docker_path]
    up_argv = [sys.executable, "-m", "bootstrap", "up", "--profile",
               "profiles/python-service-dc.toml", "--strategy", "devcontainer"]  # fmt: skip
    specs = [
        Measure(
            "bootstrap up --strategy devcontainer",
            [Step([*up_argv, "--cache-bundle", str(args.bundle)], ours)],
            env=env,
            before_each=reset,
            expect=FIRST_RUN_OK,
        ),
        Measure(
            "devcontainer up + devcontainer exec <postCreateCommand>",
            [
                Step([cli, "up", *ws, "--skip-post-create"], raw),
                Step([cli, "exec", *ws, "sh", "-c", doc["postCreateCommand"]], raw),
            ],
            env=env,
            before_each=reset,
            expect=FIRST_RUN_OK,
        ),
    ]
    say(f"{args.runs} runs each, round-robin, after one warm-up round...")
    try:
        ours_s, raw_s = measure(specs, runs=args.runs)
    finally:
        reset()
        shutil.rmtree(root, ignore_errors=True)
    ratio = ours_s.median / raw_s.median
    print(HEADER)
    print(row(
        "(h) `up --strategy devcontainer` vs `devcontainer up` + `devcontainer exec` stage 0, "
        "new container, empty cache volume, same bundle",
        ours_s, raw_s, ratio=ratio, goal=f"ours/raw <= {GOAL}", ok=ratio <= GOAL,
    ))  # fmt: skip
    print(f"\nours {ours_s.spread}, raw {raw_s.spread} (min-max of {args.runs} runs); raw: "
          f"up {raw_s.step_median(0):.3f} s + exec {raw_s.step_median(1):.3f} s")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
