"""The planner over a table of hosts and profiles: strategy, target, lock, and why."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from support.plans import host, profile, reason

from bootstrap.errors import UserError
from bootstrap.host import replay
from bootstrap.host.facts import Gpu
from bootstrap.plan import specs
from bootstrap.plan.model import PlanError
from bootstrap.plan.planner import Overrides, make_plan, parse_target
from bootstrap.profiles import Profile, load_profile

CAPTURES = Path(__file__).resolve().parent.parent / "fixtures" / "hosts"

# (host, profile, strategy, target, extras or lock path)
TABLE = [
    # The shipped AI profile: newest CUDA variant the driver supports, else CPU.
    ("linux-nvidia-470", "ai-training", "native", "linux-x86_64-cpu", ("cpu",)),
    ("linux-nvidia-535", "ai-training", "native", "linux-x86_64-cpu", ("cpu",)),
    ("linux-nvidia-550", "ai-training", "native", "linux-x86_64-cu124", ("cu124",)),
    ("linux-nvidia-565-open", "ai-training", "native", "linux-x86_64-cu126", ("cu126",)),
    ("linux-nvidia-580", "ai-training", "native", "linux-x86_64-cu130", ("cu130",)),
    ("linux-no-gpu", "ai-training", "native", "linux-x86_64-cpu", ("cpu",)),
    ("linux-small", "ai-training", "native", "linux-x86_64-cpu", ("cpu",)),
    ("container-on-wsl2", "ai-training", "native", "linux-x86_64-cpu", ("cpu",)),
    ("wsl2-nvidia", "ai-training", "native", "linux-x86_64-cpu", ("cpu",)),
    ("macos-arm64", "ai-training", "native", "macos-arm64-cpu", ("cpu",)),
    ("macos-rosetta", "ai-training", "native", "macos-arm64-cpu", ("cpu",)),
    ("windows-no-wsl", "ai-training", "native", "windows-x86_64-cpu", ("cpu",)),
    ("windows-wsl2", "ai-training", "native", "windows-x86_64-cpu", ("cpu",)),
    ("windows-wsl2-nvidia-580", "ai-training", "native", "windows-x86_64-cu130", ("cu130",)),
    # Only the driver version: the driver table's strict reading of 550.40 is CUDA 12.3.
    ("linux-nvidia-550-no-smi", "ai-training", "native", "linux-x86_64-cpu", ("cpu",)),
    # CUDA built for Linux only: Windows with a GPU goes to WSL2 to use it.
    ("windows-wsl2-nvidia-580", "linux-cuda", "wsl2", "linux-x86_64-cu130", ("cu130",)),
    ("windows-wsl2", "linux-cuda", "native", "windows-x86_64-cpu", ("cpu",)),
    # Linux-only wheels: WSL2 from Windows, a devcontainer (arm64) from macOS.
    ("windows-wsl2", "linux-only-cpu", "wsl2", "linux-x86_64-cpu", ()),
    ("macos-arm64-docker", "linux-only-cpu", "devcontainer", "linux-arm64-cpu", ()),
    ("linux-docker", "linux-only-cpu", "native", "linux-x86_64-cpu", ()),
    # GPU required: native where the driver is new enough, else the remote box.
    ("linux-nvidia-580", "linux-gpu", "native", "linux-x86_64-cu130", ("cu130",)),
    ("linux-nvidia-565-open", "linux-gpu", "native", "linux-x86_64-cu126", ("cu126",)),
    ("linux-nvidia-470", "linux-gpu", "remote", "linux-x86_64-cu130", ("cu130",)),
    ("container-on-wsl2", "linux-gpu", "remote", "linux-x86_64-cu130", ("cu130",)),
    ("macos-arm64", "linux-gpu", "remote", "linux-x86_64-cu130", ("cu130",)),
    ("windows-no-wsl", "linux-gpu", "remote", "linux-x86_64-cu130", ("cu130",)),
    ("windows-wsl2-nvidia-580", "linux-gpu", "wsl2", "linux-x86_64-cu130", ("cu130",)),
    # Per-target PEP 751 files.
    ("linux-nvidia-550", "pylock", "native", "linux-x86_64-cpu", "pylock.linux-x86_64-cpu.toml"),
    (
        "linux-nvidia-565-open",
        "pylock",
        "native",
        "linux-x86_64-cu126",
        "pylock.linux-x86_64-cu126.toml",
    ),
    ("macos-arm64", "pylock", "native", "macos-arm64-cpu", "pylock.macos-arm64-cpu.toml"),
    ("windows-wsl2", "pylock", "wsl2", "linux-x86_64-cpu", "pylock.linux-x86_64-cpu.toml"),
]


@pytest.mark.parametrize(("host_name", "prof", "strategy", "target", "lock"), TABLE)
def test_plan_table(host_name: str, prof: str, strategy: str, target: str, lock: object) -> None:
    plan = make_plan(host(host_name), profile(prof), Overrides())
    assert (plan.strategy, plan.target) == (strategy, target)
    if isinstance(lock, str):
        assert (plan.lock.kind, plan.lock.path, plan.lock.extras) == ("pylock", lock, ())
    else:
        assert (plan.lock.kind, plan.lock.path, plan.lock.extras) == ("uv", "uv.lock", lock)
    assert plan.ok
    # Every plan explains each of its decisions.
    decisions = {r.decision for r in plan.reasons}
    assert {"strategy", "accelerator", "target", "lock", "python", "network"} <= decisions


FAILS = [
    ("macos-arm64", "linux-only-cpu", ["native", "remote", "devcontainer", "wsl2"]),
    ("macos-rosetta", "linux-gpu", ["native", "remote", "devcontainer", "wsl2"]),
    ("linux-small", "strict-resources", ["native", "devcontainer", "remote", "wsl2"]),
]


@pytest.mark.parametrize(("host_name", "prof", "order"), FAILS)
def test_no_strategy_lists_every_check(host_name: str, prof: str, order: list[str]) -> None:
    with pytest.raises(PlanError) as caught:
        make_plan(host(host_name), profile(prof), Overrides())
    failed = caught.value.plan
    assert not failed.ok
    assert failed.strategy == "none"
    assert [r.decision for r in failed.reasons] == [f"check:{s}" for s in order]
    assert all(r.choice == "no" and r.why for r in failed.reasons)
    # Each check names its evidence or its fix, and the error repeats every check.
    for r in failed.reasons:
        assert r.fix or r.evidence, r
        assert f"{r.decision[6:]}: {r.why}" in caught.value.message
    assert caught.value.fix
    assert caught.value.exit_code == 1


@pytest.mark.parametrize("prof", ["linux-only-cpu", "pylock"])
def test_windows_without_a_distro_plans_wsl2_with_the_action_first(prof: str) -> None:
    """Nothing fits until the user installs a distro: the plan is wsl2, and its first
    step stops with the command to run (`up` exits EXIT_ACTION_REQUIRED there)."""
    plan = make_plan(host("windows-no-wsl"), profile(prof))
    assert plan.strategy == "wsl2"
    strategy = reason(plan, "strategy")
    assert strategy.why == "WSL has no Linux distro installed"
    assert "wsl --install -d Ubuntu" in (strategy.fix or "")
    assert "windows-x86_64" in str(strategy.rejected)  # why native does not fit
    action = plan.steps[0]
    assert isinstance(action, specs.UserAction)
    assert (action.code, action.fix) == (
        "wsl2.no_distro",
        "`wsl --install -d Ubuntu --no-launch`, then re-run",
    )
    assert (action.admin, action.reboot) == (False, False)
    assert [s.name for s in plan.steps[1:3]] == ["preflight", "transfer"]


def test_a_blocked_wsl2_does_not_win_over_a_strategy_that_fits() -> None:
    prof = profile("linux-only-cpu")
    remote = replace(prof.strategies.remote, hosts=("me@box",))
    prof = replace(prof, strategies=replace(prof.strategies, remote=remote))
    plan = make_plan(host("windows-no-wsl"), prof)
    assert plan.strategy == "remote"
    assert not any(isinstance(s, specs.UserAction) for s in plan.steps)


def test_the_wsl2_directory_is_the_distros_own_unless_the_profile_insists() -> None:
    prof = profile("linux-only-cpu")
    plan = make_plan(host("windows-wsl2"), prof)
    pre = plan.step(specs.Preflight)
    assert pre is not None and pre.directory == "~/src/python-service"
    assert plan.warnings == ()
    wsl2 = replace(prof.strategies.wsl2, directory="C:\\Users\\a\\proj")
    prof = replace(prof, strategies=replace(prof.strategies, wsl2=wsl2))
    plan = make_plan(host("windows-wsl2"), prof)
    pre = plan.step(specs.Preflight)
    assert pre is not None and pre.directory == "/mnt/c/Users/a/proj"
    (warning,) = plan.warnings
    assert "several times slower" in warning


def test_rejected_cuda_variants_say_why() -> None:
    plan = make_plan(host("linux-nvidia-550"), profile("ai-training"))
    acc = reason(plan, "accelerator")
    assert acc.choice == "cu124"
    assert acc.rejected == (
        {
            "candidate": "cu130",
            "why": "cu130 needs a driver supporting CUDA 13.0; driver 550.40.07 supports <= 12.4",
        },
        {
            "candidate": "cu126",
            "why": "cu126 needs a driver supporting CUDA 12.6; driver 550.40.07 supports <= 12.4",
        },
    )
    assert "chose cu124 over cu130, cu126" in acc.why
    assert acc.evidence["driver"] == "550.40.07"
    assert acc.evidence["cuda_source"] == "driver report"


def test_driver_table_when_no_cuda_version_reported() -> None:
    plan = make_plan(host("linux-nvidia-550-no-smi"), profile("ai-training"))
    acc = reason(plan, "accelerator")
    assert acc.evidence["cuda_source"] == "driver table"
    assert acc.evidence["max_cuda"] == "12.3"
    assert acc.choice == "cpu"
    assert any("supports <= 12.3" in r["why"] for r in acc.rejected)


def test_cuda_err_is_kept_and_the_plan_warns_with_the_fix() -> None:
    # microsoft/WSL#11589: WSL2's nvidia-smi prints "CUDA Version: ERR!".
    facts = host("wsl2-nvidia-cuda-err")
    assert facts.nvidia is not None and facts.nvidia.cuda_error == "ERR!"
    assert facts.nvidia.cuda_version is None  # not filled in as if CUDA worked
    plan = make_plan(facts, profile("ai-training"))
    acc = reason(plan, "accelerator")
    assert acc.evidence["cuda_error"] == "ERR!"
    assert acc.evidence["cuda_source"] == "driver table; nvidia-smi printed CUDA Version: ERR!"
    (warning,) = plan.warnings
    assert warning.startswith("nvidia-smi printed `CUDA Version: ERR!` (driver 546.80)")
    assert "judged by the driver version alone" in warning
    assert "`wsl --update`" in warning  # the WSL2 fix


def test_cuda_na_with_a_driver_new_enough_chooses_by_driver_with_the_warning() -> None:
    # The N/A paste (pytorch/pytorch#25117), on a driver the table gives CUDA 12.6.
    base = host("linux-nvidia-410-cuda-na")
    assert base.nvidia is not None and base.nvidia.cuda_error == "N/A"
    gpu = replace(base.nvidia, driver_version="560.35.03")
    plan = make_plan(replace(base, gpus=(gpu,)), profile("ai-training"))
    assert plan.target == "linux-x86_64-cu126"
    (warning,) = plan.warnings
    assert "CUDA Version: N/A" in warning
    assert "cu126 may not run until it works" in warning
    assert "reinstall the NVIDIA driver" in warning


def test_old_nvidia_smi_without_cuda_column_reads_the_driver() -> None:
    facts = host("linux-nvidia-384-old-smi")
    assert [g.driver_version for g in facts.gpus] == ["384.90", "384.90"]
    # Replayed through the probe: it succeeds (it used to fail with the table's first
    # line, a timestamp, as its error text).
    assert replay(CAPTURES / "linux-nvidia-384-old-smi").probes["nvidia"].status == "ok"
    acc = reason(make_plan(facts, profile("ai-training")), "accelerator")
    assert acc.choice == "cpu"
    assert "driver 384.90 supports no CUDA version" in acc.rejected[0]["why"]


@pytest.mark.parametrize(
    ("name", "label"),
    [("linux-jetson-r35", "NVIDIA Jetson (L4T 35.3.1)"), ("linux-jetson-r36-smi", "NVIDIA Jetson")],
)
def test_jetson_is_recognised_and_gets_no_discrete_gpu_cuda(name: str, label: str) -> None:
    facts = host(name)
    nv = facts.nvidia
    assert nv is not None and nv.l4t_release is not None
    assert nv.driver_version is None  # "35.3.1" is an L4T release, not a driver
    plan = make_plan(facts, profile("ai-training"))
    assert plan.target == "linux-arm64-cpu"
    (warning,) = plan.warnings
    assert warning.startswith(f"{label}: planned without CUDA")
    acc = reason(plan, "accelerator")
    assert all(label in r["why"] for r in acc.rejected)


def test_macos_never_gets_cuda() -> None:
    plan = make_plan(host("macos-arm64"), profile("ai-training"))
    acc = reason(plan, "accelerator")
    assert acc.choice == "cpu"
    assert {r["candidate"] for r in acc.rejected} == {"cu124", "cu126", "cu130"}


def test_container_is_checked_before_wsl() -> None:
    facts = host("container-on-wsl2")
    assert "microsoft" in facts.kernel.lower() or facts.container == "docker"
    plan = make_plan(facts, profile("python-service"))
    strat = reason(plan, "strategy")
    assert plan.strategy == "native"
    assert "container" in strat.why and "never nest" in strat.why


def test_wsl2_inside_is_native_linux() -> None:
    plan = make_plan(host("wsl2-nvidia"), profile("python-service"))
    assert plan.strategy == "native"
    assert reason(plan, "strategy").why == "inside WSL2: this is real Linux, run here"


def test_wsl2_from_windows_names_the_distro_and_the_gpu_reason() -> None:
    plan = make_plan(host("windows-wsl2-nvidia-580"), profile("linux-cuda"))
    strat = reason(plan, "strategy")
    assert strat.evidence["distro"] == "Ubuntu"
    assert "CUDA through the Windows driver" in strat.why
    assert "natively on Windows only the CPU variant fits" in strat.why
    # A handoff: reach the distro, send the repository, detect there, run stage 0 there.
    assert [s.name for s in plan.steps][:3] == ["preflight", "transfer", "detect-there"]
    preflight = plan.step(specs.Preflight)
    assert preflight is not None and preflight.strategy == "wsl2"
    assert preflight.hosts == ("Ubuntu",)


def test_too_little_ram_and_disk_warn() -> None:
    plan = make_plan(host("linux-small"), profile("ai-training"))
    assert plan.warnings == (
        "memory: 4.0 GB of RAM, the profile needs 8 GB",
        "disk: 3.0 GB free disk, the profile needs 10 GB for the environment and its cache",
    )
    res = [r for r in plan.reasons if r.decision == "resources"]
    assert [r.choice for r in res] == ["memory: too little", "disk: too little"]
    assert all(r.fix for r in res)
    assert res[0].evidence["memory_gb"] == 4.0


def test_too_little_ram_fails_when_profile_says_so() -> None:
    with pytest.raises(PlanError) as caught:
        make_plan(host("linux-small"), profile("strict-resources"))
    native = caught.value.plan.reasons[0]
    assert native.decision == "check:native"
    assert "4.0 GB of RAM, the profile needs 8 GB" in native.why
    assert "3.0 GB free disk, the profile needs 20 GB" in native.why
    assert "uv cache prune" in (native.fix or "")


def test_every_step_is_a_typed_spec_with_its_decisions() -> None:
    plan = make_plan(host("linux-nvidia-550"), profile("ai-training"), Overrides(cache_bundle="b"))
    assert plan.step(specs.ImportCache) == specs.ImportCache(bundle="b")
    sync = plan.step(specs.Sync)
    assert sync is not None and sync.lock.extras == ("cu124",)
    # From the bundle's wheelhouse: the lock's pins with the variant's selection.
    assert sync.argv[-1] == "<uv export --frozen --extra cu124>" and sync.network == "offline"
    python = plan.step(specs.ProvidePython)
    assert python == specs.ProvidePython(request=">=3.9", downloads="manual", may_download=False)
    first = plan.step(specs.FirstRun)
    assert first == specs.FirstRun(argv=("python", "train.py"), timeout=300)


def test_a_remote_plan_is_the_handoff() -> None:
    plan = make_plan(host("linux-nvidia-470"), profile("linux-gpu"))
    assert plan.strategy == "remote"
    assert [s.name for s in plan.steps] == [
        "preflight",
        "transfer",
        "detect-there",
        "ship-bundle",
        "run-there",
        "collect-report",
        "report",
    ]
    preflight = plan.step(specs.Preflight)
    assert preflight is not None
    assert preflight.hosts == ("dev@gpu-box.internal",) and preflight.directory == "~/ai-training"
    assert not preflight.accept_new_host_keys


def test_steps_are_concrete() -> None:
    plan = make_plan(
        host("linux-nvidia-580"), profile("ai-training"), Overrides(cache_bundle="env.tar")
    )
    assert [s.name for s in plan.steps] == [
        "ensure-uv",
        "python",
        "import-cache",
        "sync",
        "first-run",
        "report",
    ]
    steps = {s.name: s.describe() for s in plan.steps}
    assert steps["sync"].startswith(
        "uv venv, then uv pip sync --offline --no-index --require-hashes --find-links "
        "<wheelhouse> <uv export --frozen --extra cu130>, then the project itself"
    )
    assert steps["import-cache"].startswith("check cache bundle env.tar")
    assert steps["first-run"] == "run `python train.py` in the environment (timeout 300s)"
    assert steps["python"] == "find a Python for >=3.9 (UV_PYTHON_DOWNLOADS=manual)"
    assert plan.first_run == ("python", "train.py")
    assert plan.budget_seconds == 2700


def test_no_import_step_without_a_bundle_and_online_sync() -> None:
    plan = make_plan(host("linux-no-gpu"), profile("python-service"), Overrides(online=True))
    assert "import-cache" not in [s.name for s in plan.steps]
    assert plan.steps[2].describe() == "uv sync --frozen --no-build"
    sync = plan.step(specs.Sync)
    assert sync is not None and sync.network == "online"
    assert sync.argv == ("sync", "--frozen", "--no-build")
    assert reason(plan, "network").choice == "online"


def test_pylock_sync_step() -> None:
    plan = make_plan(host("linux-nvidia-565-open"), profile("pylock"))
    sync = next(s for s in plan.steps if s.name == "sync")
    assert sync.describe() == (
        "uv venv, then uv pip sync --offline --preview-features pylock --no-build "
        "pylock.linux-x86_64-cu126.toml"
    )
    assert plan.first_run == ("python", "-c", "print(42)")


# -- overrides --------------------------------------------------------------------------


def test_strategy_override_wins_with_a_warning() -> None:
    plan = make_plan(host("linux-no-gpu"), profile("python-service"), Overrides(strategy="wsl2"))
    assert plan.strategy == "wsl2"
    assert reason(plan, "strategy").why.startswith("--strategy wsl2 (given)")
    assert plan.warnings == (
        "--strategy wsl2 looks wrong here: WSL2 is a Windows strategy; the host is linux",
    )


def test_strategy_override_not_allowed_warns() -> None:
    prof = profile("linux-only-cpu")
    plan = make_plan(host("windows-wsl2"), prof, Overrides(strategy="remote"))
    assert plan.strategy == "remote"
    assert any("no remote host is configured" in w for w in plan.warnings)


def test_strategy_override_that_fits_has_no_warning() -> None:
    plan = make_plan(
        host("macos-arm64-docker"), profile("linux-only-cpu"), Overrides(strategy="devcontainer")
    )
    assert (plan.strategy, plan.target, plan.warnings) == ("devcontainer", "linux-arm64-cpu", ())


def test_target_override_wins_with_a_warning_about_the_driver() -> None:
    plan = make_plan(
        host("linux-nvidia-550"), profile("ai-training"), Overrides(target="linux-x86_64-cu130")
    )
    assert plan.target == "linux-x86_64-cu130"
    assert plan.lock.extras == ("cu130",)
    assert plan.warnings == (
        "--target linux-x86_64-cu130 looks wrong: cu130 needs a driver supporting CUDA 13.0; "
        "driver 550.40.07 supports <= 12.4",
    )


def test_target_override_for_another_platform_warns() -> None:
    plan = make_plan(
        host("linux-no-gpu"), profile("ai-training"), Overrides(target="macos-arm64-cpu")
    )
    assert plan.target == "macos-arm64-cpu"
    assert plan.warnings == (
        "--target macos-arm64-cpu looks wrong: the environment will live on linux-x86_64 (native)",
    )


def test_target_override_the_profile_lacks_is_an_error() -> None:
    with pytest.raises(UserError) as caught:
        make_plan(
            host("linux-no-gpu"), profile("ai-training"), Overrides(target="linux-x86_64-rocm6.2")
        )
    assert "has no lock variant for it" in caught.value.message
    assert "linux-x86_64-cu126" in (caught.value.fix or "")


@pytest.mark.parametrize(
    "bad", ["linux-x86_64", "beos-x86_64-cpu", "linux-sparc-cpu", "linux-x86_64-gpu"]
)
def test_bad_target_key(bad: str) -> None:
    with pytest.raises(UserError, match="is not '<os>-<arch>-<accel>'"):
        parse_target(bad)


def test_lock_override_outside_the_profile_warns() -> None:
    plan = make_plan(
        host("linux-no-gpu"), profile("python-service"), Overrides(lock="locks/other.uv.lock")
    )
    assert plan.lock.path == "locks/other.uv.lock"
    assert plan.lock.kind == "uv"
    assert plan.warnings == (
        "--lock locks/other.uv.lock is not one of profile 'python-service''s locks; "
        "using it as given",
    )


def test_lock_override_for_another_target_warns() -> None:
    plan = make_plan(
        host("linux-no-gpu"), profile("pylock"), Overrides(lock="pylock.macos-arm64-cpu.toml")
    )
    assert plan.lock == type(plan.lock)("pylock.macos-arm64-cpu.toml", "pylock")
    assert plan.warnings == (
        "--lock pylock.macos-arm64-cpu.toml looks wrong: it is for macos-arm64-cpu, "
        "this host is linux-x86_64-cpu",
    )


def test_unknown_strategy_override() -> None:
    with pytest.raises(UserError, match="is not one of native, wsl2, devcontainer, remote"):
        make_plan(host("linux-no-gpu"), profile("default"), Overrides(strategy="cloud"))


def test_planner_is_pure(monkeypatch: pytest.MonkeyPatch) -> None:
    """No files, no processes, no network while planning."""
    import builtins
    import subprocess

    prof = profile("ai-training")
    facts = host("windows-wsl2-nvidia-580")

    def boom(*a: object, **k: object) -> None:
        raise AssertionError("the planner did I/O")

    monkeypatch.setattr(builtins, "open", boom)
    monkeypatch.setattr(subprocess, "Popen", boom)
    monkeypatch.setattr("socket.socket.connect", boom)
    first = make_plan(facts, prof)
    assert make_plan(facts, prof) == first


# -- hosts made by changing one fact ----------------------------------------------------


def _rocm_profile(tmp_path: Path, accelerators: str = "") -> Profile:
    (tmp_path / "uv.lock").write_text("version = 1\n")
    text = (
        '[project]\npath = "."\n[[locks]]\nkind = "uv"\n'
        '[locks.variants.cpu]\n[locks.variants."rocm6.2"]\nextras = ["rocm"]\n'
        '[locks.variants.cu126]\nextras = ["cu126"]\n'
        '[needs]\ngpu = "optional"\n' + accelerators
    )
    (tmp_path / "rocm.toml").write_text(text)
    return load_profile(str(tmp_path / "rocm.toml"))


@pytest.mark.parametrize(
    ("rocm", "accel", "why"),
    [
        ("6.2", "rocm6.2", None),
        ("6.4", "rocm6.2", None),
        ("6.0", "cpu", "rocm6.2 needs ROCm 6.2; this host has ROCm 6.0"),
    ],
)
def test_rocm(tmp_path: Path, rocm: str, accel: str, why: str | None) -> None:
    facts = replace(host("linux-no-gpu"), gpus=(Gpu("amd", "Radeon RX 7900", rocm_version=rocm),))
    plan = make_plan(facts, _rocm_profile(tmp_path))
    assert plan.target == f"linux-x86_64-{accel}"
    acc = reason(plan, "accelerator")
    assert acc.evidence["rocm"] == rocm
    rejected = {r["candidate"]: r["why"] for r in acc.rejected}
    assert rejected["cu126"].startswith("cu126 needs an NVIDIA GPU")
    if why:
        assert rejected["rocm6.2"] == why


def test_needs_accelerators_limits_the_variants(tmp_path: Path) -> None:
    prof = _rocm_profile(tmp_path, 'accelerators = ["cpu"]\n')
    plan = make_plan(host("linux-nvidia-580"), prof)
    assert plan.target == "linux-x86_64-cpu"
    assert {"candidate": "cu126", "why": "cu126 is not in needs.accelerators ['cpu']"} in reason(
        plan, "accelerator"
    ).rejected


def test_wsl1_has_no_gpu_and_says_how_to_convert() -> None:
    facts = replace(host("wsl2-nvidia"), wsl=1)
    with pytest.raises(PlanError) as caught:
        # linux-gpu without its remote box: nothing can give it a GPU.
        no_remote = replace(profile("linux-gpu"), strategies=profile("python-service").strategies)
        make_plan(facts, no_remote)
    native = caught.value.plan.reasons[0]
    assert "WSL1 has no GPU access" in native.why
    assert "wsl --set-version <distro> 2" in (native.fix or "")
    # Without a GPU need, WSL1 runs the CPU variant natively.
    assert make_plan(facts, profile("ai-training")).target == "linux-x86_64-cpu"


def test_musl_warns() -> None:
    facts = replay(CAPTURES / "linux-alpine-musl")
    assert facts.libc is not None and facts.libc.family == "musl"
    plan = make_plan(facts, profile("python-service"))
    assert plan.strategy == "native"
    assert plan.warnings[0].startswith("musl libc: manylinux (glibc) wheels do not install here")
    assert not make_plan(host("linux-no-gpu"), profile("python-service")).warnings
