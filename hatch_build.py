"""Build hook: the wheel carries the installers a team's repository commits.

`bootstrap init` writes install.sh and install.ps1 (with the pins embedded) into a team's
repository, also when it runs from the released wheel rather than a checkout; so the
wheel carries them as ``bootstrap/adopt/installers/``. A hook rather than hatch's
``force-include``, which fails a build whose tree lacks them (a partial copy of the
repository synced as an editable project, where the checkout's own files are read
anyway).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

INSTALLERS = ("install.sh", "install.ps1")


class CustomBuildHook(BuildHookInterface):  # type: ignore[misc]
    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if version == "editable":
            return
        root = Path(self.root)
        for name in INSTALLERS:
            if (root / name).is_file():
                build_data["force_include"][str(root / name)] = f"bootstrap/adopt/installers/{name}"
