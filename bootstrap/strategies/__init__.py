"""Where the environment lives: one module per strategy, one registry.

Each module holds the strategy's check (does it fit this host and profile, why, what
would fix it) and the steps it contributes to a plan.
``native`` runs the steps here; the others hand over to where the environment lives
(bootstrap.steps.handoff) through the transport their module provides
(``transport(host, preflight, dry_run)``, bootstrap.strategies.transport).
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
