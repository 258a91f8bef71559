"""A real Debian bookworm root filesystem for the remote and devcontainer tests.

Built once with mmdebstrap (minbase plus what a remote box needs: sshd, python3, rsync,
iproute2 for the offline wrapper, util-linux for `unshare`), kept as a tarball in pytest's
cache directory keyed by a hash of the recipe, and extracted once per test session.
A cold build takes 20-75 s (the mirror's speed); a warm session only extracts (~2 s).

The host CA bundle is copied into every extraction rather than baked into the tarball:
outbound TLS on CI passes a CA from the system trust store, and that store can change
without the recipe changing.

Treat the extracted tree as read-only: `remote_box` mounts an overlay on top of it, so
a test that changes files inside its box never changes what the next test sees.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

SUITE = "bookworm"
PACKAGES = (
    "openssh-server",
    "python3",
    "rsync",
    "procps",
    "iproute2",
    "ca-certificates",
    "util-linux",
    "coreutils",
)
MMDEBSTRAP_ARGS = ("--variant=minbase", "--include=" + ",".join(PACKAGES), "--format=tar")
# Bump when the way the tarball is made changes in a way the arguments above do not show.
RECIPE_VERSION = 1
DEFAULT_MIRROR = "http://deb.debian.org/debian"
CACHE_NAME = "bootstrap-rootfs"
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
BUILD_TIMEOUT = 900

# mmdebstrap/apt messages that mean "no network", as opposed to a broken recipe.
_NETWORK_ERRORS = (
    "could not resolve",
    "temporary failure resolving",
    "failed to fetch",
    "unable to connect",
    "connection failed",
    "connection timed out",
    "network is unreachable",
    "no route to host",
)


class RootfsUnavailable(Exception):
    """The root filesystem cannot be built here for a reason that is not a bug."""


def host_arch() -> str:
    out = subprocess.run(
        ["dpkg", "--print-architecture"], capture_output=True, text=True, check=False
    )
    return out.stdout.strip() or "amd64"


def recipe_key(arch: str) -> str:
    recipe = {"suite": SUITE, "args": MMDEBSTRAP_ARGS, "arch": arch, "v": RECIPE_VERSION}
    return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:16]


def debian_mirror(apt_etc: Path = Path("/etc/apt")) -> str:
    """The Debian archive URI apt already uses (deb822 `.sources` or one-line `.list`),
    preferring an entry for `SUITE`; the public mirror when none is configured."""
    entries: list[tuple[str, list[str]]] = []  # (uri, suites)
    files = [apt_etc / "sources.list"]
    parts = apt_etc / "sources.list.d"
    if parts.is_dir():
        files += sorted(parts.iterdir())
    for path in files:
        if not path.is_file():
            continue
        text = path.read_text(errors="replace")
        if path.suffix == ".sources":
            entries += _deb822_entries(text)
        elif path.suffix == ".list" or path.name == "sources.list":
            entries += _one_line_entries(text)
    for uri, suites in entries:
        if SUITE in suites:
            return uri
    for uri, _ in entries:
        if uri.rstrip("/").endswith("/debian"):
            return uri
    return DEFAULT_MIRROR


def _deb822_entries(text: str) -> list[tuple[str, list[str]]]:
    found = []
    for stanza in text.split("\n\n"):
        fields: dict[str, str] = {}
        for line in stanza.splitlines():
            if line.startswith("#") or ":" not in line:
                continue
            key, _, value = line.partition(":")
            fields[key.strip().lower()] = value.strip()
        if "deb" not in fields.get("types", "").split():
            continue
        if fields.get("enabled", "yes").lower() == "no":
            continue
        suites = fields.get("suites", "").split()
        found += [(uri, suites) for uri in fields.get("uris", "").split()]
    return found


def _one_line_entries(text: str) -> list[tuple[str, list[str]]]:
    found = []
    for line in text.splitlines():
        words = line.split("#", 1)[0].split()
        if not words or words[0] != "deb":
            continue
        words = words[1:]
        if words and words[0].startswith("["):  # options: [arch=amd64 signed-by=...]
            while words and not words[0].endswith("]"):
                words = words[1:]
            words = words[1:]
        if len(words) >= 2:
            found.append((words[0], [words[1]]))
    return found


def mirror_reachable(mirror: str, timeout: float = 5.0) -> bool:
    url = urlsplit(mirror)
    if url.scheme not in ("http", "https") or not url.hostname:
        return True  # file:, copy:, mirror+file: ... nothing to probe
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        with socket.create_connection((url.hostname, port), timeout=timeout):
            return True
    except OSError:
        return False


def build_tarball(dest: Path, mirror: str, log: Path) -> None:
    """mmdebstrap into ``dest`` (atomically: a partial file never has the final name)."""
    if not shutil.which("mmdebstrap"):
        raise RootfsUnavailable("mmdebstrap is not installed (apt-get install mmdebstrap)")
    if not mirror_reachable(mirror):
        raise RootfsUnavailable(f"the Debian mirror {mirror} is not reachable")
    partial = dest.with_name(f"{dest.name}.partial-{os.getpid()}")
    argv = ["mmdebstrap", *MMDEBSTRAP_ARGS, SUITE, str(partial), mirror]
    try:
        with log.open("w") as out:
            out.write("+ " + " ".join(argv) + "\n")
            out.flush()
            done = subprocess.run(
                argv, stdout=out, stderr=subprocess.STDOUT, timeout=BUILD_TIMEOUT, check=False
            )
        if done.returncode != 0:
            text = log.read_text(errors="replace")
            if any(e in text.lower() for e in _NETWORK_ERRORS) or not mirror_reachable(mirror):
                raise RootfsUnavailable(f"mmdebstrap could not download from {mirror} (see {log})")
            tail = "\n".join(text.splitlines()[-30:])
            raise RuntimeError(f"mmdebstrap failed with exit {done.returncode}:\n{tail}")
        partial.replace(dest)
    finally:
        partial.unlink(missing_ok=True)


def cached_tarball(store: Path, mirror: str | None = None) -> Path:
    """The rootfs tarball for the current recipe in ``store``, built when missing.

    One build at a time per store (an OS file lock), so concurrent sessions sharing a
    cache directory wait for the first build instead of racing it."""
    key = recipe_key(host_arch())
    tarball = store / f"rootfs-{SUITE}-{key}.tar"
    if tarball.is_file():
        return tarball
    with (store / "build.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if tarball.is_file():  # built by another session while this one waited
            return tarball
        for stale in store.glob("rootfs-*.tar*"):  # older recipes and dead partial builds
            stale.unlink(missing_ok=True)
        build_tarball(tarball, mirror or debian_mirror(), store / "build.log")
    return tarball


def extract(tarball: Path, dest: Path) -> Path:
    """Unpack ``tarball`` into ``dest`` and copy the host's CA bundle in.

    /dev is left empty: whoever uses the tree mounts its own /dev (remote_box mounts a
    tmpfs with the few device nodes a shell needs; podman makes its own)."""
    dest.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["tar", "-C", str(dest), "--numeric-owner", "-xpf", str(tarball), "--exclude=./dev/*"],
        check=True,
        capture_output=True,
    )
    if HOST_CA_BUNDLE.is_file():
        shutil.copyfile(HOST_CA_BUNDLE, dest / "etc/ssl/certs/ca-certificates.crt")
    return dest


@pytest.fixture(scope="session")
def debian_rootfs_tarball(request: pytest.FixtureRequest) -> Path:
    """The cached mmdebstrap tarball (built on the first session that needs it)."""
    if os.geteuid() != 0:
        pytest.skip("building and using the Debian root filesystem needs root")
    store = Path(request.config.cache.mkdir(CACHE_NAME))
    started = time.monotonic()
    try:
        tarball = cached_tarball(store)
    except RootfsUnavailable as why:
        pytest.skip(f"no Debian root filesystem: {why}")
    elapsed = time.monotonic() - started
    if elapsed > 5:
        print(f"built the Debian root filesystem in {elapsed:.0f}s: {tarball}")
    return tarball


@pytest.fixture(scope="session")
def debian_rootfs(debian_rootfs_tarball: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Debian bookworm root filesystem, extracted once per session (read-only by
    convention: `remote_box` overlays it; use `remote_box.run` to change a box)."""
    return extract(debian_rootfs_tarball, tmp_path_factory.mktemp("debian-rootfs") / "root")
