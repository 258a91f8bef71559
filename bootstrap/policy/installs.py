"""Check (e): no global installs.

In CI configurations, Makefiles, justfiles and scripts, line by line: ``pip install
--user``; ``pip install`` with no virtual environment made or activated earlier in the
file (``uv pip``, a venv's own ``.venv/bin/pip`` and ``--target``/``--prefix`` are
fine); ``pipx install``/``pipx run`` and ``uv tool install`` without ``==``; ``uvx`` /
``uv tool run`` without a version (``uvx ruff@0.6.9`` or ``uvx --from 'ruff==0.6.9'
ruff``). When the profile pins tools (``[tools]``), they are the allowed set: another
tool, or another version of a pinned one, is a finding too.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from pathlib import Path

from bootstrap.policy.findings import Finding
from bootstrap.policy.scan import install_files, read_lines, rel

_PIP = re.compile(r"(?<![\w/.\\-])(?:python[\d.]*\s+-m\s+)?pip[\d.]*\s+install\b(?P<rest>.*)")
_VENV = re.compile(
    r"(-m\s+venv\b|\bvirtualenv\b|\buv\s+venv\b|/activate\b|\bVIRTUAL_ENV\b|\bconda\s+activate\b"
    r"|\bpoetry\s+install\b|\bpipenv\s+install\b)"
)
# `uv pip install` (or `uv run pip`) installs into an environment uv picks, never the
# system's: uv by name, or a script's variable holding its path ("$UV", ${UV}, $Uv).
_UV_BEFORE = re.compile(r"(?:\buv(?:\.exe)?|\$\{?[Uu][Vv]\}?)\"?\s+(?:run\s+)?$")
_PIPX = re.compile(r"\bpipx\s+(?P<verb>install|run)\b(?P<rest>.*)")
# Where a shell word is a command: a line's start, after a separator or a keyword that
# runs the next word, or a YAML `run:` value (so `for f in uvx uv` is not a uvx call).
_AT_COMMAND = (
    r"(?:^\s*(?:-\s+)?(?:run:\s*)?|[;&|(`{]\s*|\$\(\s*"
    r"|\b(?:then|do|else|exec|sudo|time|xargs|run:)\s+)"
)
_UVX = re.compile(_AT_COMMAND + r"(?:uvx\b|uv\s+tool\s+run\b)(?P<rest>.*)")
_UV_TOOL_INSTALL = re.compile(r"\buv\s+tool\s+install\b(?P<rest>.*)")
# Options that take a value, for uvx/pipx/uv tool (the value is not the tool).
_VALUE_OPTS = {"--from", "--with", "--with-requirements", "--python", "-p", "--index",
               "--index-url", "--extra-index-url", "--spec", "--pip-args", "-w", "--constraints",
               "--overrides", "--with-editable", "--cache-dir", "--directory"}  # fmt: skip


USER_SITE = (
    "`pip install --user` installs into the user site, which leaks into every Python of this user"
)
GLOBAL_PIP = "`pip install` outside a virtual environment (a global install)"


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _words(text: str) -> list[str]:
    text = text.split(" #", 1)[0]
    for sep in ("&&", "||", ";", "|", ")"):
        text = text.split(sep, 1)[0]
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


def _tool_spec(rest: str) -> tuple[str | None, str | None, str | None]:
    """(the tool's name, its pinned version or None, the spec as written)."""
    words = _words(rest)
    spec_from = None
    i = 0
    command = None
    while i < len(words):
        w = words[i]
        if w in ("--from", "--spec") and i + 1 < len(words):
            spec_from = words[i + 1]
            i += 2
            continue
        if w.startswith(("--from=", "--spec=")):
            spec_from = w.split("=", 1)[1]
        elif w in _VALUE_OPTS:
            i += 2
            continue
        elif not w.startswith("-"):
            command = w
            break
        i += 1
    spec = spec_from or command
    if spec is None:
        return None, None, None
    m = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*(?:==|@)\s*([^\s,;]+)$", spec)
    if m and m.group(3) != "latest":
        return _norm(m.group(1)), m.group(3), spec
    name = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)", spec)
    return (_norm(name.group(1)) if name else None), None, spec


def check(root: Path, tools: Mapping[str, str] | None = None) -> list[Finding]:
    allowed = {_norm(k): v for k, v in (tools or {}).items()}
    out: list[Finding] = []
    for path in install_files(root):
        out += check_file(path, rel(path, root), allowed)
    return out


def check_file(path: Path, shown: str, allowed: Mapping[str, str]) -> list[Finding]:
    out = []
    venv_seen = False
    for i, line in enumerate(read_lines(path)):
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", "//", "REM ", "rem ", "::")):
            continue
        n = i + 1
        if _VENV.search(line):
            venv_seen = True
        pip = _PIP.search(line)
        if pip and not _UV_BEFORE.search(line[: pip.start()]):
            rest = pip.group("rest")
            words = _words(rest)
            if "--user" in words:
                out.append(_find(shown, n, USER_SITE, "install into the project's environment: "
                                 "`uv add` / `uv sync`"))  # fmt: skip
            elif not venv_seen and not any(
                w in ("--target", "-t", "--prefix", "--root") or w.startswith("--target=")
                for w in words
            ):
                out.append(_find(shown, n, GLOBAL_PIP, "use `uv sync --frozen` (or "
                                 "`uv pip install` into a venv)"))  # fmt: skip
        pipx = _PIPX.search(line)
        if pipx:
            name, version, spec = _tool_spec(pipx.group("rest"))
            out += _tool_findings(
                shown, n, f"pipx {pipx.group('verb')}", name, version, spec, allowed
            )
        uvx = _UVX.search(line)
        if uvx:
            name, version, spec = _tool_spec(uvx.group("rest"))
            out += _tool_findings(shown, n, "uvx", name, version, spec, allowed)
        inst = _UV_TOOL_INSTALL.search(line)
        if inst:
            name, version, spec = _tool_spec(inst.group("rest"))
            out += _tool_findings(shown, n, "uv tool install", name, version, spec, allowed)
    return out


def _find(shown: str, line: int, message: str, fix: str) -> Finding:
    return Finding("global-installs", message, fix, shown, line)


def _tool_findings(  # noqa: PLR0917 - one finding's parts
    shown: str,
    line: int,
    how: str,
    name: str | None,
    version: str | None,
    spec: str | None,
    allowed: Mapping[str, str],
) -> list[Finding]:
    if name is None:
        return []
    pinned = allowed.get(name)
    want = f"uvx {name}@{pinned}" if pinned else f"uvx {name}@<version>"
    if version is None:
        fix = f"pin it: `{want}`"
        if allowed and not pinned:
            fix += f', and add `{name} = "<version>"` to the profile\'s [tools]'
        message = f"`{how} {spec}` runs whatever {name} is newest today (no version)"
        return [_find(shown, line, message, fix)]
    if allowed and pinned is None:
        return [
            _find(shown, line, f"`{how} {spec}`: {name} is not one of the profile's pinned "
                  f"[tools] ({', '.join(sorted(allowed))})",
                  f'add `{name} = "{version}"` to the profile\'s [tools], or use a pinned tool')
        ]  # fmt: skip
    if pinned is not None and pinned != version:
        return [
            _find(shown, line, f"`{how} {spec}`: {name} {version} here, the profile's [tools] "
                  f"pins {pinned}", f"use `{want}`")
        ]  # fmt: skip
    return []
