"""The test kit: everything a test needs that is not a test. Import from here, one way:
``from support.cli import bootstrap`` (pytest puts ``tests/`` on ``sys.path``).

* cli        -- the one CLI runner: ``bootstrap(...)`` as a subprocess, ``invoke(...)`` in
                process (click), ``main(...)`` in process (the real entry point, exit codes)
* machine    -- the environment of a machine that never ran the tool (``fresh_env``)
* network    -- ``unshare -n`` (``netns_available``, ``offline``) and ``pypi_reachable``
* servers    -- HTTP on 127.0.0.1 (any handler, a directory with fault injection), ports
* tls        -- the HTTPS twin (a throw-away certificate)
* promstack  -- real Prometheus and Alertmanager from Debian's packages
* plans      -- host facts (replayed captures), profiles and golden plans for the planner
* bundles    -- the tiny project, cache bundles and their builders, hostile archives
* realshapes -- projects in real shapes (src layout, workspaces, ...) to lock and pack
* pyarchive  -- a Debian-built python-build-standalone-shaped interpreter and its bundle
* projects   -- fixture projects with a profile, a tree hash
* reports    -- sample timing reports, an ingest receiver's record, exposition parsing
* stage0     -- the uv artifacts and shells for install.sh and the stage-0 handover
* boxes: rootfs (a Debian root filesystem), sshbox (a real sshd), wslbox + wsl_exe (the
  wsl.exe stand-in), podman (podman + the Dev Containers CLI), macos (a macOS-shaped
  PATH), nopython (a PATH with no Python)
* interrupt  -- kill a run at a chosen moment

The boxes' and pyarchive's fixtures are registered for the whole suite (``pytest_plugins``
in tests/conftest.py); other fixtures live in the conftest.py of the folder that uses
them. Where a test goes: tests/README.md.
"""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent
REPO = TESTS.parent
