"""Remote: the environment lives on a Linux box reached over ssh."""

from __future__ import annotations

from bootstrap.plan.model import Plan


def describe(plan: Plan) -> list[str]:
    return [
        "`ssh -o BatchMode=yes HOST true` to check the host is reachable without a prompt",
        "copy the repository (git clone or rsync) to the host",
        "`ssh HOST ./install.sh --profile " + plan.profile + "` there, then work over ssh",
    ]
