"""bootstrap: from a bare workstation to a timed first run of a locked Python environment.

The package reads as its flow: ``host`` (detect) -> ``plan`` (pure planning) ->
``steps`` / ``strategies`` (execution) -> ``report`` (timing and metrics). ``proc``,
``net`` and ``paths`` are the only places that run commands, talk HTTP and pick
directories.
"""

import time as _time

__version__ = "0.1.0"

# The earliest moment this process can vouch for: `total` starts here when no stage 0
# passed its own start time down (see bootstrap.timing).
STARTED_AT = _time.time()
