"""Where the environment lives: one module per strategy, one registry.

Each module holds the strategy's check (does it fit this host and profile, why, what
would fix it), the steps it contributes to a plan, and whether `up` carries it out.
``native`` runs the steps here; the others hand over to where the environment lives
(bootstrap.steps.handoff) through the transport their module provides
(``transport(host, preflight, dry_run)``, bootstrap.strategies.transport); a strategy
whose module says ``CARRIED_OUT = False`` is described, and `up` exits with
EXIT_UNSUPPORTED for it.
"""

from __future__ import annotations

from types import ModuleType

from bootstrap.strategies import devcontainer, native, remote, wsl2

REGISTRY: dict[str, ModuleType] = {
    "native": native,
    "wsl2": wsl2,
    "devcontainer": devcontainer,
    "remote": remote,
}


def describe_unsupported(strategy: str, profile: str, target: str) -> list[str]:
    lines = [
        f"strategy {strategy!r} was chosen for profile {profile!r} "
        f"(target {target}); `up` does not carry it out yet. It would:"
    ]
    lines += [f"  {n}. {text}" for n, text in enumerate(REGISTRY[strategy].describe(profile), 1)]
    lines.append("Run these by hand, or force another strategy with --strategy.")
    return lines
