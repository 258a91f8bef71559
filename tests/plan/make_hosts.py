"""Regenerate tests/plan/hosts/*.json: `uv run python tests/plan/make_hosts.py`.

Most hosts are the replayable captures under tests/fixtures/hosts (real command outputs,
sources in that folder's README) run through detection; a few are derived from them by
changing one or two facts, listed in DERIVED with what changed. Probe timings are
dropped: the planner does not read them and they would make the files churn.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bootstrap.host import replay

HERE = Path(__file__).resolve().parent
CAPTURES = HERE.parent / "fixtures" / "hosts"
REPLAYED = (
    "macos-arm64",
    "macos-rosetta",
    "windows-wsl2",
    "windows-no-wsl",
    "windows-wsl-not-installed",
    "windows-virtualization-off",
    "windows-wsl1-only",
    "windows-no-distro",
    "wsl2-nvidia",
    "wsl2-nvidia-cuda-err",
    "linux-nvidia-410-cuda-na",
    "linux-nvidia-384-old-smi",
    "linux-jetson-r35",
    "linux-jetson-r36-smi",
    "linux-nvidia-470",
    "linux-nvidia-535",
    "linux-nvidia-550",
    "linux-nvidia-565-open",
    "linux-nvidia-580",
    "linux-no-gpu",
    "linux-small",
    "container-on-wsl2",
)


def _gpu(base: dict[str, Any], driver: str, cuda: str) -> dict[str, Any]:
    return {**base["gpus"][0], "driver_version": driver, "cuda_version": cuda}


DOCKER_UP = {"container_engine": "docker", "engine_error": None}

# name -> (capture it starts from, what changes)
DERIVED: dict[str, tuple[str, Any]] = {
    # A current Windows NVIDIA driver (R580 branch reports CUDA 13.0) with a WSL2 distro.
    "windows-wsl2-nvidia-580": (
        "windows-wsl2",
        lambda d: {**d, "gpus": [_gpu(d, "581.42", "13.0")]},
    ),
    # The 550 host with only the driver version known (no nvidia-smi): the planner
    # falls back to the driver -> CUDA table.
    "linux-nvidia-550-no-smi": (
        "linux-nvidia-550",
        lambda d: {**d, "gpus": [{**d["gpus"][0], "cuda_version": None}]},
    ),
    # A Linux workstation with Docker (its daemon running) and no GPU (devcontainer
    # candidates).
    "linux-docker": (
        "linux-no-gpu",
        lambda d: {**d, "tools": {**d["tools"], "docker": "/usr/bin/docker", **DOCKER_UP}},
    ),
    # A macOS laptop with Docker Desktop running.
    "macos-arm64-docker": (
        "macos-arm64",
        lambda d: {**d, "tools": {**d["tools"], "docker": "/usr/local/bin/docker", **DOCKER_UP}},
    ),
    # The same laptop with Docker Desktop stopped: a client and no engine (the error is
    # the one `docker version` prints then, tests/fixtures/host/engine/).
    "macos-arm64-docker-stopped": (
        "macos-arm64",
        lambda d: {
            **d,
            "tools": {
                **d["tools"],
                "docker": "/usr/local/bin/docker",
                "container_engine": None,
                "engine_error": "docker: Cannot connect to the Docker daemon at "
                "unix:///var/run/docker.sock. Is the docker daemon running?",
            },
        },
    ),
}


def facts_dict(capture: str) -> dict[str, Any]:
    d = replay(CAPTURES / capture).to_dict()
    d.pop("probes", None)
    return d


def main() -> None:
    out = HERE / "hosts"
    out.mkdir(exist_ok=True)
    for name in REPLAYED:
        (out / f"{name}.json").write_text(json.dumps(facts_dict(name), indent=2) + "\n")
    for name, (capture, change) in DERIVED.items():
        (out / f"{name}.json").write_text(json.dumps(change(facts_dict(capture)), indent=2) + "\n")


if __name__ == "__main__":
    main()
