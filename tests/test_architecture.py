"""The layer order of docs/architecture.md holds: `lint-imports` (import-linter) checks
the contracts in pyproject.toml, every import counted, those inside functions too."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

# import-linter needs Python >= 3.11 (the dev group installs it there only).
pytest.importorskip("importlinter")


def lint_imports(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    tool = Path(sys.executable).parent / "lint-imports"
    return subprocess.run(
        [str(tool), "--no-cache", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_package_keeps_its_layers_and_has_no_import_circles() -> None:
    res = lint_imports(REPO)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "Contracts: 2 kept, 0 broken." in res.stdout


def test_the_check_sees_an_import_inside_a_function(tmp_path: Path) -> None:
    # The same kind of contracts on a two-layer package whose lower layer reaches up
    # from inside a function, the way the planner once reached the strategies.
    pkg = tmp_path / "toy"
    (pkg / "low").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "high.py").write_text("from toy.low import thing\n")
    (pkg / "low" / "__init__.py").write_text("")
    (pkg / "low" / "thing.py").write_text(
        textwrap.dedent(
            """\
            def later():
                from toy import high

                return high
            """
        )
    )
    config = tmp_path / "pyproject.toml"
    config.write_text(
        textwrap.dedent(
            """\
            [tool.importlinter]
            root_package = "toy"
            exclude_type_checking_imports = true

            [[tool.importlinter.contracts]]
            name = "layers"
            type = "layers"
            layers = ["toy.high", "toy.low"]

            [[tool.importlinter.contracts]]
            name = "acyclic"
            type = "acyclic_siblings"
            ancestors = ["toy"]
            """
        )
    )
    res = lint_imports(tmp_path, str(config))
    assert res.returncode == 1, res.stdout + res.stderr
    assert "toy.low.thing -> toy.high (l.2)" in res.stdout
    assert "Contracts: 0 kept, 2 broken." in res.stdout


def test_no_module_imports_itself_back_through_others() -> None:
    # acyclic_siblings compares the modules of one package; a package's __init__ and its
    # own modules (report.sinks once) are parent and child, so circles through them are
    # looked for here, on the same graph (grimp's, every import counted).
    import grimp

    graph = grimp.build_graph("bootstrap", cache_dir=None, exclude_type_checking_imports=True)
    circles = [
        (module, other)
        for module in sorted(graph.modules)
        for other in sorted(graph.find_modules_directly_imported_by(module))
        if graph.chain_exists(importer=other, imported=module)
    ]
    assert circles == []
