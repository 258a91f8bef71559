"""What a new shell can run after `up`: the `bootstrap` launcher and the closing commands.

Stage 0 installs uv into a per-version directory of the user data dir, which is not on
PATH unless the user asks (`install.sh --modify-path`; the design never edits rc files
unasked). So `up` writes a small ``bootstrap`` launcher next to the pinned uv, and the
closing lines print absolute paths, which work in any new shell as printed. Once that
directory is on PATH, ``uv`` and ``bootstrap`` work by name, and the lines say so.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bootstrap.policy.lastplan import LastPlan

POSIX_LAUNCHER = """#!/bin/sh
# Runs the workstation bootstrapper from the environment `bootstrap up` last ran in.
# Written by `bootstrap up`; rewritten on every successful run.
{home}exec {python} -m bootstrap "$@"
"""
WINDOWS_LAUNCHER = """@echo off
rem Runs the workstation bootstrapper from the environment `bootstrap up` last ran in.
{home}"{python}" -m bootstrap %*
"""


def launcher_name() -> str:
    return "bootstrap.cmd" if os.name == "nt" else "bootstrap"


def _ephemeral(python: Path, environ: Mapping[str, str]) -> bool:
    """True when this interpreter lives in a throw-away environment (``uv tool run`` of a
    downloaded bootstrapper builds one in uv's cache): a launcher to it would break."""
    parts = {p.lower() for p in python.parts}
    return "archive-v0" in parts or "builds-v0" in parts or bool(environ.get("UV_TOOL_RUN"))


def write_launcher(
    directory: Path, python: Path | None = None, environ: Mapping[str, str] | None = None
) -> Path | None:
    """Write the ``bootstrap`` launcher into ``directory`` (the pinned uv's) for the
    interpreter running now. None when that interpreter is throw-away or the directory is
    not writable; the closing lines then print ``python -m bootstrap`` instead."""
    env = os.environ if environ is None else environ
    py = Path(python or sys.executable).absolute()
    if _ephemeral(py, env):
        return None
    target = directory / launcher_name()
    # A run under BOOTSTRAP_HOME keeps its state there: the launcher looks in the same
    # place (unless the caller sets another).
    home = env.get("BOOTSTRAP_HOME", "")
    if os.name == "nt":
        text = WINDOWS_LAUNCHER.format(
            python=py,
            home=f'if not defined BOOTSTRAP_HOME set "BOOTSTRAP_HOME={home}"\n' if home else "",
        )
    else:
        text = POSIX_LAUNCHER.format(
            python=shlex.quote(str(py)),
            home=f"export BOOTSTRAP_HOME=${{BOOTSTRAP_HOME:-{shlex.quote(home)}}}\n"
            if home
            else "",
        )
    try:
        if target.is_file() and target.read_text(encoding="utf-8") == text:
            return target
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.chmod(0o755)
        tmp.replace(target)
    except OSError:
        return None
    return target


def on_path(directory: Path, environ: Mapping[str, str] | None = None) -> bool:
    env = os.environ if environ is None else environ
    want = os.path.normcase(str(directory.absolute()))
    return any(
        os.path.normcase(str(Path(p).absolute())) == want
        for p in env.get("PATH", "").split(os.pathsep)
        if p
    )


def next_commands(
    *,
    project: Path,
    venv: Path,
    uv: Path,
    launcher: Path | None,
    first_run: Sequence[str],
    uv_project: bool,
    environ: Mapping[str, str] | None = None,
) -> list[str]:
    """The closing lines: commands a new shell can run exactly as printed."""
    named = on_path(uv.parent, environ)
    uv_word = "uv" if named else shlex.quote(str(uv))
    if launcher is not None:
        tool = "bootstrap" if named else shlex.quote(str(launcher))
    else:
        tool = f"{shlex.quote(sys.executable)} -m bootstrap"
    command = shlex.join(first_run) if first_run else "<command>"
    cd = f"cd {shlex.quote(str(project))}"
    activate = (
        str(venv / "Scripts" / "activate") if os.name == "nt" else f". {venv / 'bin' / 'activate'}"
    )
    lines = ["next, in a new shell (these work as printed):"]
    if uv_project:
        # --no-sync: run in the environment as synced; a plain `uv run` would sync
        # uv's default groups, not the profile's selection.
        lines.append(f"  {cd} && {uv_word} run --no-sync {command}")
    lines.append(f"  {cd} && {activate}    (then: {command})")
    lines.append(f"  {tool} report show    (the timing history; `{tool} --help` for more)")
    # After the lines above (whose order scripts read): the command that keeps the
    # chosen variant for whatever is typed next, and puts it back when a plain `uv run`
    # or `uv sync` replaced it with uv's default selection.
    lines.append(
        f"  {cd} && {tool} run {command}    (any command; keeps the variant chosen here, "
        "which a plain `uv run` replaces)"
    )
    if not named:
        lines.append(
            f"  to type `uv` and `bootstrap` by name: {modify_path_command()} "
            f"(adds {uv.parent} to PATH in your shell profile; open a new shell)"
        )
    return lines


def modify_path_command() -> str:
    """`install.sh --modify-path --no-run` by the absolute path of this bootstrapper's
    install.sh: it works from any directory (the project's, a new shell's)."""
    from bootstrap.cache.where import tool_project

    root = tool_project()
    script = root / ("install.ps1" if os.name == "nt" else "install.sh") if root else None
    if script is None or not script.is_file():
        return "install.sh --modify-path --no-run (from the bootstrapper's checkout)"
    if os.name == "nt":
        return f"& {shlex.quote(str(script))} --modify-path --no-run"
    return f"sh {shlex.quote(str(script))} --modify-path --no-run"


def run_argv(
    last: LastPlan, uv: Path | None, command: Sequence[str], environ: Mapping[str, str]
) -> tuple[list[str], dict[str, str]]:
    """What `bootstrap run CMD` executes, and its environment: CMD in the environment the
    last `up` set up, with the selection that `up` chose.

    A uv project lock: ``uv run --frozen`` with the selection's flags (its extras and
    groups: the variant), so uv syncs *that* selection before CMD -- nothing when the
    environment matches it, and the variant's own builds back when a plain ``uv run``
    replaced them with uv's default selection (--offline when the plan was offline: from
    uv's cache). uv 0.13 cannot keep a selection anywhere else: ``uv.toml`` takes no
    extras, groups or ``no-sync``, and ``[tool.uv] default-groups`` is the project's,
    committed for every machine (docs/run.md). A PEP 751 lock: CMD straight from the
    environment (its bin directory first on PATH), as ``uv pip sync`` left it."""
    env = dict(environ)
    env.pop("VIRTUAL_ENV", None)  # another activated environment is not this one
    if last.lock.kind == "uv":
        if uv is None:
            from bootstrap.errors import ActionRequired

            raise ActionRequired(
                "the pinned uv is not installed here (`bootstrap run` syncs the selection with it)",
                fix=f"bootstrap up --project {shlex.quote(str(last.project))}",
                code="run.no_uv",
            )
        env["UV_PROJECT_ENVIRONMENT"] = str(last.venv)
        argv = [str(uv), "run", "--frozen", "--project", str(last.project)]
        argv += list(last.lock.uv_flags())
        if last.network == "offline":
            argv.append("--offline")
        return [*argv, "--", *command], env
    bin_dir = last.venv / ("Scripts" if os.name == "nt" else "bin")
    env["VIRTUAL_ENV"] = str(last.venv)
    env["PATH"] = os.pathsep.join([str(bin_dir), *filter(None, [env.get("PATH")])])
    env.pop("PYTHONHOME", None)
    import shutil

    found = shutil.which(command[0], path=env["PATH"])
    if found is None:
        from bootstrap.errors import UserError

        raise UserError(
            f"{command[0]}: not found in {bin_dir} or on PATH",
            fix="name a command the environment has (e.g. `python -m MODULE`)",
            code="run.not_found",
        )
    return [found, *command[1:]], env
