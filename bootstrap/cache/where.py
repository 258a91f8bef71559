"""Where the cache's things are, read by every `bootstrap up` (so without loading the
packer or the importer): this bootstrapper's own checkout, and the wheelhouse's folder of
import markers."""

from __future__ import annotations

from pathlib import Path

# The wheelhouse's folder of import markers, one per bundle imported.
IMPORTED = ".imported"


def tool_project() -> Path | None:
    """This bootstrapper's own project directory, when it runs from a checkout."""
    root = Path(__file__).resolve().parent.parent.parent
    if (root / "pyproject.toml").is_file() and (root / "uv.lock").is_file():
        return root
    return None
