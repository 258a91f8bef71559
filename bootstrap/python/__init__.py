"""A pinned CPython for machines that have none: the pin, the archive checks, the
downloads list uv installs it from, and uv's own metadata for the official archives.

The interpreter comes as a python-build-standalone ``install_only`` archive (one
top-level ``python/`` directory), pinned by SHA-256 in ``bootstrap/python/pin.txt``
beside the uv pin. A cache bundle carries it as ``python/<file>``; uv installs it offline
from a downloads list this package writes from the pin (never from anything a bundle
says), and every sync then uses that interpreter with ``--managed-python``.
"""
