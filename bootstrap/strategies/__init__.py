"""Where the environment lives: one module per strategy, one registry.

Each module holds one :class:`~bootstrap.plan.strategy.Strategy` object (``STRATEGY``):
its check (does it fit this host and profile, why, what would fix it), the steps it
contributes to a plan, its warnings, its transport when the steps run elsewhere
(bootstrap.transports, driven by bootstrap.steps.handoff) and the lines printed after
such a run. ``native`` runs the steps here; the others hand over.

:data:`REGISTRY` is the one list of strategies: adding one is a module here and a line
below (and its name in ``profiles.STRATEGIES``, checked against the registry here).
Importing this package also makes it the planner's default registry, so that
``make_plan`` needs no argument; ``bootstrap.plan`` never imports this package.
"""

from __future__ import annotations

from bootstrap.plan.strategy import Registry, register_default
from bootstrap.strategies import devcontainer, native, remote, wsl2

# Preference when the profile sets no `strategies.order`. Native first everywhere: each
# later strategy adds a VM, an image or the network. On macOS a remote Linux box comes
# before a container (containers there get no GPU and amd64 images are emulated); on
# Windows a devcontainer needs WSL2 or Hyper-V too, so it is the last resort.
DEFAULT_ORDER: dict[str, tuple[str, ...]] = {
    "linux": ("native", "devcontainer", "remote", "wsl2"),
    "macos": ("native", "remote", "devcontainer", "wsl2"),
    "windows": ("native", "wsl2", "remote", "devcontainer"),
}

REGISTRY = Registry(
    native.STRATEGY,
    wsl2.STRATEGY,
    devcontainer.STRATEGY,
    remote.STRATEGY,
    order=DEFAULT_ORDER,
)
register_default(REGISTRY)


def _check_profile_names() -> None:
    """The names a profile may give (``profiles.STRATEGIES``: profiles sit below the
    strategies, so they cannot ask the registry) are the registry's: checked here, once,
    whenever the strategies are loaded."""
    from bootstrap.profiles import STRATEGIES

    if REGISTRY.names != STRATEGIES:
        raise RuntimeError(
            f"bootstrap.profiles.STRATEGIES {STRATEGIES} differs from the registry's "
            f"{REGISTRY.names}: add the strategy's name there too"
        )


_check_profile_names()
