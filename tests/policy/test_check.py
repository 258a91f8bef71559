"""`bootstrap check`: the CI gate on a small real repository (a copy of this one's pin and
installers, the split fixture project), each problem planted and found with file:line."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from support.cli import bootstrap
from support.network import netns_available
from support.projects import SPLIT_PROFILE, copy_project

REPO = Path(__file__).resolve().parents[2]

WORKFLOW = """\
name: ci
on: [push]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: astral-sh/setup-uv@v6
        with:
          version: "0.13.9"
      - run: uv sync --frozen
      - run: uvx ruff@0.6.9 check .
"""


def make_repo(tmp_path: Path, profile: str = SPLIT_PROFILE) -> tuple[Path, Path]:
    """A repository root with the pin, both installers, a pyproject, a workflow and the
    split project; returns (root, profile)."""
    root = tmp_path / "repo"
    (root / "bootstrap" / "uv").mkdir(parents=True)
    shutil.copy(REPO / "bootstrap" / "uv" / "pin.txt", root / "bootstrap" / "uv" / "pin.txt")
    for name in ("install.sh", "install.ps1"):
        shutil.copy(REPO / name, root / name)
    (root / "pyproject.toml").write_text(
        '[project]\nname = "team"\nversion = "0"\n\n[tool.uv]\nrequired-version = "==0.13.9"\n'
    )
    (root / ".github" / "workflows").mkdir(parents=True)
    (root / ".github" / "workflows" / "ci.yml").write_text(WORKFLOW)
    prof = copy_project("split", root, profile)
    assert bootstrap("lock", "--profile", str(prof)).returncode == 0
    return root, prof


def check(root: Path, prof: Path, *args: str) -> tuple[int, str]:
    r = bootstrap("check", "--profile", str(prof), "--root", str(root), *args)
    assert "Traceback" not in r.stderr, r.stderr
    return r.returncode, r.stdout + r.stderr


@pytest.mark.network  # `uv lock --check` may need the index for metadata on a cold cache
def test_a_clean_repository_passes(tmp_path: Path) -> None:
    root, prof = make_repo(tmp_path)
    code, out = check(root, prof, "--skip", "f")
    assert code == 0, out
    assert "5 of 5 check(s) passed" in out


def test_each_planted_problem_is_found_with_file_and_line(tmp_path: Path) -> None:
    root, prof = make_repo(tmp_path)
    project = root / "project"
    # (c) a lock entry without hashes
    lock = project / "uv.lock"
    text = lock.read_text()
    six_at = text.index('name = "six"')
    stripped = text[:six_at] + re.sub(r', hash = "sha256:[0-9a-f]+"', "", text[six_at:], count=2)
    lock.write_text(stripped)
    six_line = stripped[:six_at].count("\n") + 1
    # (d) a disagreeing pin in install.ps1
    ps1 = root / "install.ps1"
    ps1_text = ps1.read_text()
    ps1.write_text(ps1_text.replace("\nversion 0.13.9\n", "\nversion 0.13.8\n", 1))
    ps1_line = ps1_text[: ps1_text.index("\nversion 0.13.9\n")].count("\n") + 2
    # (e) a workflow with `pip install --user black`, a script with unpinned `uvx ruff`
    wf = root / ".github" / "workflows" / "ci.yml"
    wf.write_text(WORKFLOW + "      - run: pip install --user black\n")
    (root / "scripts").mkdir()
    (root / "scripts" / "lint.sh").write_text("#!/bin/sh\nset -e\nuvx ruff check .\n")

    code, out = check(root, prof, "--only", "cde", "--json")
    assert code == 1
    data = json.loads(out)
    found = {(f["check"], f["file"], f["line"]): f for c in data["checks"] for f in c["findings"]}
    assert ("hashes", "project/uv.lock", six_line) in found, found.keys()
    assert "six 1.17.0" in found["hashes", "project/uv.lock", six_line]["message"]
    pin = found["uv-pin", "install.ps1", ps1_line]
    assert "0.13.8" in pin["message"] and "0.13.9" in pin["message"]
    assert pin["fix"] == "re-embed the pin: `bootstrap uv pin --sync`"
    user = found["global-installs", ".github/workflows/ci.yml", 13]
    assert "--user" in user["message"]
    uvx = found["global-installs", "scripts/lint.sh", 3]
    assert "uvx ruff" in uvx["message"] and uvx["fix"].startswith("pin it: `uvx ruff@")
    assert len(found) == 4, found.keys()
    # The same, as lines a person reads.
    code, text_out = check(root, prof, "--only", "cde")
    assert code == 1
    assert f"install.ps1:{ps1_line}: the embedded uv pin says uv 0.13.8" in text_out
    assert ".github/workflows/ci.yml:13: `pip install --user`" in text_out
    assert "0 of 3 check(s) passed" in text_out


def test_uv_pins_in_ci_and_pyproject(tmp_path: Path) -> None:
    root, prof = make_repo(tmp_path)
    wf = root / ".github" / "workflows" / "ci.yml"
    wf.write_text(WORKFLOW.replace('version: "0.13.9"', 'version: "0.9.1"'))
    (root / ".gitlab-ci.yml").write_text(
        "test:\n  image: ghcr.io/astral-sh/uv:0.13.9-bookworm\n  script:\n"
        "    - pip install uv==0.12.0\n"
    )
    (root / ".pre-commit-config.yaml").write_text(
        "repos:\n  - repo: https://github.com/astral-sh/uv-pre-commit\n    rev: 0.13.9\n"
        "    hooks:\n      - id: uv-lock\n"
    )
    py = root / "pyproject.toml"
    py.write_text(py.read_text().replace("==0.13.9", ">=0.5"))
    code, out = check(root, prof, "--only", "d", "--json")
    assert code == 1
    found = {(f["file"], f["line"]) for f in json.loads(out)["checks"][0]["findings"]}
    assert found == {
        (".github/workflows/ci.yml", 10),
        (".gitlab-ci.yml", 4),
        ("pyproject.toml", 6),
    }


def test_pinned_tools_are_the_allowed_set(tmp_path: Path) -> None:
    root, prof = make_repo(tmp_path, SPLIT_PROFILE + '\n[tools]\nruff = "0.6.9"\n')
    code, out = check(root, prof, "--only", "e")
    assert code == 0, out
    (root / "Makefile").write_text(
        "lint:\n\tuvx ruff@0.5.0 check .\n\tuvx black@24.1.0 .\n\tpipx install pre-commit\n"
        "\tpython -m venv .venv\n\t.venv/bin/pip install -e .\n"
    )
    code, out = check(root, prof, "--only", "e", "--json")
    assert code == 1
    findings = json.loads(out)["checks"][0]["findings"]
    by_line = {f["line"]: f for f in findings}
    assert sorted(by_line) == [2, 3, 4]
    assert "the profile's [tools] pins 0.6.9" in by_line[2]["message"]
    assert by_line[2]["fix"] == "use `uvx ruff@0.6.9`"
    assert "not one of the profile's pinned [tools]" in by_line[3]["message"]
    assert "pipx install pre-commit" in by_line[4]["message"]


def test_bad_flags_are_one_line(tmp_path: Path) -> None:
    root, prof = make_repo(tmp_path)
    r = bootstrap("check", "--profile", str(prof), "--root", str(root), "--only", "xz")
    assert r.returncode == 2
    assert r.stderr.startswith("error: --only xz: expected letters of the checks a-f")


@pytest.mark.network
@pytest.mark.netns
@pytest.mark.skipif(not netns_available(), reason="`unshare -n` is not available here")
def test_offline_proof(tmp_path: Path, uv_bin: Path, _isolated_home: Path) -> None:
    import os

    profile = SPLIT_PROFILE + (
        '\n[first_run]\ncommand = ["python", "-c", "import jeepney, six; print(\'split ok\')"]\n'
    )
    root, prof = make_repo(tmp_path, profile)
    # The pinned uv, as stage 0 left it (one directory per version, marker included).
    pinned = uv_bin.parent
    shutil.copytree(pinned, _isolated_home / "data" / "uv" / pinned.name)
    env = {**os.environ, "UV_CACHE_DIR": str(tmp_path / "uv-cache")}
    # A cold cache: the proof fails and says what the cache lacks.
    r = bootstrap("check", "-p", str(prof), "--root", str(root), "--only", "f", env=env)
    assert r.returncode == 1, r.stdout
    assert "FAIL f" in r.stdout and "failed with no network (exit 4)" in r.stdout
    # Warm it once with the network, as a CI stage with network does, then prove it.
    warm = bootstrap("up", "-p", str(prof), "--online", env=env, timeout=300)
    assert warm.returncode == 0, warm.stdout + warm.stderr
    r = bootstrap("check", "-p", str(prof), "--root", str(root), "--only", "f", env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "no network: network namespace" in r.stdout
    assert "time to first successful run" in r.stdout


@pytest.mark.parametrize(
    ("line", "flagged"),
    [
        ("uvx ruff check .", True),
        ("  - run: uvx ruff check .", True),
        ("    - uvx ruff check .", True),
        ('version="$(uvx ruff --version)"', True),
        ("make lint && uvx ruff check .", True),
        ("if true; then uvx ruff check .; fi", True),
        ("uvx ruff@0.6.9 check .", False),
        ("for _f in uvx uv .verified; do", False),  # words, not a call (install.sh)
        ('echo "install uvx with uv"', False),
    ],
)
def test_uvx_is_found_where_it_is_a_command(tmp_path: Path, line: str, flagged: bool) -> None:
    from bootstrap.policy.installs import check_file

    script = tmp_path / "lint.sh"
    script.write_text(line + "\n")
    found = check_file(script, "lint.sh", {})
    assert bool(found) is flagged, found


@pytest.mark.parametrize(
    ("line", "flagged"),
    [
        ('"$UV" pip install -q --require-hashes --python "$_py" -r "$_rt"', False),
        ("$UV pip install --offline --no-deps --python .venv/bin/python x.whl", False),
        ("& $Uv pip install -r req.txt", False),
        ("uv run pip install x", False),
        ("pip install requests", True),
        ("python3 -m pip install requests", True),
        ("sudo pip install requests", True),
    ],
)
def test_uv_pip_through_a_variable_is_not_a_global_install(
    tmp_path: Path, line: str, flagged: bool
) -> None:
    """Installers call uv by the path they keep in a variable ("$UV"): still uv's pip,
    into the environment named with --python, never the system's."""
    from bootstrap.policy.installs import GLOBAL_PIP, check_file

    script = tmp_path / "install.sh"
    script.write_text(line + "\n")
    found = [f for f in check_file(script, "install.sh", {}) if f.message == GLOBAL_PIP]
    assert bool(found) is flagged, found
