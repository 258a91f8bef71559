"""The container engine probe on this machine: a docker client with no daemon behind it
(a real negative case), and podman where it is installed."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from typing import Any

import pytest

from bootstrap.host import detect, probes
from bootstrap.host.sources import Source

pytestmark = [
    pytest.mark.skipif(sys.platform != "linux", reason="this machine's docker client"),
    pytest.mark.skipif(shutil.which("docker") is None, reason="needs a docker client"),
]
NO_DAEMON = "Cannot connect to the Docker daemon"


def docker_answers() -> bool:
    import subprocess

    r = subprocess.run(
        ["docker", "version", "--format", "{{.Server.Version}}"],
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    return r.returncode == 0 and bool(r.stdout.strip())


class WithoutPodman(Source):
    """This machine as it is, except that podman is not on PATH."""

    def value(self, key: str, compute: Callable[[], Any]) -> Any:
        return None if key == "which.podman" else super().value(key, compute)


def test_a_docker_client_without_a_daemon_is_no_engine() -> None:
    if docker_answers():
        pytest.skip("a docker daemon answers here")
    found, origin = probes.probe_engine(WithoutPodman(), {"os": "linux"}, 5.0)
    assert found["container_engine"] is None
    assert found["engine_error"].startswith("docker: " + NO_DAEMON)
    assert origin == "no engine answered"


def test_detect_reports_the_client_and_the_engine_apart() -> None:
    f = detect()
    assert f.tools.docker == shutil.which("docker")
    if docker_answers():
        assert f.tools.container_engine == "docker"
    elif shutil.which("podman"):
        # podman answers for itself (no daemon); docker's failure is still reported.
        assert f.tools.container_engine == "podman", f.tools
        assert f.probes["engine"].detail.startswith("podman ")
        assert f.tools.engine_error is not None
        assert NO_DAEMON in f.tools.engine_error
    else:
        assert f.tools.container_engine is None
        assert f.tools.engine_error is not None
        assert NO_DAEMON in f.tools.engine_error
