"""``python -m bootstrap`` and the ``bootstrap`` console script.

The CLI is imported inside :func:`run` so that Ctrl-C during start-up (importing click
and the command modules takes a good part of the first 100 ms) ends with one line and
exit 130, not a traceback from the middle of an import.
"""

import gc
import sys

# Start-up allocates tens of thousands of objects (click, ~80 dataclasses, the command's
# modules) and no garbage worth a collection: at the default threshold (700) the cyclic
# collector ran 44 times during one `up --refresh`, about a tenth of the process's CPU
# time (docs/bench.md (k)). At this one a short run collects never; a long one (`cache
# pack`) still does.
GC_THRESHOLD = 50_000


def run() -> None:
    gc.set_threshold(GC_THRESHOLD)
    try:
        if _quick_noop(sys.argv[1:]):
            sys.exit(0)
        from bootstrap.cli import main
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)
    main()


def _quick_noop(argv: list[str]) -> bool:
    """The most common re-run, `bootstrap up [--profile NAME] [--online] [--json]` with nothing to
    do, is answered before click and the command modules are imported (half of the
    no-op's time; docs/bench.md (i)). Any other command line, or a run with work to do,
    goes through the CLI as usual, which checks everything again."""
    if not argv or argv[0] != "up":
        return False
    profile: str | None = None  # as `up` without --profile: the project's, or "default"
    online = as_json = False
    rest = argv[1:]
    while rest:
        word = rest.pop(0)
        if word == "--online":
            online = True
        elif word == "--json":
            as_json = True
        elif word in ("--profile", "-p") and rest and not rest[0].startswith("-"):
            profile = rest.pop(0)
        elif word.startswith("--profile=") and len(word) > len("--profile="):
            profile = word[len("--profile=") :]
        else:
            return False
    try:
        from bootstrap.app import quick_noop

        return quick_noop(profile, online=online, as_json=as_json)
    except Exception:  # whatever it is, the full command reports it properly
        return False


if __name__ == "__main__":
    run()
