"""Fixtures for the bundled-interpreter tests: the Debian-built install_only archive and
the python-service bundle that carries it (tests/support/pyarchive.py)."""

from support.pyarchive import py_archive, py_bundle

__all__ = ["py_archive", "py_bundle"]
