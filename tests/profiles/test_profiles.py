"""Profiles: every validation error names the file, the key path, what was expected
and what was found; extends merges; the search order; the CLI exits 2 with no
traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.cli import bootstrap

from bootstrap.errors import ConfigError
from bootstrap.profiles import REPO_PROFILES, list_profiles, load_profile, search_dirs

BASE = """
name = "t"
[project]
path = "."
"""


def write(tmp: Path, name: str, text: str) -> Path:
    path = tmp / f"{name}.toml"
    path.write_text(text)
    return path


def error_for(tmp: Path, text: str, name: str = "team") -> ConfigError:
    path = write(tmp, name, text)
    with pytest.raises(ConfigError) as caught:
        load_profile(str(path))
    assert caught.value.exit_code == 2
    return caught.value


# (profile text, the exact message after "<file>: ", a piece of the fix)
ERRORS = [
    (
        'descripton = "x"',
        "unknown key `descripton` (did you mean `description`?)",
        "known keys in the top level: budget_seconds, description,",
    ),
    (
        '[[locks]]\nkind = "uv"\nvariant = {}',
        "unknown key `locks[0].variant` (did you mean `variants`?)",
        "known keys in [locks[0]]: all_extras, all_groups, extras, files, groups, kind,",
    ),
    (
        "[needs]\nlinux_onyl = true",
        "unknown key `needs.linux_onyl` (did you mean `linux_only`?)",
        "accelerators",
    ),
    (
        '[strategies.wsl2]\ndistribution = "Ubuntu"',
        "unknown key `strategies.wsl2.distribution` (did you mean `distro`?)",
        "known keys in [strategies.wsl2]: directory, distro",
    ),
    (
        '[strategies.wsl2]\ndirectory = "src/proj"',
        "`strategies.wsl2.directory`: expected an absolute path, one under ~/, or a Windows "
        "path (C:\\...), found a string 'src/proj'",
        None,
    ),
    (
        '[first_run]\ntimeout_seconds = "10"',
        "`first_run.timeout_seconds`: expected a number > 0, found a string '10'",
        "set `first_run.timeout_seconds`",
    ),
    (
        "[first_run]\ncommand = []",
        "`first_run.command`: expected a command: a non-empty string or an array of strings, "
        "found an array []",
        None,
    ),
    (
        '[[locks]]\nkind = "uv"\n[[locks]]\nkind = "uv"\n[locks.variants.cu126]\nextras = "cu126"',
        "`locks[1].variants.cu126.extras`: expected an array of name (letters, digits, . _ -), "
        "found a string 'cu126'",
        None,
    ),
    (
        '[[locks]]\nkind = "uv"\n[locks.variants.cuda12]\nextras = ["x"]',
        '`locks[0].variants.cuda12`: expected an accelerator ("cpu", "cu126", "rocm6.2"), '
        "found a string 'cuda12'",
        None,
    ),
    (
        '[needs]\ngpu = "requried"',
        '`needs.gpu`: expected one of "none", "optional", "required" (did you mean `required`?), '
        "found a string 'requried'",
        None,
    ),
    (
        '[project]\npython_downloads = "yes"',
        '`project.python_downloads`: expected one of "never", "manual", "automatic", '
        "found a string 'yes'",
        None,
    ),
    (
        '[strategies]\nallowed = ["native", "docker"]',
        '`strategies.allowed[1]`: expected one of "native", "wsl2", "devcontainer", "remote", '
        "found a string 'docker'",
        None,
    ),
    (
        '[strategies]\nallowed = ["native"]\norder = ["wsl2", "native"]',
        "`strategies.order`: expected strategies that are also in `strategies.allowed` "
        "['native'], found an array ['wsl2', 'native']",
        None,
    ),
    (
        '[strategies.remote]\nhosts = ["me@ host"]',
        "`strategies.remote.hosts[0]`: expected \"user@host\", found a string 'me@ host'",
        None,
    ),
    (
        "[needs]\nmin_memory_gb = -1",
        "`needs.min_memory_gb`: expected a number > 0, found an integer -1",
        None,
    ),
    (
        '[sync]\nnetwork = "online"',
        '`sync.network`: expected one of "offline", "allow" (did you mean `offline`?), '
        "found a string 'online'",
        None,
    ),
    (
        "budget_seconds = true",
        "`budget_seconds`: expected a number > 0, found a boolean True",
        None,
    ),
    (
        '[[locks]]\npath = "uv.lock"',
        '`locks[0].kind` is missing: expected one of "uv", "pylock"',
        "add `kind = ...` to [locks[0]]",
    ),
    (
        '[[locks]]\nkind = "pylock"\npath = "requirements.toml"',
        '`locks[0].path`: expected a pattern containing "{target}" (e.g. "pylock.{target}.toml"),'
        " or a `files` table, found a string 'requirements.toml'",
        None,
    ),
    (
        'locks = {kind = "uv"}',
        "`locks`: expected an array of tables ([[...]]), found a table",
        None,
    ),
    (
        '[[metrics.sinks]]\nkind = "http-json"',
        "`metrics.sinks[0].url` is missing: expected an http(s) URL (a http-json sink needs one)",
        "add `url = ...` to [metrics.sinks[0]]",
    ),
    (
        '[[metrics.sinks]]\nkind = "statsd"\nurl = "https://x"',
        '`metrics.sinks[0].kind`: expected one of "file", "http-json", "pushgateway", '
        "\"otlp-http\", found a string 'statsd'",
        None,
    ),
    (
        '[[metrics.sinks]]\nkind = "pushgateway"\nurl = "localhost:9091"',
        "`metrics.sinks[0].url`: expected an https URL (plain http only to 127.0.0.1/localhost)"
        ", found a string 'localhost:9091'",
        "'localhost:9091': only https (or http to 127.0.0.1/localhost) is allowed",
    ),
    (
        # The example docs/profiles.md used to show: refused by validate, not at send time.
        '[[metrics.sinks]]\nkind = "pushgateway"\nurl = "http://pushgateway:9091"',
        "`metrics.sinks[0].url`: expected an https URL (plain http only to 127.0.0.1/localhost)"
        ", found a string 'http://pushgateway:9091'",
        "'http://pushgateway:9091': only https (or http to 127.0.0.1/localhost) is allowed; "
        "use https://pushgateway:9091",
    ),
    (
        '[[metrics.sinks]]\nkind = "pushgateway"\nurl = "https://pg:9091"\ntoken_env = "MY TOKEN"',
        "`metrics.sinks[0].token_env`: expected an environment variable name, "
        "found a string 'MY TOKEN'",
        None,
    ),
    (
        "extends = 3",
        "`extends`: expected a profile name or a path to a .toml file, found an integer 3",
        None,
    ),
]


@pytest.mark.parametrize(("text", "message", "fix"), ERRORS, ids=[e[1][:40] for e in ERRORS])
def test_validation_errors(tmp_path: Path, text: str, message: str, fix: str | None) -> None:
    err = error_for(tmp_path, text)
    assert err.message == f"{tmp_path / 'team.toml'}: {message}"
    if fix is not None:
        assert fix in (err.fix or "")
    assert err.fix


def test_bad_toml(tmp_path: Path) -> None:
    err = error_for(tmp_path, "name = \n")
    assert err.message.startswith(f"{tmp_path / 'team.toml'}: not valid TOML: ")
    assert "line 1" in err.message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_profile(str(tmp_path / "nope.toml"))
    assert caught.value.message == f"profile file {tmp_path / 'nope.toml'} does not exist"


def test_unknown_name_suggests() -> None:
    with pytest.raises(ConfigError) as caught:
        load_profile("ai-trainig")
    assert caught.value.message.startswith(
        "no profile named 'ai-trainig' (did you mean `ai-training`?)"
    )
    assert "known profiles: ai-training, default, python-service" in (caught.value.fix or "")


def test_bad_extends(tmp_path: Path) -> None:
    err = error_for(tmp_path, 'extends = "no-such-profile"')
    assert err.message.startswith(
        f"{tmp_path / 'team.toml'}: `extends`: expected the name of another profile, "
        "found 'no-such-profile', which does not exist"
    )


def test_extends_cycle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOOTSTRAP_PROFILE_PATH", str(tmp_path))
    write(tmp_path, "a", 'extends = "b"')
    write(tmp_path, "b", 'extends = "c"')
    write(tmp_path, "c", 'extends = "a"')
    with pytest.raises(ConfigError) as caught:
        load_profile("a")
    a, b, c = (tmp_path / f"{n}.toml" for n in "abc")
    assert caught.value.message == f"{c}: `extends` makes a cycle: {a} -> {b} -> {c} -> {a}"


def test_error_in_a_parent_names_the_parent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BOOTSTRAP_PROFILE_PATH", str(tmp_path))
    write(tmp_path, "base", '[needs]\ngpu = "maybe"')
    err = error_for(tmp_path, 'extends = "base"', name="child")
    assert err.message.startswith(f"{tmp_path / 'base.toml'}: `needs.gpu`")


def test_extends_merges_tables_and_replaces_arrays(tmp_path: Path) -> None:
    sub = tmp_path / "team"
    sub.mkdir()
    (tmp_path / "proj").mkdir()
    write(
        tmp_path,
        "base",
        """
kind = "ai"
[project]
path = "proj"
python = ">=3.11"
[needs]
gpu = "optional"
min_memory_gb = 16
accelerators = ["cpu", "cu126"]
[strategies.remote]
hosts = ["a@one", "b@two"]
[first_run]
command = "python -m app --check"
""",
    )
    child = write(
        sub,
        "child",
        """
extends = "../base.toml"
name = "child"
[needs]
min_memory_gb = 8
accelerators = ["cpu"]
[strategies.remote]
hosts = ["c@three"]
""",
    )
    p = load_profile(str(child))
    assert p.name == "child"
    assert p.kind == "ai"
    assert p.budget_seconds == 2700
    # project.path stays relative to the file that set it (the parent).
    assert p.project.path == str((tmp_path / "proj").resolve())
    assert p.project.python == ">=3.11"
    assert (p.needs.gpu, p.needs.min_memory_gb, p.needs.accelerators) == ("optional", 8, ("cpu",))
    assert p.strategies.remote.hosts == ("c@three",)
    assert p.first_run.command == ("python", "-m", "app", "--check")
    assert p.extends == (str(tmp_path / "base.toml"),)


def test_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    p = load_profile(str(write(tmp_path, "bare", "")))
    assert p.name == "bare"
    assert p.project.path == str(tmp_path)  # the current directory
    assert p.budget_seconds == 900
    assert p.locks[0].kind == "uv" and p.locks[0].path == "uv.lock"
    assert p.locks[0].exists is False
    assert [v.accel for v in p.locks[0].variants] == ["cpu"]
    assert p.strategies.allowed == ("native", "wsl2", "devcontainer", "remote")
    assert (p.sync.network, p.project.python_downloads, p.needs.gpu) == ("offline", "never", "none")
    assert p.metrics.enabled is True


def test_pylock_files_are_listed(tmp_path: Path) -> None:
    for target in ("linux-x86_64-cpu", "linux-x86_64-cu126", "macos-arm64-cpu"):
        (tmp_path / f"pylock.{target}.toml").write_text('lock-version = "1.0"\n')
    (tmp_path / "win.toml").write_text('lock-version = "1.0"\n')
    p = load_profile(
        str(
            write(
                tmp_path,
                "p",
                '[project]\npath = "."\n[[locks]]\nkind = "pylock"\n'
                '[locks.files]\n"windows-x86_64-cpu" = "win.toml"\n',
            )
        )
    )
    lock = p.locks[0]
    assert lock.available == (
        "linux-x86_64-cpu",
        "linux-x86_64-cu126",
        "macos-arm64-cpu",
        "windows-x86_64-cpu",
    )
    assert sorted(v.accel for v in lock.variants) == ["cpu", "cu126"]
    assert lock.file_for("windows-x86_64-cpu") == "win.toml"
    assert lock.file_for("linux-x86_64-cu126") == "pylock.linux-x86_64-cu126.toml"


def test_search_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = Path(__import__("os").environ["BOOTSTRAP_HOME"])
    user = home / "config" / "profiles"
    user.mkdir(parents=True)
    extra = tmp_path / "extra"
    extra.mkdir()
    (user / "default.toml").write_text('extends = "default"\ndescription = "user copy"\n')
    assert load_profile("default").description == "user copy"
    # The user's default extends the shipped one of the same name.
    assert load_profile("default").first_run.command == ("python", "-m", "bootstrap", "--version")
    (extra / "default.toml").write_text('description = "from the path"\n')
    monkeypatch.setenv("BOOTSTRAP_PROFILE_PATH", str(extra))
    assert load_profile("default").description == "from the path"
    assert search_dirs() == [extra, user, REPO_PROFILES]
    assert dict(list_profiles())["default"] == (extra / "default.toml").resolve()


# -- the CLI -------------------------------------------------------------------------------


def test_cli_validate_bad_profile_exits_2(tmp_path: Path) -> None:
    bad = write(tmp_path, "bad", '[needs]\ngpu = "yes"\n')
    good = write(tmp_path, "good", "")
    r = bootstrap("profiles", "validate", str(good), str(bad))
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert f"error: {bad}: `needs.gpu`: expected one of" in r.stderr
    assert "ok  good" in r.stdout
    assert "1 of 2 profile(s) invalid" in r.stdout
    r = bootstrap("plan", "--profile", str(bad))
    assert r.returncode == 2
    assert r.stderr.startswith(f"error: {bad}: `needs.gpu`")


def test_cli_validate_all_shipped() -> None:
    r = bootstrap("profiles", "validate")
    assert r.returncode == 0, r.stderr
    for name in ("default", "python-service", "ai-training"):
        assert f"ok  {name}" in r.stdout


def test_cli_list_and_show() -> None:
    r = bootstrap("profiles", "list", "--json")
    assert r.returncode == 0, r.stderr
    names = [p["name"] for p in json.loads(r.stdout)["profiles"]]
    assert names == ["ai-training", "default", "python-service"]
    r = bootstrap("profiles", "show", "ai-training", "--json")
    data = json.loads(r.stdout)
    assert data["kind"] == "ai" and data["budget_seconds"] == 2700
    assert [v["accel"] for v in data["locks"][0]["variants"]] == ["cpu", "cu124", "cu126", "cu130"]
    r = bootstrap("profiles", "show", "ai-training")
    assert 'locks[0].variants[1].extras = ["cu124"]' in r.stdout
