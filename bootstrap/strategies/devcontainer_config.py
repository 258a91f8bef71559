"""The devcontainer.json a profile asks for: pure data, written by the devcontainer-config
step and by `bootstrap devcontainer generate`.

What it carries, and why:

* the image (or Dockerfile) from the profile, the project as the workspace (mounted at
  ``/workspaces/<folder name>``, the Dev Containers default, spelled out so the handoff
  knows the directory);
* uv's cache in a **named volume** (``UV_CACHE_DIR``), so rebuilding the container keeps
  the cache and stays offline; ``UV_LINK_MODE=copy`` because the cache volume and the
  environment are on different file systems (uv would warn and copy anyway);
* the environment inside the container (``UV_PROJECT_ENVIRONMENT`` outside the bind
  mount), so a host ``.venv`` built for another OS is never reused;
* stage 0 as ``postCreateCommand`` with the cache bundle mounted read-only;
* ``BOOTSTRAP_HANDOFF_ELAPSED`` in ``remoteEnv``, so a run started by `bootstrap up` on the
  host counts its total from the host's start;
* for a GPU variant, the request the engine understands (``--gpus=all`` for Docker, the
  CDI device ``nvidia.com/gpu=all`` for Podman) and ``hostRequirements.gpu``.
"""

from __future__ import annotations

import json
from typing import Any

# Where the bundle is shipped to; the transport that writes it owns the names.
from bootstrap.transports.devcontainer_cli import BUNDLE_HOST_DIR as BUNDLE_HOST_DIR  # noqa: PLC0414
from bootstrap.transports.devcontainer_cli import BUNDLE_NAME as BUNDLE_NAME  # noqa: PLC0414

CACHE_VOLUME = "bootstrap-uv-cache"  # one per machine: uv's cache is safe to share
UV_CACHE_DIR = "/var/cache/bootstrap-uv"
BUNDLE_DIR = "/opt/bootstrap/cache-bundle"  # where the container sees it, read-only
TOOL_ENV = "/opt/bootstrap/tool-env"  # the bootstrapper's own environment in the container
PROJECT_ENVS = "/opt/bootstrap/envs"
REPORT = ".bootstrap-stage/report.json"  # relative to the workspace folder
WORKSPACE = "/workspaces/${localWorkspaceFolderBasename}"
SCHEMA_URL = (
    "https://raw.githubusercontent.com/devcontainers/spec/main/schemas/devContainer.schema.json"
)


def project_env(project_name: str) -> str:
    return f"{PROJECT_ENVS}/{project_name}"


def stage0_command(profile: str, *, online: bool = False) -> str:
    """Stage 0 as the container runs it, from the workspace folder (the project): the
    bootstrapper the handoff installed into the project's ``.bootstrap/``
    (:mod:`bootstrap.plan.carry`), for the project, with the mounted bundle when there is one.

    The bootstrapper's own environment goes to ``TOOL_ENV`` (install.sh's ``uv run``
    honours ``UV_PROJECT_ENVIRONMENT``); the project's is passed on as
    ``BOOTSTRAP_PROJECT_ENVIRONMENT``, which the bootstrapper gives to uv for the project.
    """
    from bootstrap.plan.carry import stage0_there

    args = ["--project", ".", "--profile", profile, "--report-out", REPORT]
    args += ["--online"] if online else []
    prefix = (
        'export BOOTSTRAP_PROJECT_ENVIRONMENT="$UV_PROJECT_ENVIRONMENT" '
        f"UV_PROJECT_ENVIRONMENT={TOOL_ENV}; "
    )
    return stage0_there(args, bundle=f"{BUNDLE_DIR}/{BUNDLE_NAME}", prefix=prefix)


def gpu_request(engine: str, *, required: bool) -> tuple[list[str], Any]:
    """(runArgs, hostRequirements.gpu) asking the engine for every NVIDIA GPU."""
    # Docker's --gpus goes through the NVIDIA Container Toolkit's runtime hook; Podman
    # has no --gpus before 5.0 and uses the toolkit's CDI spec instead.
    args = ["--gpus=all"] if engine == "docker" else ["--device=nvidia.com/gpu=all"]
    return args, (True if required else "optional")


def mounts() -> list[str]:
    return [
        f"type=volume,source={CACHE_VOLUME},target={UV_CACHE_DIR}",
        f"type=bind,source=${{localWorkspaceFolder}}/{BUNDLE_HOST_DIR},target={BUNDLE_DIR},"
        "readonly",
    ]


def container_env(project_name: str) -> dict[str, str]:
    return {
        "UV_CACHE_DIR": UV_CACHE_DIR,
        "UV_LINK_MODE": "copy",
        "UV_PROJECT_ENVIRONMENT": project_env(project_name),
    }


def build(
    *,
    profile_name: str,
    profile_path: str,
    project_name: str,
    image: str | None,
    dockerfile: str | None,
    engine: str,
    gpu: str | None,
    run_args: tuple[str, ...] = (),
    online: bool = False,
) -> dict[str, Any]:
    """The devcontainer.json document. ``gpu``: None, "optional" or "required"."""
    doc: dict[str, Any] = {
        "$schema": SCHEMA_URL,
        "name": f"{profile_name} (bootstrap)",
    }
    if dockerfile:
        # Relative to the devcontainer.json; the build context is the workspace.
        doc["build"] = {"dockerfile": dockerfile, "context": ".."}
    else:
        doc["image"] = image
    doc["workspaceMount"] = f"type=bind,source=${{localWorkspaceFolder}},target={WORKSPACE}"
    doc["workspaceFolder"] = WORKSPACE
    doc["mounts"] = mounts()
    doc["containerEnv"] = container_env(project_name)
    doc["remoteEnv"] = {"BOOTSTRAP_HANDOFF_ELAPSED": "${localEnv:BOOTSTRAP_HANDOFF_ELAPSED}"}
    args = list(run_args)
    if gpu is not None:
        gpu_args, host_gpu = gpu_request(engine, required=gpu == "required")
        args += gpu_args
        doc["hostRequirements"] = {"gpu": host_gpu}
    if args:
        doc["runArgs"] = args
    doc["postCreateCommand"] = stage0_command(profile_path, online=online)
    doc["customizations"] = {"bootstrap": {"profile": profile_name}}
    return doc


def missing(
    users: dict[str, Any], mounts: tuple[str, ...], env: tuple[str, ...]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The mounts (by target) and variables (NAME=value) that a user's devcontainer.json
    does not set already."""
    targets = set()
    for mount in users.get("mounts") or ():
        if isinstance(mount, dict):
            targets.add(str(mount.get("target", "")))
        elif isinstance(mount, str):
            for part in mount.split(","):
                key, _, value = part.partition("=")
                if key.strip() in ("target", "destination", "dst"):
                    targets.add(value.strip())
    names = set(users.get("containerEnv") or {}) | set(users.get("remoteEnv") or {})

    def target_of(mount: str) -> str:
        return next((p[7:] for p in mount.split(",") if p.startswith("target=")), "")

    return (
        tuple(m for m in mounts if target_of(m) not in targets),
        tuple(e for e in env if e.partition("=")[0] not in names),
    )


def cli_mount(mount: str, workspace: str) -> str:
    """A devcontainer.json mount as the CLI's ``--mount`` takes it: the CLI substitutes no
    variables there and knows no ``readonly`` (so a user's own file gets the bundle folder
    writable; the generated file mounts it read-only)."""
    parts = [p for p in mount.split(",") if p != "readonly"]
    return ",".join(parts).replace("${localWorkspaceFolder}", workspace)


def render(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2) + "\n"


def parse(text: str) -> dict[str, Any] | None:
    """A devcontainer.json's data (JSON with comments and trailing commas, as the spec
    allows), or None when it cannot be read."""
    try:
        data = json.loads(_strip_jsonc(text))
    except (ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def check_user_config(path: str, text: str) -> dict[str, Any]:
    """A user's devcontainer.json as data, with the keys the handoff reads checked:
    ``mounts`` a list of strings or objects, ``containerEnv``/``remoteEnv`` objects of
    strings. Raises UserError naming the file and the key (exit 2)."""
    from bootstrap.errors import UserError

    data = parse(text)
    if data is None:
        raise UserError(
            f"{path}: not a devcontainer.json: expected a JSON object (comments and "
            "trailing commas allowed), nested at most a few hundred levels",
            fix="fix the file, or `bootstrap devcontainer generate --force` to replace it",
            code="devcontainer.bad_config",
        )
    mounts = data.get("mounts")
    if mounts is not None and not (
        isinstance(mounts, list) and all(isinstance(m, (str, dict)) for m in mounts)
    ):
        raise UserError(
            f"{path}: `mounts` must be a list of mount strings or objects, found "
            f"{type(mounts).__name__}",
            fix='e.g. "mounts": ["type=volume,source=x,target=/x"]',
            code="devcontainer.bad_config",
        )
    for key in ("containerEnv", "remoteEnv"):
        env = data.get(key)
        if env is not None and not (
            isinstance(env, dict) and all(isinstance(v, (str, type(None))) for v in env.values())
        ):
            raise UserError(
                f'{path}: `{key}` must be an object of NAME: "value" strings, found '
                f"{type(env).__name__}",
                fix=f'e.g. "{key}": {{"NAME": "value"}}',
                code="devcontainer.bad_config",
            )
    return data


def _strip_jsonc(text: str) -> str:
    """JSON with comments and trailing commas, as plain JSON (strings left alone)."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            end = i + 1
            while end < n and text[end] != '"':
                end += 2 if text[end] == "\\" else 1
            out.append(text[i : end + 1])
            i = end + 1
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
        elif c == "," and _closes_next(text, i + 1):
            i += 1  # a trailing comma
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _closes_next(text: str, i: int) -> bool:
    """Whether the next token after ``i`` (past blanks and comments) closes a container."""
    n = len(text)
    while i < n:
        if text[i].isspace():
            i += 1
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
        else:
            return text[i] in "}]"
    return False


def diff(old: str, new: str, path: str) -> list[str]:
    import difflib

    return list(
        difflib.unified_diff(
            old.splitlines(),
            new.splitlines(),
            f"{path} (yours)",
            f"{path} (generated)",
            lineterm="",
        )
    )
