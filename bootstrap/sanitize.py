"""Terminal control sequences out of text a peer or a server wrote, before it is shown.

A bottom-level module (the console and the report sinks use it, so it imports nothing
of the package): an OSC 52 clipboard write or a screen clear in a line a box, a
container or a sink sent is not output, it is an attack on the user's terminal.
"""

from __future__ import annotations

import re

LINE_LIMIT = 4096  # one streamed line shown to the user

# ESC-introduced sequences (CSI "ESC [ ... final", OSC "ESC ] ... BEL|ST", DCS/SOS/PM/APC
# "ESC P|X|^|_ ... ST", two-byte escapes), their 8-bit C1 forms, then any other C0/C1
# control but tab.
_CONTROL = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]?"
    r"|\x1b[\]PX^_].*?(?:\x07|\x1b\\|$)"
    r"|\x1b[@-Z\\-~]?"
    r"|\x9b[0-?]*[ -/]*[@-~]?"
    r"|[\x9d\x90\x98\x9e\x9f].*?(?:\x07|\x9c|$)"
    r"|[\x00-\x08\x0b-\x1f\x7f-\x9f]",
    re.DOTALL,
)


def clean_line(text: str, limit: int = LINE_LIMIT) -> str:
    """``text`` without terminal control sequences, at most ``limit`` characters."""
    if len(text) > limit:
        text = text[:limit] + " [...]"
    return _CONTROL.sub("", text)


def clean_text(text: str) -> str:
    """Like :func:`clean_line` for text of several lines (an error and its fix): line
    breaks stay, nothing is cut."""
    return "\n".join(_CONTROL.sub("", line) for line in text.split("\n"))
