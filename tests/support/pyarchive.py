"""A CPython interpreter archive in uv's ``install_only`` layout, built from Debian's own
packages, for the tests of the bundled interpreter (GitHub, where python-build-standalone
publishes, is not reachable from the test machines).

``apt-get download`` fetches Debian bookworm's CPython 3.11 packages (python3.11-minimal,
libpython3.11-minimal, libpython3.11-stdlib, python3.11), ``dpkg-deb -x`` unpacks them,
and ``python/bin`` + ``python/lib/python3.11`` are staged the way an install_only archive
lays them out; absolute symlinks (Debian's ``sitecustomize.py`` points into /etc) are
dropped, because uv refuses them. The ~6 MB archive installs with uv and runs (ssl,
sqlite3, ctypes) on hosts with Debian 12's libraries: this machine, the mmdebstrap rootfs
of the remote and WSL2 tests. It is a fixture for the mechanism, not a product artifact.

Built once, kept in pytest's cache directory keyed by the recipe, one build at a time
(an OS file lock), like the root filesystem (rootfs.py).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGES = ("python3.11-minimal", "libpython3.11-minimal", "libpython3.11-stdlib", "python3.11")
MINOR = "3.11"
RECIPE_VERSION = 1
CACHE_NAME = "bootstrap-python-archive"


@dataclass(frozen=True)
class PyArchive:
    path: Path
    version: str  # "3.11.2"
    sha256: str
    triple: str  # the uv pin's triple it runs on

    @property
    def minor(self) -> str:
        return MINOR

    def pin_line(self, url: str | None = None) -> str:
        return (
            f"cpython {self.triple} {self.version} {self.path.name} {self.sha256} "
            f"{url or self.path.resolve().as_uri()}"
        )


def _arch() -> str:
    out = subprocess.run(
        ["dpkg", "--print-architecture"], capture_output=True, text=True, check=False
    )
    return out.stdout.strip() or "amd64"


def _triple(arch: str) -> str:
    return {"amd64": "x86_64-unknown-linux-gnu", "arm64": "aarch64-unknown-linux-gnu"}[arch]


def stage_tree(debs: list[Path], dest: Path) -> Path:
    """``dest/python``: the interpreter and its standard library from the packages."""
    root = dest / "root"
    root.mkdir(parents=True)
    for deb in debs:
        subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
    py = dest / "python"
    (py / "bin").mkdir(parents=True)
    (py / "lib").mkdir()
    shutil.copy2(root / "usr" / "bin" / f"python{MINOR}", py / "bin" / f"python{MINOR}")
    (py / "bin" / "python3").symlink_to(f"python{MINOR}")
    (py / "bin" / "python").symlink_to(f"python{MINOR}")
    shutil.copytree(
        root / "usr" / "lib" / f"python{MINOR}", py / "lib" / f"python{MINOR}", symlinks=True
    )
    for link in [p for p in py.rglob("*") if p.is_symlink()]:
        if str(link.readlink()).startswith("/"):
            link.unlink()
    return py


def tar_tree(tree: Path, out: Path, *, extra: list[tuple[str, str]] = ()) -> Path:  # type: ignore[assignment]
    """``tree`` (a ``python/`` directory) as a .tar.gz with fixed owners and times;
    ``extra``: (member name, absolute link target) symlinks to add (hostile cases)."""

    def clean(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        info.mtime = 0
        return info

    with tarfile.open(out, "w:gz", compresslevel=6) as tar:
        tar.add(tree, arcname="python", filter=clean)
        for name, target in extra:
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            tar.addfile(clean(info))
    return out


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build(store: Path) -> PyArchive:
    arch = _arch()
    triple = _triple(arch)
    name = f"cpython-{MINOR}-{triple}-install_only.tar.gz"
    with tempfile.TemporaryDirectory(dir=store) as tmp:
        work = Path(tmp)
        done = subprocess.run(
            ["apt-get", "download", *PACKAGES],
            cwd=work,
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
        if done.returncode != 0:
            pytest.skip(f"cannot download Debian's CPython packages: {done.stderr.strip()[-300:]}")
        tree = stage_tree(sorted(work.glob("*.deb")), work / "stage")
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
        name = f"cpython-{version}-{triple}-install_only.tar.gz"
        partial = store / f".{name}.partial"
        tar_tree(tree, partial)
        shutil.rmtree(store / "tree", ignore_errors=True)
        shutil.move(str(tree), store / "tree")
        partial.replace(store / name)
    info = {"name": name, "version": version, "triple": triple}
    (store / "archive.json").write_text(json.dumps(info))
    return PyArchive(store / name, version, _sha(store / name), triple)


def cached_archive(store: Path) -> PyArchive:
    meta = store / "archive.json"
    with (store / "build.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if meta.is_file():
            info = json.loads(meta.read_text())
            path = store / info["name"]
            if path.is_file():
                return PyArchive(path, info["version"], _sha(path), info["triple"])
        if not shutil.which("apt-get") or not shutil.which("dpkg-deb"):
            pytest.skip("apt-get and dpkg-deb are needed to build the interpreter archive")
        return build(store)


def key() -> str:
    recipe = {"packages": PACKAGES, "v": RECIPE_VERSION, "arch": _arch()}
    return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:16]


@pytest.fixture(scope="session")
def py_archive(request: pytest.FixtureRequest) -> PyArchive:
    """The Debian-built install_only archive (see the module docstring)."""
    store = Path(request.config.cache.mkdir(f"{CACHE_NAME}-{key()}"))
    return cached_archive(store)


def variant(
    archive: PyArchive, dest: Path, *, drop_sysconfigdata: bool = False, absolute_link: bool = False
) -> Path:
    """A hostile copy of the archive: without its ``_sysconfigdata``, or with an
    absolute symlink (``python/lib/python3.11/evil -> /etc/passwd``)."""
    tree_src = archive.path.parent / "tree"
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "python"
        shutil.copytree(tree_src, tree, symlinks=True)
        if drop_sysconfigdata:
            for f in (tree / "lib" / f"python{MINOR}").glob("_sysconfigdata_*.py"):
                f.unlink()
        extra = [(f"python/lib/python{MINOR}/evil", "/etc/passwd")] if absolute_link else []
        return tar_tree(tree, dest, extra=extra)


def pin_text(*archives: PyArchive) -> str:
    return "".join(a.pin_line() + "\n" for a in archives)


def write_pin(dest: Path, *archives: PyArchive) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text("# test pin\n" + pin_text(*archives))
    return dest


@pytest.fixture(scope="session")
def py_bundle(
    request: pytest.FixtureRequest, py_archive: PyArchive, uv_bin: Path
) -> tuple[Path, Path]:
    """(the python-service bundle packed with --with-python for this host, the Python pin
    it was packed against): packed online once, kept in pytest's cache."""
    import os
    import sys

    from support.network import pypi_reachable

    repo = Path(__file__).resolve().parents[2]
    digest = hashlib.sha256(
        (repo / "uv.lock").read_bytes()
        + (repo / "examples" / "python-service" / "uv.lock").read_bytes()
        + (repo / "profiles" / "python-service.toml").read_bytes()
        + (repo / "bootstrap" / "uv" / "pin.txt").read_bytes()
        + (repo / "bootstrap" / "cache" / "bundle.py").read_bytes()
        + (repo / "bootstrap" / "cache" / "pack.py").read_bytes()
        + py_archive.sha256.encode()
    ).hexdigest()[:16]
    store = Path(request.config.cache.mkdir(f"bootstrap-py-bundle-{digest}"))
    pin = write_pin(store / "pin.txt", py_archive)
    out = store / "python-service-with-python.tar"
    if out.is_file():
        return out, pin
    if not pypi_reachable():
        pytest.skip("no packed bundle yet and PyPI is not reachable to pack one")
    for stale in store.parent.glob("bootstrap-py-bundle-*"):
        if stale != store:
            shutil.rmtree(stale, ignore_errors=True)
    env = {k: v for k, v in os.environ.items() if k != "BOOTSTRAP_HOME"}
    env["BOOTSTRAP_PYTHON_PIN_FILE"] = str(pin)
    partial = out.with_suffix(".partial")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bootstrap",
            "cache",
            "pack",
            "--profile",
            "python-service",
            "--out",
            str(partial),
            "--with-python",
            "--uv",
            str(uv_bin),
        ],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    partial.replace(out)
    return out, pin
