"""For the onboarding and swap tests: three real projects in git, served by a git
daemon inside a network namespace that has nothing but loopback, and each project's
cache bundle: an onboarding that cannot touch the network."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from support.gitserver import git

REPO = Path(__file__).resolve().parents[2]

# In a new network namespace: loopback up, a git daemon serving $1, then the command.
IN_NETNS = """\
ip link set lo up
root=$1; shift
git daemon --reuseaddr --export-all --base-path="$root" --listen=127.0.0.1 --port=9418 "$root" &
daemon=$!
i=0
until git ls-remote git://127.0.0.1:9418/srcapp.git >/dev/null 2>&1; do
  i=$((i + 1)); [ $i -lt 100 ] || { echo "git daemon did not start" >&2; exit 99; }; sleep 0.1
done
"$@"; rc=$?
kill $daemon; wait $daemon 2>/dev/null
exit $rc
"""

AI_PROFILE = (
    (REPO / "profiles" / "ai-training.toml")
    .read_text()
    .replace('path = "../examples/ai-training"', 'path = "."')
)


@dataclass
class Team:
    root: Path  # bare repositories, served as git://127.0.0.1:9418/<name>.git
    work: Path  # a clone of each, to push more commits from
    bundles: dict[str, Path]

    def url(self, name: str) -> str:
        return f"git://127.0.0.1:9418/{name}.git"

    def manifest(self, path: Path, names: list[str], *, refs: dict[str, str] | None = None,
                 jobs: int = 3) -> Path:  # fmt: skip
        lines = ['name = "team"', f"jobs = {jobs}", ""]
        for name in names:
            lines += ["[[projects]]", f'git = "{self.url(name)}"']
            if refs and name in refs:
                lines.append(f'ref = "{refs[name]}"')
            lines += [f'cache_bundle = "{self.bundles[name]}"', ""]
        path.write_text("\n".join(lines))
        return path


def serve(
    template: Path, root: Path, work_root: Path, name: str, extra: dict[str, str] | None = None
) -> Path:
    work = work_root / name
    shutil.copytree(template, work, ignore=shutil.ignore_patterns(".venv", "__pycache__"))
    for rel, text in (extra or {}).items():
        (work / rel).write_text(text)
    git(work, "init", "--quiet", "-b", "main")
    git(work, "add", "-A")
    git(work, "commit", "--quiet", "-m", name)
    root.mkdir(exist_ok=True)
    subprocess.run(["git", "init", "--quiet", "--bare", "-b", "main", str(root / f"{name}.git")],
                   check=True)  # fmt: skip
    git(work, "remote", "add", "origin", str(root / f"{name}.git"))
    git(work, "push", "--quiet", "-u", "origin", "main")
    return work


@pytest.fixture(name="team")
def team_fixture(
    tmp_path: Path,
    shape: Callable[[str], tuple[Path, Path]],
    bundle: Callable[[str, str], Path],
) -> Team:
    root, work = tmp_path / "served", tmp_path / "work"
    srcapp, srcapp_bundle = shape("srcapp")
    flatws, flatws_bundle = shape("flatws")
    serve(srcapp, root, work, "srcapp")
    serve(flatws, root, work, "flatws")
    serve(REPO / "examples" / "ai-training", root, work, "ai-training",
          {"bootstrap.toml": AI_PROFILE})  # fmt: skip
    return Team(root, work, {
        "srcapp": srcapp_bundle,
        "flatws": flatws_bundle,
        "ai-training": bundle("ai-training", "linux-x86_64-cu124"),
    })  # fmt: skip


def in_netns(team: Team, argv: list[str], env: dict[str, str], *, timeout: float = 900,
             check: bool = True) -> subprocess.CompletedProcess[str]:  # fmt: skip
    res = subprocess.run(
        ["unshare", "-n", "sh", "-c", IN_NETNS, "netns", str(team.root), *argv],
        env=env, capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip
    if check:
        assert res.returncode == 0, res.stdout + res.stderr
    return res


def bootstrap_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "bootstrap", *args]
