"""CI runs what the README promises: .ci/run reads its commands out of the README."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _awk_programs() -> list[str]:
    script = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    return re.findall(r"\$\(awk '([^']+)' README\.md\)", script)


def test_ci_reads_the_test_and_lint_commands_from_the_readme() -> None:
    programs = _awk_programs()
    assert len(programs) == 2  # the test command, the lint commands
    found = [
        subprocess.run(
            ["awk", prog, "README.md"], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.splitlines()
        for prog in programs
    ]
    assert found[0] == ["./install.sh --uv run --frozen pytest"]
    assert found[1] == [
        "./install.sh --uv run --frozen ruff check .",
        "./install.sh --uv run --frozen ruff format --check .",
        "./install.sh --uv run --frozen mypy",
    ]
