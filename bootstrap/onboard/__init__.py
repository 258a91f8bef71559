"""Several projects at once: `bootstrap onboard` from a team manifest (:mod:`.manifest`),
run side by side (:mod:`.runner`), timed as one thing: the time to all green."""
