"""Groups and extras as uv has them: the profile keys, their validation, and the exact
uv flags the plan carries (the Sync step's argv)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bootstrap.errors import ConfigError
from bootstrap.host.facts import HostFacts
from bootstrap.plan.model import LockChoice
from bootstrap.plan.planner import make_plan
from bootstrap.plan.specs import Sync
from bootstrap.profiles import load_profile

TESTS = Path(__file__).resolve().parent.parent
TEAMREPO = TESTS / "fixtures" / "teamrepo"


def host(name: str) -> HostFacts:
    return HostFacts.from_dict(json.loads((TESTS / "plan" / "hosts" / f"{name}.json").read_text()))


def team_profile(tmp: Path, lock_keys: str = "", variant_keys: str = "") -> Path:
    project = tmp / "teamrepo"
    if not project.exists():
        shutil.copytree(TEAMREPO, project)
    text = f"""
name = "team"
[project]
path = "teamrepo"
[[locks]]
kind = "uv"
{lock_keys}
[locks.variants.cpu]
{variant_keys}
"""
    path = tmp / "team.toml"
    path.write_text(text)
    return path


def sync_argv(path: Path) -> tuple[str, ...]:
    plan = make_plan(host("linux-no-gpu"), load_profile(str(path)))
    sync = plan.step(Sync)
    assert sync is not None
    return sync.argv


def test_lock_level_keys_reach_the_plan_as_uv_flags(tmp_path: Path) -> None:
    path = team_profile(tmp_path, 'no_default_groups = true\ngroups = ["tests"]')
    assert sync_argv(path) == (
        "sync", "--frozen", "--offline", "--no-build", "--no-default-groups", "--group", "tests"
    )  # fmt: skip


def test_variant_lists_add_to_the_lock_and_its_switches_win(tmp_path: Path) -> None:
    path = team_profile(
        tmp_path,
        'no_default_groups = true\ngroups = ["tests"]',
        'groups = ["typing"]\nno_default_groups = false\nno_dev = true',
    )
    argv = sync_argv(path)
    assert argv[4:] == ("--no-dev", "--group", "tests", "--group", "typing")


def test_every_key_has_its_flag() -> None:
    lock = LockChoice(
        "uv.lock", "uv", ("a",), ("g",), all_extras=False, no_dev=True, no_default_groups=True
    )
    assert lock.uv_flags() == ("--extra", "a", "--no-dev", "--no-default-groups", "--group", "g")
    only = LockChoice("uv.lock", "uv", only_groups=("tests",), all_extras=True)
    assert only.uv_flags() == ("--all-extras", "--only-group", "tests")
    assert LockChoice("uv.lock", "uv", all_groups=True).uv_flags() == ("--all-groups",)
    assert LockChoice("pylock.x.toml", "pylock", all_groups=True).uv_flags() == ()


def test_the_plan_json_round_trips_the_selection(tmp_path: Path) -> None:
    path = team_profile(tmp_path, 'only_groups = ["tests"]')
    plan = make_plan(host("linux-no-gpu"), load_profile(str(path)))
    data = plan.to_dict()
    assert data["lock"]["only_groups"] == ["tests"]
    assert "no_dev" not in data["lock"]  # unset switches stay out of the JSON
    assert LockChoice.from_dict(data["lock"]) == plan.lock
    assert "--only-group tests" in next(r.why for r in plan.reasons if r.decision == "lock")


@pytest.mark.parametrize(
    ("lock_keys", "variant_keys", "message", "fix"),
    [
        (
            'only_groups = ["tests"]\ngroups = ["typing"]',
            "",
            "`locks[0]`: expected at most one of `only_groups` and `groups` "
            "(uv refuses them together), found both",
            "keep `only_groups` or `groups`",
        ),
        (
            "all_extras = true",
            'extras = ["x"]',
            "`locks[0].variants.cpu`: expected at most one of `all_extras` and `extras` "
            "(uv refuses them together), found both",
            "on the lock or on variant 'cpu'",
        ),
        (
            'groups = ["test"]',
            "",
            "`locks[0].variants.cpu.groups`: expected a name from [dependency-groups] in "
            "{project}, found 'test' (did you mean `tests`?)",
            "use one of: dev, pre-commit, tests, typing",
        ),
        (
            "",
            'extras = ["cu126"]',
            "`locks[0].variants.cpu.extras`: expected a name from "
            "[project.optional-dependencies] in {project}, found 'cu126'",
            "use one of: (none defined)",
        ),
        (
            "no_dev = 1",
            "",
            "`locks[0].no_dev`: expected true or false, found an integer 1",
            None,
        ),
        (
            "only_groups = []",
            "",
            "`locks[0].only_groups`: expected a non-empty array of name (letters, digits, . _ -)"
            ", found an array []",
            None,
        ),
    ],
)
def test_bad_selection_names_file_key_and_expected_value(
    tmp_path: Path, lock_keys: str, variant_keys: str, message: str, fix: str | None
) -> None:
    path = team_profile(tmp_path, lock_keys, variant_keys)
    with pytest.raises(ConfigError) as caught:
        load_profile(str(path))
    project = tmp_path / "teamrepo" / "pyproject.toml"
    assert caught.value.message == f"{path}: " + message.format(project=project)
    assert caught.value.exit_code == 2
    if fix:
        assert fix in (caught.value.fix or "")


def test_group_names_compare_normalized(tmp_path: Path) -> None:
    path = team_profile(tmp_path, 'groups = ["Pre_Commit"]')
    assert sync_argv(path)[-2:] == ("--group", "Pre_Commit")


def test_a_pylock_lock_takes_no_selection(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text('[[locks]]\nkind = "pylock"\nno_default_groups = true\n')
    with pytest.raises(ConfigError) as caught:
        load_profile(str(path))
    assert caught.value.message == (
        f"{path}: `locks[0].no_default_groups`: expected no extras or groups for a pylock "
        "lock (each target has its own file), found a boolean True"
    )
