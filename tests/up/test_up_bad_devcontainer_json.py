"""A user's devcontainer.json of the wrong shape (`"mounts": 1`, `"containerEnv": 5`,
deep nesting, not an object): `up --strategy devcontainer` names the file and the key
(exit 2) before any container is made, and leaves the file as it was. The workspace is
a copy of this tree (`tree`), as in test_up_devcontainer.py."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BAD_DEVCONTAINER = {
    "mounts-number": ('{"image": "x", "mounts": 1}', "`mounts`"),
    "mounts-list-of-numbers": ('{"image": "x", "mounts": [1, 2]}', "`mounts`"),
    "container-env-number": ('{"image": "x", "containerEnv": 5}', "`containerEnv`"),
    "remote-env-list": ('{"image": "x", "remoteEnv": ["A=1"]}', "`remoteEnv`"),
    "deep": ('{"a": ' + "[" * 50000 + "]" * 50000 + "}", "not a devcontainer.json"),
    "a-list": ("[1, 2]", "not a devcontainer.json"),
}


@pytest.mark.parametrize("case", sorted(BAD_DEVCONTAINER))
def test_a_users_devcontainer_json_of_the_wrong_shape(tree: Path, tmp_path: Path, case: str):
    text, needle = BAD_DEVCONTAINER[case]
    profile = tree / "profiles" / "python-service-dc.toml"
    profile.write_text(
        'extends = "python-service"\nname = "python-service-dc"\n\n'
        '[strategies.devcontainer]\nimage = "localhost/none:latest"\n'
    )
    # In the project python-service names: the dev container's workspace.
    config = tree / "examples" / "python-service" / ".devcontainer" / "devcontainer.json"
    config.parent.mkdir()
    config.write_text(text)
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOOTSTRAP_")}
    env["BOOTSTRAP_HOME"] = str(tmp_path / "home")
    # The plan needs an engine that answers: a stand-in fact (none is started).
    env["BOOTSTRAP_FACT_TOOLS"] = (
        '{"container_engine": "podman", "docker": null, "devcontainer": null, '
        '"ssh": null, "git": null, "engine_error": null}'
    )
    res = subprocess.run(
        [sys.executable, "-m", "bootstrap", "up", "--profile", str(profile),
         "--strategy", "devcontainer"],
        cwd=tree, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    out = res.stdout + res.stderr
    assert res.returncode == 2, out
    assert "Traceback" not in out
    errors = [ln for ln in res.stderr.splitlines() if ln.lower().startswith("error")]
    assert len(errors) == 1 and "devcontainer.json" in errors[0] and needle in errors[0], out
    assert config.read_text() == text  # the user's file is left as it was
    assert "[container-up]" not in out  # refused before any container
