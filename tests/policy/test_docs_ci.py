"""docs/ci.md and docs/run.md: every `bootstrap ...` command they show parses (each option
exists); the behaviour behind them is tested in test_check_ci.py and
tests/up/test_up_variant.py."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from bootstrap.cli import cli

DOCS = Path(__file__).resolve().parents[2] / "docs"


def commands(name: str) -> list[str]:
    text = (DOCS / name).read_text(encoding="utf-8")
    out = []
    for block in re.findall(r"```(?:sh|yaml)\n(.*?)```", text, flags=re.DOTALL):
        for line in block.splitlines():
            m = re.search(r"(?:^|\s|--frozen )bootstrap (\w.*?)(?:\s+#.*)?$", line)
            if m and not line.lstrip().startswith("#"):
                out.append(m.group(1).split(")")[0])  # `$(... bootstrap uv which)`
    return out


def test_the_pages_show_check_and_run() -> None:
    assert any(c.startswith("check ") for c in commands("ci.md"))
    assert any(c.startswith("uv which") for c in commands("ci.md"))
    assert sum(c.startswith("run ") for c in commands("run.md")) == 3


@pytest.mark.parametrize("command", commands("ci.md") + commands("run.md"))
def test_each_command_in_the_pages_parses(command: str) -> None:
    words = shlex.split(command)
    if words[0] == "run":
        # Its arguments are the command it runs (`--help` would be that command's):
        # parse them as click would, without running anything.
        run = cli.get_command(click.Context(cli), "run")
        assert run is not None
        ctx = run.make_context("run", words[1:])
        assert ctx.params["command"], command
        return
    result = CliRunner().invoke(cli, [*words, "--help"])
    assert result.exit_code == 0, (command, result.output)
