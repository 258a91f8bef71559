"""The team's policies as commands: per-target locks, the CI gate, pinned tools, doctor.

Each module here reads the repository (and, for ``doctor``, this machine) and returns
findings as data; ``bootstrap/cli`` renders them.
"""
