"""The plan says which Python it will use and where it comes from: a system one (the
golden plans, unchanged), or the pinned CPython the cache bundle carries (installed by
uv offline, after the import, every sync on it), also for a handoff's preflight."""

from __future__ import annotations

from support.plans import host, profile, reason

from bootstrap.plan import specs
from bootstrap.plan.planner import Overrides, make_plan

SHA = "c" * 64
LINUX = ("x86_64-unknown-linux-gnu", "3.11.2", "cpython-3.11.2-x86_64.tar.gz", SHA)
MAC = ("aarch64-apple-darwin", "3.12.16", "cpython-3.12.16-aarch64-apple-darwin.tar.gz", SHA)


def test_a_bundle_with_the_pinned_interpreter_installs_it_after_the_import() -> None:
    ov = Overrides(cache_bundle="env.tar", bundle_pythons=(MAC, LINUX))
    plan = make_plan(host("linux-no-gpu"), profile("python-service"), ov)
    names = [s.name for s in plan.steps]
    assert names.index("import-cache") < names.index("python") < names.index("sync")
    py = plan.step(specs.ProvidePython)
    assert py is not None and py.source == "bundle" and py.pinned == LINUX
    assert "install the pinned CPython 3.11.2 from the cache bundle" in py.describe()
    assert py.to_dict()["source"] == "bundle"
    why = reason(plan, "python")
    assert why.choice == "CPython 3.11.2 from the cache bundle"
    assert why.evidence == {"source": "bundle", "archive": LINUX[2], "sha256": SHA}


def test_without_a_bundle_or_a_pinned_interpreter_for_the_platform_the_python_is_the_systems() -> (
    None
):
    for ov in (
        Overrides(bundle_pythons=(LINUX,)),  # no bundle
        Overrides(cache_bundle="env.tar", bundle_pythons=(MAC,)),  # none for linux-x86_64
        Overrides(cache_bundle="env.tar"),
    ):
        plan = make_plan(host("linux-no-gpu"), profile("python-service"), ov)
        py = plan.step(specs.ProvidePython)
        assert py is not None and py.source == "system"
        assert "source" not in py.to_dict()  # the golden plans keep their shape
        assert reason(plan, "python").choice != "CPython 3.11.2 from the cache bundle"


def test_a_handoff_preflight_says_the_bundle_provides_the_python() -> None:
    ov = Overrides(cache_bundle="env.tar", bundle_pythons=(LINUX,), strategy="remote", target=None)
    prof = profile("python-service")
    import dataclasses

    remote = dataclasses.replace(prof.strategies.remote, hosts=("box",))
    prof = dataclasses.replace(prof, strategies=dataclasses.replace(prof.strategies, remote=remote))
    plan = make_plan(host("linux-no-gpu"), prof, ov)
    pre = plan.step(specs.Preflight)
    assert pre is not None and pre.bundle_python == "3.11.2"
    assert "else the bundle's pinned CPython 3.11.2, installed there" in pre.describe()
    plain = make_plan(
        host("linux-no-gpu"), prof, Overrides(cache_bundle="env.tar", strategy="remote")
    )
    pre = plain.step(specs.Preflight)
    assert pre is not None and "bundle_python" not in pre.to_dict()
