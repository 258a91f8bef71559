"""`python3 -m bootstrap.host`: the facts of this machine as JSON, with the standard
library only.

A handoff runs this in the target (a remote box, a WSL distro, a container) before
anything is installed there: it is ``bootstrap detect --json`` without the CLI's
dependencies, so a bare Python 3.9 is enough.
"""

from __future__ import annotations

import json
import sys

from bootstrap.errors import BootstrapError
from bootstrap.host import detect


def main() -> int:
    try:
        facts = detect()
    except BootstrapError as exc:
        sys.stderr.write(f"error: {exc.message}\n")
        return exc.exit_code
    sys.stdout.write(json.dumps(facts.to_dict(), sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
