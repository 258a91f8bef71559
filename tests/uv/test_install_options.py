"""install.sh takes its own options wherever they appear and hands the rest, in order,
to `bootstrap up`; `--` ends option parsing. Run for real under dash, bash and busybox."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.stage0 import SHELLS, Artifacts, run_sh, shell_env


def _env(artifacts: Artifacts, tmp_path: Path, warm_uv_cache: str) -> dict[str, str]:
    return shell_env(
        tmp_path,
        BOOTSTRAP_UV_LOCAL=str(artifacts.local),
        UV_OFFLINE="1",
        UV_CACHE_DIR=warm_uv_cache,
    )


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize("order", ["bundle-first", "bundle-last"])
def test_a_bundle_is_used_in_either_order(  # noqa: PLR0917 - pytest parameters
    shell: list[str],
    order: str,
    artifacts: Artifacts,
    test_pin: Path,
    tmp_path: Path,
    warm_uv_cache: str,
) -> None:
    bundle = tmp_path / "team.bundle.tar"  # not there: stage 0 itself must say so
    args = ["--profile", "python-service", "--cache-bundle", str(bundle)]
    if order == "bundle-first":
        args = args[2:] + args[:2]
    res = run_sh(shell, args, _env(artifacts, tmp_path, warm_uv_cache), cwd=tmp_path)
    assert res.returncode == 2, res.stderr
    assert f"install.sh: error: cache bundle {bundle} does not exist [bundle.missing]" in (
        res.stderr
    )
    assert "bootstrap up" not in res.stderr  # refused before the handover


@pytest.mark.parametrize("shell", SHELLS)
def test_own_options_after_others_are_taken_and_the_rest_goes_on_in_order(
    shell: list[str], artifacts: Artifacts, test_pin: Path, tmp_path: Path, warm_uv_cache: str
) -> None:
    env = _env(artifacts, tmp_path, warm_uv_cache)
    # --verify (ours) between two of up's: up sees `--profile no-such-team --dry-run`.
    res = run_sh(
        shell,
        ["--profile", "no-such-team", "--verify", "--dry-run"],
        env,
        cwd=tmp_path,
        timeout=120,
    )
    assert res.returncode == 2, res.stderr
    assert "no profile named 'no-such-team'" in res.stderr
    assert "No such option" not in res.stderr
    # And a value of up's own that looks like ours stays where it is after `--`.
    res = run_sh(shell, ["--sources", "local", "--", "--help"], env, cwd=tmp_path, timeout=120)
    assert res.returncode == 0, res.stderr
    assert "Usage: bootstrap up" in res.stdout


def test_double_dash_ends_option_parsing(
    artifacts: Artifacts, test_pin: Path, tmp_path: Path, warm_uv_cache: str
) -> None:
    env = _env(artifacts, tmp_path, warm_uv_cache)
    missing = tmp_path / "not-a-bundle.tar"
    # After `--`, --cache-bundle is up's: stage 0 does not read the file; up's --help wins.
    res = run_sh(
        ["dash"], ["--", "--cache-bundle", str(missing), "--help"], env, cwd=tmp_path, timeout=120
    )
    assert res.returncode == 0, res.stderr
    assert "Usage: bootstrap up" in res.stdout
    assert "bundle.missing" not in res.stderr


def test_an_argument_before_uv_mode_is_refused(
    artifacts: Artifacts, test_pin: Path, tmp_path: Path
) -> None:
    env = shell_env(tmp_path, BOOTSTRAP_UV_LOCAL=str(artifacts.local))
    res = run_sh(["dash"], ["--profile", "x", "--uv", "--version"], env)
    assert res.returncode == 1
    assert "--profile comes before --uv" in res.stderr
    ok = run_sh(["dash"], ["--verify", "--uv", "--version"], env)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith(f"uv {artifacts.version}")
