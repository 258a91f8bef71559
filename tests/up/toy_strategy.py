"""A fifth strategy, written the way a new one is added: this one module, plus its line
in a registry. "toy" keeps the environment in a directory of this machine that stands
in for a box (a fake transport: :class:`DirBox` runs each command with ``sh`` there, its
own HOME, and copies files with the file system); everything it runs is real."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from bootstrap import proc
from bootstrap.errors import BootstrapError
from bootstrap.host.facts import HostFacts
from bootstrap.plan.accel import GpuView
from bootstrap.plan.specs import StepSpec
from bootstrap.plan.strategy import Check, StepInputs, fit_for, handoff_steps, no_fit_why
from bootstrap.profiles import Profile
from bootstrap.transports.base import CommandTransport, home_word

NAME = "toy"
HOST = "toybox"


class DirBox(CommandTransport):
    """A "box" that is a directory here: ``~`` is ``root/home``; the environment of each
    command is only what a login on a fresh box would have."""

    def __init__(self, root: Path, *, dry_run: Callable[[str], None] | None = None) -> None:
        self.root = root
        self.home = root / "home"
        self.home.mkdir(parents=True, exist_ok=True)
        self.dry_run = dry_run
        self.commands: list[str] = []

    @property
    def name(self) -> str:
        return HOST

    def command_argv(self, command: str, env: Mapping[str, str] | None) -> list[str]:
        self.commands.append(command)
        pairs = [f"{k}={v}" for k, v in (env or {}).items()]
        base = ["HOME=" + str(self.home), "PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8"]
        return ["env", "-i", *base, *pairs, "sh", "-c", command]

    def timed_out(self, command: str, timeout: float) -> Exception:
        return BootstrapError(f"{HOST}: `{command[:60]}` timed out", code="toy.timeout")

    def pipe_argv(self, command: str) -> list[str]:
        return self.command_argv(command, None)

    def _path(self, directory: str) -> Path:
        return self.home / directory[2:] if directory.startswith("~/") else Path(directory)

    def sync_tree(
        self, repo: Path, files: Sequence[str], directory: str, *, timeout: float
    ) -> proc.Result:
        dest = self._path(directory)
        for name in files:
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(repo / name, dest / name)
        stats = f"Number of regular files transferred: {len(files)}"
        return proc.Result(("copy",), 0, stats, "", 0.0)

    def put_file(self, path: Path, directory: str, name: str, *, timeout: float) -> proc.Result:
        dest = self._path(directory) / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, dest)
        return proc.Result(("copy",), 0, "", "", 0.0)

    def dir_word(self, directory: str) -> str:
        return home_word(directory)

    def close(self) -> None:
        pass


class Toy:
    """The environment lives in a directory standing in for a Linux box."""

    name = NAME
    runs_here = False
    resources_here = False
    outranks_degraded = False

    def __init__(self, box_root: Path) -> None:
        self.box_root = box_root  # where the "box" is
        self.made: list[DirBox] = []  # the transports the handoff asked for

    def check(self, facts: HostFacts, profile: Profile) -> Check:
        fit = fit_for(profile, "linux-x86_64", GpuView(none_why="a toy box has no GPU"))
        if fit.variant is None:
            return Check(NAME, False, no_fit_why(profile, fit), {}, None, fit)
        why = "a directory that stands in for a box"
        return Check(NAME, True, why, {"hosts": [HOST]}, None, fit)

    def steps(self, inp: StepInputs) -> tuple[StepSpec, ...]:
        return handoff_steps(
            NAME, inp, hosts=(HOST,), directory="~/" + inp.project_name, reach="in a directory"
        )

    def warnings(self, profile: Profile) -> list[str]:
        return ["a toy strategy: the box is a directory"]

    def transport(
        self, host: str, preflight: StepSpec, *, dry_run: Callable[[str], None] | None
    ) -> DirBox:
        box = DirBox(self.box_root, dry_run=dry_run)
        self.made.append(box)
        return box

    def next_steps(self, preflight: Mapping[str, Any]) -> list[str]:
        return [f"next: cd {self.box_root}/home and look around"]

    def settled(self, plan: Any) -> None:
        return None  # every run goes to the box again

    def still_up(self, marker: Mapping[str, str]) -> bool:
        return False
