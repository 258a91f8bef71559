"""Podman and the Dev Containers CLI, for the devcontainer strategy's tests.

Rootful podman with a containers.conf that works on this kind of CI machine (crun cannot
set the rlimits, cgroup v1 hybrid is not supported by the systemd manager: runc and
cgroupfs instead; host networking, so podman never creates its bridge network, which
would add iptables rules and turn on IP forwarding on the machine). The Debian root
filesystem is imported as ``localhost/debian:bookworm`` (re-imported only when the
rootfs recipe or the host CA bundle changed), and the Dev Containers CLI is installed
from npm at a pinned version into pytest's cache directory, once.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from bootstrap.transports.devcontainer_cli import CLI_VERSION
from support.rootfs import HOST_CA_BUNDLE

# The product pins the CLI it runs through npx; the tests install the same version.
DEVCONTAINER_CLI_VERSION = CLI_VERSION
IMAGE = "localhost/debian:bookworm"
IMAGE_LABEL = "org.bootstrap.rootfs"
CLI_CACHE_NAME = "bootstrap-devcontainer-cli"
CONTAINERS_CONF = """\
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
netns = "host"

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
"""


@dataclass(frozen=True)
class PodmanEnv:
    devcontainer: Path  # the Dev Containers CLI (node_modules/.bin/devcontainer)
    containers_conf: Path  # also exported as CONTAINERS_CONF for the session
    image: str = IMAGE

    def env(self) -> dict[str, str]:
        """The variables podman (and so the CLI and the product) needs."""
        return {"CONTAINERS_CONF": str(self.containers_conf)}

    def podman(
        self, *args: str, check: bool = True, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["podman", *args],
            env={**os.environ, **self.env()},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=check,
        )

    def cli(
        self,
        command: str,
        workspace: Path,
        *args: str,
        timeout: float = 300,
        env: Mapping[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """`devcontainer COMMAND --workspace-folder WS --docker-path podman ARGS...`."""
        argv = [str(self.devcontainer), command, "--workspace-folder", str(workspace)]
        argv += ["--docker-path", "podman", *args]
        return subprocess.run(
            argv,
            env={**os.environ, **self.env(), **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def containers_of(self, workspace: Path) -> list[str]:
        """IDs of the containers the CLI made for ``workspace`` (it labels them)."""
        out = self.podman(
            "ps", "-a", "-q", "--filter", f"label=devcontainer.local_folder={workspace}"
        )
        return out.stdout.split()

    def remove_containers(self, workspace: Path) -> None:
        ids = self.containers_of(workspace)
        if ids:
            self.podman("rm", "-f", "-t", "0", *ids)


def image_key(rootfs_tarball: Path) -> str:
    ca = HOST_CA_BUNDLE.read_bytes() if HOST_CA_BUNDLE.is_file() else b""
    return hashlib.sha256(rootfs_tarball.name.encode() + ca).hexdigest()[:16]


def ensure_image(env: PodmanEnv, rootfs: Path, key: str) -> None:
    """Import ``rootfs`` as the image unless an image from the same recipe is there."""
    if env.podman("image", "exists", env.image, check=False).returncode == 0:
        labels = env.podman("image", "inspect", "--format", "{{json .Labels}}", env.image)
        if (json.loads(labels.stdout) or {}).get(IMAGE_LABEL) == key:
            return
    tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
    try:
        subprocess.run(
            ["podman", "import", "--change", f"LABEL {IMAGE_LABEL}={key}", "-", env.image],
            stdin=tar.stdout,
            env={**os.environ, **env.env()},
            capture_output=True,
            check=True,
            timeout=300,
        )
    finally:
        if tar.stdout:
            tar.stdout.close()
        tar.wait()


def ensure_cli(store: Path, version: str = DEVCONTAINER_CLI_VERSION) -> Path:
    """The Dev Containers CLI at ``version`` under ``store``, installed from npm once."""
    prefix = store / version
    cli = prefix / "node_modules" / ".bin" / "devcontainer"
    if cli.exists():
        return cli
    npm = shutil.which("npm")
    if not npm:
        pytest.skip("npm is not installed (the Dev Containers CLI comes from npm)")
    with (store / "install.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if cli.exists():
            return cli
        partial = store / f"{version}.partial-{os.getpid()}"
        shutil.rmtree(partial, ignore_errors=True)
        env = dict(os.environ)
        if HOST_CA_BUNDLE.is_file():  # node has its own CA list; CI's TLS passes the host's
            env.setdefault("NODE_EXTRA_CA_CERTS", str(HOST_CA_BUNDLE))
        done = subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--prefix", str(partial),
             f"@devcontainers/cli@{version}"],
            env=env, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            shutil.rmtree(partial, ignore_errors=True)
            tail = "\n".join((done.stdout + done.stderr).splitlines()[-15:])
            if any(s in tail for s in ("ENOTFOUND", "ECONNREFUSED", "ETIMEDOUT", "EAI_AGAIN")):
                pytest.skip(f"npm cannot reach its registry:\n{tail}")
            raise RuntimeError(f"npm install @devcontainers/cli@{version} failed:\n{tail}")
        for stale in store.iterdir():  # older pins
            if stale.is_dir() and stale.name != partial.name:
                shutil.rmtree(stale, ignore_errors=True)
        partial.rename(prefix)  # .bin holds relative symlinks: the move is safe
    return cli


def _skip_unless_podman_can_run() -> None:
    if os.geteuid() != 0:
        pytest.skip("the devcontainer tests use rootful podman: they need root")
    missing = [tool for tool in ("podman", "runc", "node") if not shutil.which(tool)]
    if missing:
        pytest.skip(f"the devcontainer tests need {', '.join(missing)}")


@pytest.fixture(scope="session")
def podman_env(
    request: pytest.FixtureRequest,
    debian_rootfs: Path,
    debian_rootfs_tarball: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[PodmanEnv]:
    """Podman ready to run ``localhost/debian:bookworm`` and the pinned Dev Containers CLI;
    CONTAINERS_CONF is exported for the whole session."""
    _skip_unless_podman_can_run()
    conf = tmp_path_factory.mktemp("podman") / "containers.conf"
    conf.write_text(CONTAINERS_CONF)
    store = Path(request.config.cache.mkdir(CLI_CACHE_NAME))
    env = PodmanEnv(devcontainer=ensure_cli(store), containers_conf=conf)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CONTAINERS_CONF", str(conf))
        ensure_image(env, debian_rootfs, image_key(debian_rootfs_tarball))
        yield env


def write_devcontainer_json(workspace: Path, config: Mapping[str, object]) -> Path:
    """``workspace/.devcontainer/devcontainer.json`` with ``config``."""
    path = workspace / ".devcontainer" / "devcontainer.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(config, indent=2) + "\n")
    return path


def outcome(done: subprocess.CompletedProcess[str]) -> dict[str, object]:
    """The JSON result `devcontainer up` prints as its last stdout line."""
    lines: Sequence[str] = done.stdout.strip().splitlines() or ["{}"]
    try:
        result = json.loads(lines[-1])
    except json.JSONDecodeError:
        return {}
    return result if isinstance(result, dict) else {}
