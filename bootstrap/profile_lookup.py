"""Whether a directory keeps its own profile, answered without loading the profile
machinery: the no-op re-run asks it on every start (`up` with no --profile, and the run
record's key), and importing :mod:`bootstrap.profiles` costs more than the rest of the
no-op's check."""

from __future__ import annotations

from pathlib import Path

PROJECT_FILE = "bootstrap.toml"  # a profile kept in the project's own repository
PYPROJECT_TABLE = "tool.bootstrap"  # or a table in the project's pyproject.toml


def project_profile(project: Path) -> Path | None:
    """The profile a project keeps for itself: ``bootstrap.toml``, else the
    ``[tool.bootstrap]`` table of ``pyproject.toml`` (the path of that file), else None."""
    own = project / PROJECT_FILE
    if own.is_file():
        return own.resolve()
    pyproject = project / "pyproject.toml"
    try:
        text = pyproject.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    if "bootstrap" not in text:  # no such table, for certain: no need to parse TOML
        return None
    from bootstrap.files import TOMLDecodeError, parse_toml

    try:
        data = parse_toml(text)
    except (TOMLDecodeError, RecursionError):
        return None
    tool = data.get("tool")
    if isinstance(tool, dict) and isinstance(tool.get("bootstrap"), dict):
        return pyproject.resolve()
    return None
