"""How a plan is carried out where it lives.

One module per strategy, one registry. ``native`` runs the steps here (bootstrap.steps);
the others are described (the commands they would run) until their executors land, and
`up` exits with EXIT_UNSUPPORTED for them.
"""

from __future__ import annotations

from collections.abc import Callable

from bootstrap.plan.model import Plan
from bootstrap.strategies import devcontainer, remote, wsl2

DESCRIBE: dict[str, Callable[[Plan], list[str]]] = {
    "wsl2": wsl2.describe,
    "devcontainer": devcontainer.describe,
    "remote": remote.describe,
}


def describe_unsupported(plan: Plan) -> list[str]:
    lines = [
        f"strategy {plan.strategy!r} was chosen for profile {plan.profile!r} "
        f"(target {plan.target}); `up` does not carry it out yet. It would:"
    ]
    lines += [f"  {n}. {text}" for n, text in enumerate(DESCRIBE[plan.strategy](plan), 1)]
    lines.append("Run these by hand, or force another strategy with --strategy.")
    return lines
