"""The lock a plan chose and what uv selects from it (extras, groups, uv's switches).

A bottom-level value type: the profile builds one from its [sync] selection, the plan
carries it, the sync and the cache pack read it. It imports nothing of the package.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# The selection keys a uv lock takes beyond `extras` and `groups`, each one of uv's flags;
# a plan's JSON carries them only when set, so plans without them keep their shape.
SELECTION_SWITCHES = ("all_extras", "no_dev", "no_default_groups", "all_groups")


@dataclass(frozen=True)
class LockChoice:
    path: str  # relative to the project: "uv.lock" or "pylock.linux-x86_64-cu126.toml"
    kind: str  # "uv" (project lock, variant by extras/groups) | "pylock" (PEP 751)
    extras: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    # What else to select, as uv has it (`uv sync --help`): the profile's keys of the
    # same names. uv's own rules apply: `only_groups` excludes the project's dependencies
    # and the default groups; `no_default_groups` leaves out [tool.uv] default-groups.
    all_extras: bool = False
    no_dev: bool = False
    no_default_groups: bool = False
    only_groups: tuple[str, ...] = ()
    all_groups: bool = False

    def uv_flags(self) -> tuple[str, ...]:
        """The selection as uv's flags, the same for sync, export, check and pack."""
        if self.kind != "uv":
            return ()
        out = [a for e in self.extras for a in ("--extra", e)]
        out += ["--all-extras"] if self.all_extras else []
        out += ["--no-dev"] if self.no_dev else []
        out += ["--no-default-groups"] if self.no_default_groups else []
        out += [a for g in self.groups for a in ("--group", g)]
        out += [a for g in self.only_groups for a in ("--only-group", g)]
        out += ["--all-groups"] if self.all_groups else []
        return tuple(out)

    def selection_text(self) -> str:
        """The selection in a line of prose ("" for uv's defaults)."""
        return " ".join(self.uv_flags())

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "path": self.path,
            "kind": self.kind,
            "extras": list(self.extras),
            "groups": list(self.groups),
        }
        if self.only_groups:
            out["only_groups"] = list(self.only_groups)
        out.update({k: True for k in SELECTION_SWITCHES if getattr(self, k)})
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LockChoice:
        return cls(
            path=str(data.get("path", "uv.lock")),
            kind=str(data.get("kind", "uv")),
            extras=tuple(data.get("extras", ())),
            groups=tuple(data.get("groups", ())),
            only_groups=tuple(data.get("only_groups", ())),
            **{k: bool(data.get(k, False)) for k in SELECTION_SWITCHES},
        )
