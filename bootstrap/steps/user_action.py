"""A step only the user can take: stop with the exact command and EXIT_ACTION_REQUIRED.

Nothing is recorded as done, so the re-run after the action (and the reboot it may
need) detects and plans again from the new facts and carries on from there.
"""

from __future__ import annotations

from bootstrap.errors import ActionRequired
from bootstrap.plan import specs
from bootstrap.steps import Context


class UserActionStep:
    phase = "plan"

    def fingerprint(self, spec: specs.UserAction, ctx: Context) -> str:
        return "every-run"

    def check(self, spec: specs.UserAction, ctx: Context) -> str | None:
        return None

    def run(self, spec: specs.UserAction, ctx: Context) -> str:
        needs = [w for w, on in (("an administrator", spec.admin), ("a reboot", spec.reboot)) if on]
        fix = spec.fix + (f" (this needs {' and '.join(needs)})" if needs else "")
        raise ActionRequired(spec.message, fix=fix, code=spec.code)
