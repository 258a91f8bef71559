"""Devcontainer: the environment lives in a container built from the project's
devcontainer.json (the @devcontainers/cli `devcontainer` command)."""

from __future__ import annotations

from bootstrap.plan.model import Plan


def describe(plan: Plan) -> list[str]:
    return [
        "`devcontainer up --workspace-folder " + plan.project + "`",
        "mount a named volume at the uv cache (UV_CACHE_DIR) so later rebuilds stay offline",
        "`devcontainer exec --workspace-folder "
        + plan.project
        + " ./install.sh --profile "
        + plan.profile
        + "`",
    ]
