"""Stage 0 benchmark: medians of N runs.

- re-run with the pinned uv present, until the handover (goal <= 0.1 s)
- fresh install from a loopback mirror (release archive) and index (wheel) (goal <= 2 s)
- the same two for `bootstrap uv ensure`'s Python twin, in-process

Artifacts are built from the uv running this script (the pinned version) and pinned in a
throw-away pin file, like the tests do. Run: `uv run python bench/bench_install.py [-n 10]`.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bootstrap.uv.pin import load as load_pin  # noqa: E402
from bootstrap.uv.platform import detect_triple  # noqa: E402


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build(root: Path) -> tuple[str, str, Path]:
    uv = Path(os.environ.get("UV") or shutil.which("uv") or "uv")
    uvx = uv.with_name("uvx") if uv.with_name("uvx").exists() else uv
    version, triple = load_pin({}).version, detect_triple({})
    archive = root / "mirror" / version / f"uv-{triple}.tar.gz"
    archive.parent.mkdir(parents=True)
    with tarfile.open(archive, "w:gz", compresslevel=6) as tf:
        for name, src in (("uv", uv), ("uvx", uvx)):
            data = src.read_bytes()
            info = tarfile.TarInfo(f"uv-{triple}/{name}")
            info.size, info.mode, info.mtime = len(data), 0o755, int(time.time())
            tf.addfile(info, io.BytesIO(data))
    real = load_pin({}).for_triple(triple, "wheel")
    wheel = root / "files" / (real.filename if real else f"uv-{version}-py3-none-any.whl")
    wheel.parent.mkdir(parents=True)
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, src in (("uv", uv), ("uvx", uvx)):
            info = zipfile.ZipInfo(f"uv-{version}.data/scripts/{name}", (2026, 1, 1, 0, 0, 0))
            info.external_attr, info.compress_type = 0o100755 << 16, zipfile.ZIP_DEFLATED
            zf.writestr(info, src.read_bytes())
    (root / "simple" / "uv").mkdir(parents=True)
    (root / "simple" / "uv" / "index.html").write_text(
        f'<a href="../../files/{wheel.name}">{wheel.name}</a>\n'
    )
    pin = root / "pin.txt"
    pin.write_text(
        f"version {version}\nwheel {triple} {wheel.name} {sha256(wheel)}\n"
        f"archive {triple} {archive.name} {sha256(archive)}\n"
    )
    return version, triple, pin


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def timed(fn: Callable[[], object], runs: int, reset: Callable[[], None] | None = None) -> float:
    times = []
    for _ in range(runs):
        if reset:
            reset()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", "--runs", type=int, default=10)
    runs = ap.parse_args().runs
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        served, home = root / "served", root / "home"
        served.mkdir()
        version, triple, pin = build(served)
        server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(served)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}"
        env = {
            "PATH": os.environ["PATH"],
            "HOME": str(home),
            "BOOTSTRAP_HOME": str(home),
            "BOOTSTRAP_UV_PIN_FILE": str(pin),
            "BOOTSTRAP_UV_MIRROR_URL": f"{url}/mirror",
            "BOOTSTRAP_UV_INDEX_URL": f"{url}/simple",
        }
        uv_dir = home / "data" / "uv" / version

        def reset() -> None:
            shutil.rmtree(uv_dir, ignore_errors=True)

        def sh(*args: str, sources: str = "mirror", shell: str = "dash") -> None:
            subprocess.run(
                [shell, str(REPO / "install.sh"), *args],
                env={**env, "BOOTSTRAP_UV_SOURCES": sources},
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )

        rows: list[tuple[str, float, str]] = []
        fresh = max(3, runs // 2)
        rows.append(
            (
                "install.sh fresh, loopback mirror (.tar.gz)",
                timed(partial(sh, "--no-run"), fresh, reset),
                "<= 2 s",
            )
        )
        rows.append(
            (
                "install.sh fresh, loopback index (wheel)",
                timed(partial(sh, "--no-run", sources="index"), fresh, reset),
                "<= 2 s",
            )
        )
        sh("--no-run")
        for shell in ("dash", "bash"):
            rows.append(
                (
                    f"install.sh re-run, uv present ({shell}, --no-run)",
                    timed(partial(sh, "--no-run", shell=shell), runs),
                    "<= 0.1 s",
                )
            )
        rows.append(
            (
                "install.sh re-run + `uv --version` (--uv)",
                timed(partial(sh, "--uv", "--version"), runs),
                "<= 0.1 s",
            )
        )

        os.environ.update(env)
        from bootstrap.paths import Paths
        from bootstrap.uv import ensure

        paths = Paths.from_env()
        rows.append(
            (
                "ensure() fresh, loopback mirror",
                timed(lambda: ensure(paths, sources="mirror"), fresh, reset),
                "<= 2 s",
            )
        )
        rows.append(("ensure() uv present", timed(lambda: ensure(paths), runs), "<= 0.1 s"))
        server.shutdown()

    print(f"uv {version} ({triple}), median of {runs} runs ({fresh} for fresh installs)\n")
    print("| benchmark | median | goal |\n|---|---|---|")
    for name, value, goal in rows:
        print(f"| {name} | {value:.3f} s | {goal} |")


if __name__ == "__main__":
    main()
