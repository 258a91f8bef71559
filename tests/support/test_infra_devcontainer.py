"""Podman and the Dev Containers CLI on the local Debian image, with no product code: what
the devcontainer strategy's tests rely on."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.podman import IMAGE, PodmanEnv, outcome, write_devcontainer_json

pytestmark = [pytest.mark.devcontainer, pytest.mark.slow]


def test_devcontainer_up_and_exec_on_the_local_image(podman_env: PodmanEnv, tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "hello.txt").write_text("from the host\n")
    write_devcontainer_json(workspace, {"image": IMAGE, "runArgs": ["--network=none"]})
    try:
        up = podman_env.cli("up", workspace)
        assert up.returncode == 0, up.stdout + up.stderr
        result = outcome(up)
        assert result.get("outcome") == "success", up.stdout
        assert podman_env.containers_of(workspace) != []

        py = podman_env.cli("exec", workspace, "python3", "-c", "print(1)")
        assert py.returncode == 0, py.stderr
        assert py.stdout.strip().splitlines()[-1] == "1"

        folder = result.get("remoteWorkspaceFolder")
        assert isinstance(folder, str)
        seen = podman_env.cli("exec", workspace, "cat", f"{folder}/hello.txt")
        assert seen.stdout.strip().splitlines()[-1] == "from the host"

        # --network=none: only loopback, nothing reachable.
        links = podman_env.cli("exec", workspace, "ip", "-o", "link", "show")
        names = [line.split(":")[1].strip() for line in links.stdout.strip().splitlines()]
        assert names == ["lo"], links.stdout + links.stderr

        failing = podman_env.cli("exec", workspace, "sh", "-c", "exit 7")
        assert failing.returncode == 7  # exit codes pass through
    finally:
        podman_env.remove_containers(workspace)
    assert podman_env.containers_of(workspace) == []
