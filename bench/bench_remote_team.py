"""The remote handoff of a team's repository against the raw commands it drives:
medians of N runs, round-robin.

  ours  `bootstrap up --project TEAM --remote box --cache-bundle B` from this checkout:
        the project's files, the bootstrapper's wheel (built once, kept in the host's
        cache) checked and unpacked there, detection there, the bundle, stage 0, the report
        back and recorded here.
  raw   what a person would type to get the same result: `rsync` of the team's files
        and of this checkout's tracked files (the bootstrapper), `rsync` of the bundle,
        then `ssh box 'cd team && sh ~/bootstrap/install.sh --cache-bundle B --project .'`
        (stage 0 with the bundle, the same first run: the team's tests).
                                                                    goal: ours/raw <= 1.2

Both start each run from an empty box home (no project, no uv, no environments, no uv
cache) and send everything again; `ours` keeps its host cache (the wheel is built on the
warm-up run, as on a workstation after its first handoff) but not its run state. The box
is the chrooted sshd of tests/support/sshbox.py on 127.0.0.1, with no network there; the
Debian root filesystem is the one the tests cache in .pytest_cache (run the remote tests
once first, as root). The bundle is the team repository's (tests/fixtures/teamrepo,
packed by the tests into .pytest_cache/d/bootstrap-teamrepo-bundle-*/).

    uv run python bench/bench_remote_team.py --bundle B [--runs 5]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import HEADER, Measure, Step, measure, row  # noqa: E402

GOAL = 1.2
FIRST_RUN_OK = " passed"  # the team's tests, run by its first run
TEAMREPO = REPO / "tests" / "fixtures" / "teamrepo"


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def team_repo(root: Path) -> Path:
    repo = root / "team"
    shutil.copytree(TEAMREPO, repo)
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "team"], check=True)
    return repo


def listing(repo: Path) -> Path:
    """git's tracked and untracked-not-ignored files of ``repo``, NUL-separated, in a file
    beside it (rsync --files-from)."""
    done = subprocess.run(
        ["git", "-C", str(repo), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        check=True, capture_output=True,
    )  # fmt: skip
    path = repo.parent / f"{repo.name}.files"
    path.write_bytes(done.stdout)
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, required=True, help="the team repo's bundle")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    args.bundle = args.bundle.resolve()

    from support.rootfs import CACHE_NAME, cached_tarball, extract
    from support.sshbox import start_box

    store = REPO / ".pytest_cache" / "d" / CACHE_NAME
    if not store.is_dir():
        say(f"no cached root filesystem in {store}: run the remote tests once first")
        return 2
    root = Path(tempfile.mkdtemp(prefix="bench-remote-team-"))
    rootfs = extract(cached_tarball(store), root / "rootfs")
    box = start_box(rootfs, root / "box")
    team = team_repo(root / "work")
    team_files, tool_files = listing(team), listing(REPO)
    host_home = root / "host-home"
    env = {
        "HOME": str(root / "host"),
        "PATH": "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
        "LANG": "C.UTF-8",
        "BOOTSTRAP_HOME": str(host_home),
        "BOOTSTRAP_NO_METRICS": "1",
        **box.env(),
    }
    ssh = ["ssh", "-F", str(box.ssh_config)]
    rsh = f"ssh -F {box.ssh_config}"

    def reset() -> None:
        """An empty box home (its .ssh kept); the host's run state, not its cache."""
        for entry in box.remote_home.iterdir():
            if entry.name != ".ssh":
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry)
                else:
                    entry.unlink()
        shutil.rmtree(host_home / "state", ignore_errors=True)

    up = [sys.executable, "-m", "bootstrap", "up", "--project", str(team), "--remote", box.alias]
    stage0 = (
        "cd team && sh ~/bootstrap/install.sh --cache-bundle ~/bundle.tar --project . "
        "--profile bootstrap.toml"
    )
    specs = [
        Measure(
            "bootstrap up --project TEAM --remote box",
            [Step([*up, "--cache-bundle", str(args.bundle)], root)],
            env=env,
            before_each=reset,
            expect=FIRST_RUN_OK,
        ),
        Measure(
            "rsync team + checkout + bundle, ssh sh install.sh",
            [
                Step(
                    [
                        "rsync",
                        "-a",
                        "-e",
                        rsh,
                        "--from0",
                        f"--files-from={team_files}",
                        f"{team}/",
                        f"{box.alias}:team/",
                    ]
                ),
                Step(
                    [
                        "rsync",
                        "-a",
                        "-e",
                        rsh,
                        "--from0",
                        f"--files-from={tool_files}",
                        f"{REPO}/",
                        f"{box.alias}:bootstrap/",
                    ]
                ),
                Step(["rsync", "-a", "-e", rsh, str(args.bundle), f"{box.alias}:bundle.tar"]),
                Step([*ssh, box.alias, stage0]),
            ],
            env=env,
            before_each=reset,
            expect=FIRST_RUN_OK,
        ),
    ]
    say(f"{args.runs} runs each, round-robin, after one warm-up round...")
    try:
        ours, raw = measure(specs, runs=args.runs)
    finally:
        box.stop()
        shutil.rmtree(root, ignore_errors=True)
    ratio = ours.median / raw.median
    print(HEADER)
    print(row(
        "(m) `up --project TEAM --remote box` vs rsync + `ssh ... sh install.sh`, team "
        "repository, empty box, same bundle",
        ours, raw, ratio=ratio, goal=f"ours/raw <= {GOAL}", ok=ratio <= GOAL,
    ))  # fmt: skip
    steps = " + ".join(f"{raw.step_median(i):.3f}" for i in range(4))
    print(f"\nours {ours.spread}, raw {raw.spread} (min-max of {args.runs} runs); "
          f"raw steps (team, checkout, bundle, stage 0): {steps} s")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
