"""`bootstrap doctor`'s TLS finding: uv needs the system's certificate store on this
machine (stage 0 learnt it, or the profile says so) and the user's shell does not say so.
No network: the finding reads stage 0's marker and the environment, as doctor does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PROFILE = REPO / "profiles" / "python-service.toml"


def doctor(home: Path, profile: Path, **env: str) -> list[dict[str, object]]:
    run_env = {**os.environ, "BOOTSTRAP_HOME": str(home), "BOOTSTRAP_NO_METRICS": "1", **env}
    for var in ("UV_SYSTEM_CERTS", "UV_NATIVE_TLS"):
        if var not in env:
            run_env.pop(var, None)
    r = subprocess.run(
        [sys.executable, "-m", "bootstrap", "doctor", "--profile", str(profile), "--json"],
        env=run_env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert r.returncode in (0, 1), r.stderr
    findings: list[dict[str, object]] = json.loads(r.stdout)["findings"]
    return [f for f in findings if f["check"] == "tls"]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    (tmp_path / "home" / "data").mkdir(parents=True)
    return tmp_path / "home"


def test_what_stage0_learnt_is_told_to_the_shell(home: Path) -> None:
    assert doctor(home, PROFILE) == []
    marker = home / "data" / "tls-system-certs"
    marker.touch()
    (found,) = doctor(home, PROFILE)
    assert "UnknownIssuer" in str(found["message"])
    assert "export UV_SYSTEM_CERTS=1" in str(found["fix"])
    assert found["file"] == str(marker)
    assert doctor(home, PROFILE, UV_SYSTEM_CERTS="1") == []
    assert doctor(home, PROFILE, UV_NATIVE_TLS="true") == []
    assert marker.is_file()  # doctor only reads


def test_a_profile_that_asks_for_the_system_store(home: Path, tmp_path: Path) -> None:
    profile = tmp_path / "corp.toml"
    text = PROFILE.read_text().replace('name = "python-service"', 'name = "corp"')
    text = text.replace(
        'path = "../examples/python-service"',
        f'path = "{PROFILE.parent.parent / "examples" / "python-service"}"',
    )
    profile.write_text(text + "\n[sync]\nsystem_certs = true\n")
    (found,) = doctor(home, profile)
    assert "the profile sets [sync] system_certs = true" in str(found["message"])
    assert doctor(home, profile, UV_SYSTEM_CERTS="1") == []
