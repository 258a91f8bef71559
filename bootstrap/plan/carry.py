"""What a handoff carries to its target, and where it puts it there: pure names and text.

The unit a handoff carries is the team's project, not the bootstrapper's checkout. On the
target the project's directory holds the project's files as the team keeps them, plus one
folder of ours, ``.bootstrap/`` (ignored by git through its own ``.gitignore``):

* ``.bootstrap/in/``: the bootstrapper as an artifact: its wheel (built on the host with
  the pinned uv), stage 0 (``install.sh``) and the lock of its runtime (``uv.lock``,
  ``pyproject.toml``: what vouches for the bundle's runtime wheels there), each checked
  there against the SHA-256 the host computed;
* ``.bootstrap/self/``: that wheel unpacked (what detection and stage 0 run from there);
* ``.bootstrap/profile.toml``: the profile, when the project does not carry it as it is
  (a profile given by path outside the project, one taken from ``profiles/``, one that
  ``extends`` another): the merged profile, its ``[project] path`` pointing at the
  project's directory there.

Pure: the planner (strategies) and the executors (steps) share these names.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from pathlib import PurePath
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bootstrap.profiles import Profile

CARRY_DIR = ".bootstrap"
SELF_IN = f"{CARRY_DIR}/in"
SELF_DIR = f"{CARRY_DIR}/self"
PROFILE_THERE = f"{CARRY_DIR}/profile.toml"
# The profile there names the project relative to itself: .bootstrap/ -> the project.
PROFILE_PROJECT_PATH = ".."
# What the self folder records about the wheel it was unpacked from (verified there).
WHEEL_NAME_FILE = ".wheel"
WHEEL_SHA_FILE = ".sha256"
# Set once a bundle made the bootstrapper's environment there (install.sh keeps it).
TOOL_ENV_MARK = ".tool-env"


def project_of(profile: Profile) -> str:
    """The project a handoff carries: the profile's ``[project] path`` (the directory of a
    project-kept profile, the project a shipped profile names, ``--project DIR``)."""
    return profile.project.path


def profile_there(profile: Profile) -> str:
    """The profile as stage 0 there names it, relative to the project's directory: the
    project's own file when the project carries it and it stands alone, else the merged
    copy the transfer writes (``.bootstrap/profile.toml``)."""
    if not profile.extends:
        try:
            rel = PurePath(profile.source).relative_to(profile.project.path)
        except ValueError:
            pass
        else:
            if CARRY_DIR not in rel.parts[:1]:
                return rel.as_posix()
    return PROFILE_THERE


def profile_sent(profile: Profile) -> str:
    """The host's profile file the transfer writes there as ``.bootstrap/profile.toml``
    (merged), or "" when the project carries it."""
    return "" if profile_there(profile) != PROFILE_THERE else profile.source


def stage0_there(args: Sequence[str], *, bundle: str | None, prefix: str = "") -> str:
    """Stage 0 as the target runs it, from the project's directory.

    With a cache bundle (when the file ``bundle`` is there): the unpacked bootstrapper's
    install.sh, whose uv.lock vouches for the bundle's runtime wheels; they make its
    environment offline, and a mark (``.bootstrap/self/.tool-env``) says it exists. With
    no bundle, that environment when the mark says it exists (a re-run, offline or not);
    else install.sh's own artifact path (``BOOTSTRAP_SELF_URL`` and
    ``BOOTSTRAP_SELF_SHA256``: the wheel, verified again, run with ``uv tool run``).
    ``prefix``: exports that go before (a shell fragment ending in ``; ``)."""
    rest = shlex.join(args)
    mark = f"{SELF_DIR}/{TOOL_ENV_MARK}"
    lines = [prefix]
    if bundle:
        b = shlex.quote(bundle)
        lines.append(
            f"if [ -f {b} ]; then sh {SELF_DIR}/install.sh --cache-bundle {b} {rest} "
            f"&& : > {mark}; exit $?; fi; "
        )
    lines.append(f"if [ -f {mark} ]; then exec sh {SELF_DIR}/install.sh {rest}; fi; ")
    lines.append(
        f'BOOTSTRAP_SELF_URL="$PWD/{SELF_IN}/$(cat {SELF_DIR}/{WHEEL_NAME_FILE})" '
        f'BOOTSTRAP_SELF_SHA256="$(cat {SELF_DIR}/{WHEEL_SHA_FILE})" '
        f"exec sh {SELF_IN}/install.sh {rest}"
    )
    return "".join(lines)
