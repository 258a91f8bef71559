"""Detection: what this machine is. ``facts`` is the data; ``probes`` are the only code
that reads the machine, through a :class:`~bootstrap.host.sources.Source` that is either
the live machine, a recorder (``--capture``) or a replay directory (``--replay``)."""
