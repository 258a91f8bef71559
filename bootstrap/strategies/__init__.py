"""Where the environment lives: one module per strategy, one registry.

Each module holds one :class:`~bootstrap.plan.strategy.Strategy` object (``STRATEGY``):
its check (does it fit this host and profile, why, what would fix it), the steps it
contributes to a plan, its warnings, its transport when the steps run elsewhere
(bootstrap.transports, driven by bootstrap.steps.handoff) and the lines printed after
such a run. ``native`` runs the steps here; the others hand over.

:data:`REGISTRY` is the one list of strategies: adding one is a module here and a line
below. Importing this package also makes it the planner's default registry, so that
``make_plan`` needs no argument; ``bootstrap.plan`` never imports this package.
"""

from __future__ import annotations

from bootstrap.plan.strategy import Registry, register_default
from bootstrap.strategies import devcontainer, native, remote, wsl2

REGISTRY = Registry(
    native.STRATEGY,
    wsl2.STRATEGY,
    devcontainer.STRATEGY,
    remote.STRATEGY,
)
register_default(REGISTRY)
