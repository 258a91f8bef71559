"""(j) A machine with no Python at all: fresh HOME, no python on PATH or in /usr/bin, no
network, `install.sh --cache-bundle FILE --profile python-service` to the first run, the
interpreter coming out of the bundle.      goal: <= 4 s; the bundle <= 30 MB with it

The "machine" is a private mount namespace (tests/support/nopython.py: /usr/bin a tmpfs
of links to every binary but python*) under `unshare -n` (only loopback up, for the
service's own request), with a fresh copy of the repository, HOME, XDG dirs and uv cache
each run (the copy is not timed). The interpreter is an install_only archive pinned in
that copy's bootstrap/python/pin.txt: by default CPython 3.11 built from Debian's own
packages (`apt-get download`, as the tests build it: python-build-standalone's archives
come from GitHub, which this machine cannot reach), or `--python-archive FILE
--python-version X.Y.Z` for an official one. Packing (online, untimed) uses
`bootstrap cache pack --with-python`.

    uv run python bench/bench_nopython.py [--runs 5] [--python-archive FILE --python-version V]
"""

from __future__ import annotations

import argparse
import hashlib
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

from bench_up import PROFILE, copy_repo, home_env, machine, say  # noqa: E402
from common import HEADER, BenchError, Step, row, run_step, time_command  # noqa: E402
from support.nopython import PATH, SCRIPT  # noqa: E402

GOAL_J, GOAL_J_MB = 4.0, 30.0
FIRST_RUN_OK = "service ok"


def debian_archive(work: Path, *, precompile: bool = False) -> tuple[Path, str]:
    """CPython 3.11 from Debian's packages in the install_only layout (the tests' recipe);
    ``precompile``: with the standard library's bytecode in it, as Debian writes it on
    install and as python-build-standalone's archives carry it."""
    from support.pyarchive import MINOR, PACKAGES, stage_tree, tar_tree

    debs = work / "debs"
    debs.mkdir()
    say("downloading Debian's CPython packages (apt-get download, untimed)")
    done = subprocess.run(
        ["apt-get", "download", *PACKAGES], cwd=debs, capture_output=True, text=True, check=False
    )
    if done.returncode:
        raise BenchError(f"apt-get download failed: {done.stderr.strip()[-300:]}")
    tree = stage_tree(sorted(debs.glob("*.deb")), work / "stage")
    version = subprocess.run(
        [
            str(tree / "bin" / f"python{MINOR}"),
            "-c",
            "import platform; print(platform.python_version())",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    triple = subprocess.run(
        ["sh", str(REPO / "install.sh"), "--print-triple"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if precompile:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        # Hash-checked: the archive's files carry a fixed mtime, which timestamp-checked
        # bytecode would not match.
        compile_all = [str(tree / "bin" / f"python{MINOR}"), "-m", "compileall", "-q", "-j0"]
        compile_all += ["--invalidation-mode", "checked-hash"]
        compile_all.append(str(tree / "lib" / f"python{MINOR}"))
        subprocess.run(compile_all, env=env, capture_output=True, check=False)
    return tar_tree(tree, work / f"cpython-{version}-{triple}-install_only.tar.gz"), version


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--python-archive", type=Path, help="an install_only archive to pin")
    ap.add_argument("--python-version", help="its CPython version (with --python-archive)")
    ap.add_argument(
        "--precompile",
        action="store_true",
        help="the Debian-built archive with its standard library's bytecode (larger)",
    )
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = ap.parse_args()
    if bool(args.python_archive) != bool(args.python_version):
        ap.error("--python-archive and --python-version go together")
    if subprocess.run(["unshare", "-m", "-n", "true"], check=False).returncode:
        say("skipped: `unshare -m -n` is not available here (root)")
        return 0
    start = time.perf_counter()
    root = Path(tempfile.mkdtemp(prefix="bench-nopython-"))
    try:
        if args.python_archive:
            archive, version = args.python_archive.resolve(), args.python_version
        else:
            archive, version = debian_archive(root, precompile=args.precompile)
        triple = subprocess.run(
            ["sh", str(REPO / "install.sh"), "--print-triple"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        sha = hashlib.sha256(archive.read_bytes()).hexdigest()
        pin = root / "pin.txt"
        pin.write_text(f"cpython {triple} {version} {archive.name} {sha} {archive.as_uri()}\n")
        tool = REPO / ".venv" / "bin" / "bootstrap"
        env = home_env(root / "pack", "/usr/local/bin:/usr/bin:/bin")
        env["BOOTSTRAP_PYTHON_PIN_FILE"] = str(pin)
        import json

        say("installing the pinned uv for packing (online, untimed)")
        uv = json.loads(run_step(Step([tool, "uv", "ensure", "--json"], None), dict(env)))["path"]
        bundle = root / "python-service-with-python.tar"
        say("packing the bundle with the interpreter (online, untimed)")
        run_step(
            Step(
                [
                    tool,
                    "cache",
                    "pack",
                    "--profile",
                    PROFILE,
                    "--with-python",
                    "--uv",
                    uv,
                    "--python-archive",
                    str(archive),
                    "--out",
                    str(bundle),
                ],
                REPO,
            ),
            env,
        )
        machine_dir = root / "machine"
        run_env: dict[str, str] = {}

        def fresh() -> None:
            shutil.rmtree(machine_dir, ignore_errors=True)
            repo = copy_repo(machine_dir / "repo")
            shutil.copy2(pin, repo / "bootstrap" / "python" / "pin.txt")
            run_env.clear()
            run_env.update(home_env(machine_dir, PATH))

        fresh()
        say("install.sh --cache-bundle with no python anywhere and no network, fresh each run")
        sample = time_command(
            [
                "unshare",
                "-m",
                "-n",
                "sh",
                "-c",
                SCRIPT,
                "no-python",
                "sh",
                "./install.sh",
                "--cache-bundle",
                str(bundle),
                "--profile",
                PROFILE,
            ],
            runs=args.runs,
            env=run_env,
            cwd=machine_dir / "repo",
            before_each=fresh,
            label="(j) no python, unshare -n, install.sh --cache-bundle --profile python-service",
            expect=FIRST_RUN_OK,
        )
        size = bundle.stat().st_size / 1e6
        title = (
            "(j) fresh HOME, no Python on PATH or in /usr/bin, no network, "
            "`install.sh --cache-bundle` to first run (the interpreter from the bundle)"
        )
        print(f"## No Python at all ({PROFILE}): median of {args.runs} runs\n")
        print("\n".join(machine(Path(sys.executable), Path(uv))))
        mb = archive.stat().st_size / 1e6
        pyc = ", standard library precompiled" if args.precompile else ""
        print(f"- interpreter: CPython {version} ({archive.name}, {mb:.1f} MB{pyc})")
        print()
        print(HEADER)
        ok = sample.median <= GOAL_J
        print(row(title, sample, None, ratio=None, goal=f"<= {GOAL_J:.0f} s", ok=ok))
        print(
            f"| (j) bundle size, with the interpreter | {size:.1f} MB | - | - | "
            f"<= {GOAL_J_MB:.0f} MB | {'met' if size <= GOAL_J_MB else '**missed**'} |"
        )
        print()
        print(
            f"- {sample.label}: median {sample.median:.3f} s, range {sample.spread}, "
            f"CPU median {sample.cpu_median:.2f} s, load average {sample.load}"
        )
        last = sample.outputs[-1] if sample.outputs else ""
        for line in last.splitlines():
            if line.strip().startswith("stage0_") or "time to first successful run" in line:
                print(f"- last run: {line.strip()}")
        print(f"\n(benchmark wall time {time.perf_counter() - start:.0f} s)")
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
