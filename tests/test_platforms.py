"""The platform table and the target key's one grammar (bootstrap/platforms.py): every
row round-trips through each name it holds, agrees with the uv pin the repository holds,
and every bad key gets the one error, from every place that reads one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.tags import parse_tag

from bootstrap import platforms
from bootstrap.cache.targets import parse_target as cache_parse_target
from bootstrap.cache.targets import uv_artifact_for
from bootstrap.errors import EXIT_USAGE, ConfigError, UserError
from bootstrap.plan.planner import parse_target as plan_parse_target
from bootstrap.platforms import TABLE, Accel, Platform, Target
from bootstrap.uv import pin as pinmod

REPO = Path(__file__).resolve().parent.parent
ROWS = list(TABLE.values())
IDS = list(TABLE)
ACCELS = ("cpu", "cu118", "cu126", "cu130", "rocm6.2")


@pytest.mark.parametrize("info", ROWS, ids=IDS)
@pytest.mark.parametrize("accel", ACCELS)
def test_every_row_round_trips_as_a_target_key(info: platforms.PlatformInfo, accel: str) -> None:
    key = f"{info.platform.key}-{accel}"
    target = platforms.parse(key)
    assert target == Target(info.platform, Accel(accel))
    assert target.key == str(target) == key
    assert platforms.target_key(target.platform, target.accel) == key
    assert (target.os, target.arch) == (info.platform.os, info.platform.arch)
    assert target.platform.info is info
    assert target.uv_platform is info.uv
    assert plan_parse_target(key) == (info.platform.os, info.platform.arch, accel)
    assert cache_parse_target(key) == target


@pytest.mark.parametrize("info", ROWS, ids=IDS)
def test_every_row_round_trips_through_its_uv_triples(info: platforms.PlatformInfo) -> None:
    for triple in (info.uv.triple, info.uv.musl_triple):
        if triple:
            assert platforms.from_triple(triple) == info.platform
            assert triple in platforms.UV_TRIPLES
    # Only Linux has a second (musl) build.
    assert (info.uv.musl_triple is not None) == (info.platform.os == "linux")


@pytest.mark.parametrize("info", ROWS, ids=IDS)
def test_every_row_round_trips_through_what_python_reports_there(
    info: platforms.PlatformInfo,
) -> None:
    # platform.system() is the marker platform_system; platform.machine() the marker
    # platform_machine (AMD64 and ARM64 on Windows).
    system, machine = info.markers["platform_system"], info.markers["platform_machine"]
    assert platforms.from_python(system, machine) == info.platform
    assert platforms.from_python(system, "sparc64") is None
    assert platforms.from_python("Plan9", machine) is None


@pytest.mark.parametrize("info", ROWS, ids=IDS)
def test_every_row_s_markers_are_what_pep_508_reads(info: platforms.PlatformInfo) -> None:
    env = {**info.markers, "python_version": "3.12", "python_full_version": "3.12.0"}
    mine = f"sys_platform == '{info.markers['sys_platform']}'"
    assert Marker(mine).evaluate(env)
    others = {i.markers["sys_platform"] for i in ROWS} - {info.markers["sys_platform"]}
    for other in others:
        assert not Marker(f"sys_platform == '{other}'").evaluate(env)
    assert Marker(f"platform_machine == '{info.markers['platform_machine']}'").evaluate(env)


def test_the_uv_pin_and_the_table_name_the_same_builds() -> None:
    pinned = {a.triple for a in pinmod.load({}).artifacts if a.kind == "wheel"}
    assert pinned == set(platforms.UV_TRIPLES)
    assert pinmod.TRIPLES == platforms.UV_TRIPLES


@pytest.mark.parametrize("info", ROWS, ids=IDS)
def test_the_pinned_uv_wheel_of_each_row_installs_there_and_nowhere_else(
    info: platforms.PlatformInfo,
) -> None:
    pin = pinmod.load({})
    wheel = pin.for_triple(info.uv.triple, "wheel")
    assert wheel is not None
    dist = platforms.dist_file(wheel.filename)
    assert dist is not None and dist.name == "uv" and dist.version == pin.version
    # The table's uv wheel tags pick that very file out of everything pinned.
    target = Target(info.platform, Accel("cpu"))
    names = [a.filename for a in pin.artifacts if a.kind == "wheel"]
    assert uv_artifact_for(target, pin.version, names) == wheel.filename
    fits = {key for key in TABLE if any(platforms.wheel_installs_on(tag, key) for tag in dist.tags)}
    assert fits == {info.platform.key}


def test_wheel_tags_that_fit_several_platforms() -> None:
    (fat,) = parse_tag("cp312-cp312-macosx_10_9_universal2")
    assert platforms.wheel_installs_on(fat, "macos-arm64")
    assert platforms.wheel_installs_on(fat, Platform("macos", "x86_64"))
    assert not platforms.wheel_installs_on(fat, "linux-x86_64")
    (anywhere,) = parse_tag("py3-none-any")
    assert all(platforms.wheel_installs_on(anywhere, key) for key in TABLE)


def test_default_platforms_are_the_rows_a_lock_serves_unasked() -> None:
    assert platforms.DEFAULT_PLATFORMS == (
        "linux-x86_64",
        "linux-arm64",
        "macos-x86_64",
        "macos-arm64",
        "windows-x86_64",
    )
    assert "windows-arm64" in TABLE


@pytest.mark.parametrize(
    ("accel", "kind"), [("cpu", "cpu"), ("cu126", "cuda"), ("cu130", "cuda"), ("rocm6.2", "rocm")]
)
def test_accel_kind(accel: str, kind: str) -> None:
    assert platforms.parse(f"linux-x86_64-{accel}").accel.kind == kind


@pytest.mark.parametrize(
    ("key", "why"),
    [
        ("linux-x86_64", "it has not three parts"),
        ("", "it has not three parts"),
        ("linux--cpu", "it has not three parts"),
        ("beos-x86_64-cpu", "unknown os 'beos'"),
        ("Linux-x86_64-cpu", "unknown os 'Linux'"),
        ("linux-amd64-cpu", "unknown arch 'amd64'"),
        ("linux-sparc-cpu", "unknown arch 'sparc'"),
        ("linux-x86_64-gpu", "unknown accelerator 'gpu'"),
        ("linux-x86_64-cu12", "unknown accelerator 'cu12'"),
        ("linux-x86_64-rocm6", "unknown accelerator 'rocm6'"),
        ("linux-x86_64-cpu-extra", "unknown accelerator 'cpu-extra'"),
        ("linux-x86_64-cpu\n", "unknown accelerator 'cpu\\n'"),
        ("linux-x86_64-cu\u0661\u0662\u0666", "unknown accelerator 'cu\u0661\u0662\u0666'"),
    ],
)
def test_a_bad_key_gets_the_one_error_naming_what_was_expected(key: str, why: str) -> None:
    for parse in (platforms.parse, cache_parse_target, plan_parse_target):
        with pytest.raises(UserError) as caught:
            parse(key)
        err = caught.value
        assert err.code == "target.bad_key"
        assert err.exit_code == EXIT_USAGE
        assert f"{key!r} is not '<os>-<arch>-<accel>'" in err.message
        assert "os: linux|macos|windows, arch: x86_64|arm64" in err.message
        assert "accel: cpu, cu<NNN> or rocm<M.N>" in err.message
        assert err.message.endswith(f": {why}")
        assert "\n" not in err.message.replace(repr(key), "")
        assert "--target linux-x86_64-cpu" in (err.fix or "")


def test_the_error_names_what_held_the_key() -> None:
    with pytest.raises(UserError, match=r"^--target 'x' is not"):
        plan_parse_target("x")
    with pytest.raises(UserError, match=r"^bundle\.tar: the bundle's target 'x' is not"):
        platforms.parse("x", what="bundle.tar: the bundle's target")


def test_a_profile_s_files_table_takes_the_same_grammar(tmp_path: Path) -> None:
    from bootstrap.profiles import load_profile

    (tmp_path / "pylock.linux-x86_64-cpu.toml").write_text("")
    good = tmp_path / "good.toml"
    good.write_text(
        f'[project]\npath = "{tmp_path.as_posix()}"\n[first_run]\ncommand = "true"\n'
        '[[locks]]\nkind = "pylock"\n[locks.files]\n'
        '"linux-x86_64-cpu" = "pylock.linux-x86_64-cpu.toml"\n'
    )
    assert load_profile(str(good)).locks[0].variants[0].accel == "cpu"
    bad = tmp_path / "bad.toml"
    bad.write_text(good.read_text().replace('"linux-x86_64-cpu" =', '"linux-amd64-cpu" ='))
    with pytest.raises(ConfigError) as caught:
        load_profile(str(bad))
    assert "`locks[0].files.linux-amd64-cpu`" in caught.value.message
    assert platforms.EXPECTED in caught.value.message
    assert caught.value.exit_code == EXIT_USAGE


def test_dist_file_names() -> None:
    wheel = platforms.dist_file("Typing_Extensions-4.12.02-py3-none-any.whl")
    assert wheel is not None
    assert (wheel.name, wheel.version, wheel.is_wheel) == ("typing-extensions", "4.12.2", True)
    assert wheel.platform_tags == {"any"}
    sdist = platforms.dist_file("six-1.17.0.tar.gz")
    assert sdist is not None
    assert (sdist.name, sdist.version, sdist.is_wheel) == ("six", "1.17.0", False)
    assert platforms.dist_file("six-1.17.0.zip") == platforms.DistFile("six", "1.17.0", frozenset())
    for junk in ("README.md", "x.whl", "no_version.tar.gz", "a-b-c.whl", "six-1.17.0.tar.bz2"):
        assert platforms.dist_file(junk) is None
    assert platforms.normalize_version("2024.01") == "2024.1"
    assert platforms.normalize_version("not a version") == "not a version"


@pytest.mark.parametrize(
    "argv",
    [
        ["plan", "--profile", "python-service", "--replay", "tests/fixtures/hosts/linux-no-gpu"],
        ["python", "pin", "3.12.1", "--archive", "missing.tar.gz"],
    ],
    ids=["plan", "python-pin"],
)
def test_each_command_gives_the_one_error_and_exit_2(argv: list[str]) -> None:
    res = subprocess.run(
        [sys.executable, "-m", "bootstrap", *argv, "--target", "linux-amd64-cpu"],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "NO_COLOR": "1"},
        timeout=120,
        check=False,
    )
    assert res.returncode == EXIT_USAGE, res.stderr
    assert "Traceback" not in res.stderr
    errors = [ln for ln in res.stderr.splitlines() if ln.lower().startswith("error")]
    assert len(errors) == 1, res.stderr
    assert "'linux-amd64-cpu' is not '<os>-<arch>-<accel>'" in errors[0]
    assert errors[0].endswith("unknown arch 'amd64'")
