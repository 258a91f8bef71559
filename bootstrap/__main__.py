"""``python -m bootstrap`` and the ``bootstrap`` console script.

The CLI is imported inside :func:`run` so that Ctrl-C during start-up (importing click
and the command modules takes a good part of the first 100 ms) ends with one line and
exit 130, not a traceback from the middle of an import.
"""

import sys


def run() -> None:
    try:
        from bootstrap.cli import main
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)
    main()


if __name__ == "__main__":
    run()
