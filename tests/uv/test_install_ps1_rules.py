"""Static rules for install.ps1, read from its tree-sitter parse.

No PowerShell can be installed on this machine (none is packaged for it in the registries
it reaches), so install.ps1 never runs in this suite. What Windows PowerShell 5.1 would
trip on is checked in the parse instead, each rule with a snippet that breaks it:

* only 5.1 syntax: no ``&&``/``||`` pipeline chains, ``??``, ``?.`` or ``a ? b : c`` (7.x);
* no ``2>`` on a native command while ``$ErrorActionPreference`` is Stop (5.1 turns the
  first redirected stderr line into a terminating error);
* no ``[IO.*]::`` call on a path that came from the arguments or the environment without
  ``Resolve-UserPath`` (.NET resolves a relative path against the process's start
  directory, not the user's current location);
* ``exit`` in one place, at the top level, guarded by the file-or-scriptblock check
  (``exit`` in a scriptblock closes the user's window);
* ASCII only (5.1 reads a script without a BOM in the ANSI code page);
* the documented one-liner turns TLS 1.2 on (``SecurityProtocol``) before ``irm``, and the
  execution-policy form comes first.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
PS1 = REPO / "install.ps1"
DOCS = REPO / "docs" / "install.md"


def parse(source: str) -> Any:
    ts = pytest.importorskip("tree_sitter")
    tsp = pytest.importorskip("tree_sitter_powershell")
    return ts.Parser(ts.Language(tsp.language())).parse(source.encode()).root_node


def walk(node: Any) -> Iterator[Any]:
    yield node
    for child in node.children:
        yield from walk(child)


def text(node: Any) -> str:
    return str(node.text.decode())


def line(node: Any) -> int:
    return int(node.start_point[0]) + 1


def var_name(node: Any) -> str:
    name = text(node).lstrip("$").lower()
    return name.split(":", 1)[1] if ":" in name else name


def command_name(cmd: Any) -> str:
    for child in cmd.children:
        if child.type == "command_name":
            return text(child).lower()
        if child.type == "command_name_expr":
            return "&" + text(child)
    return ""


def command_args(cmd: Any) -> list[Any]:
    for child in cmd.children:
        if child.type == "command_elements":
            return [c for c in child.children if c.type != "command_argument_sep"]
    return []


def functions(root: Any) -> dict[str, Any]:
    out = {}
    for node in walk(root):
        if node.type == "function_statement":
            name = next(c for c in node.children if c.type == "function_name")
            out[text(name).lower()] = node
    return out


def ancestors(node: Any) -> Iterator[Any]:
    node = node.parent
    while node is not None:
        yield node
        node = node.parent


# ----- rule 1: Windows PowerShell 5.1 syntax only -------------------------------------


def ps7_syntax(source: str) -> list[str]:
    found = []
    for node in walk(parse(source)):
        if node.type == "pipeline_chain_tail":
            found.append(f"line {line(node)}: pipeline chain {text(node)!r} (PowerShell 7)")
        elif node.type == "ERROR" and "?" in text(node):
            found.append(f"line {line(node)}: {text(node)!r}: ?? ?. or a ternary (PowerShell 7)")
    return found


# ----- rule 2: no stderr redirection on a native command under Stop --------------------

CMDLET = re.compile(r"^[a-z]+-[a-z0-9]+$")  # Verb-Noun: PowerShell's own, not native


def native_stderr_under_stop(source: str) -> list[str]:
    root = parse(source)
    defined = set(functions(root))
    found = []
    for cmd in walk(root):
        if cmd.type != "command":
            continue
        name = command_name(cmd)
        native = name.startswith("&") or (
            name not in defined and not CMDLET.match(name) and name not in {"env", "say", "fail"}
        )
        if not native:
            continue
        redirects = [
            a
            for a in command_args(cmd)
            if a.type == "redirection" or re.match(r"^(2|\*)>", text(a))
        ]
        redirects = [r for r in redirects if text(r).startswith(("2>", "*>"))]
        if not redirects:
            continue
        func = next((a for a in ancestors(cmd) if a.type == "function_statement"), None)
        relaxed = func is not None and any(
            re.search(
                r"\$ErrorActionPreference\s*=\s*'(Continue|SilentlyContinue)'",
                text(a),
            )
            and a.start_byte < cmd.start_byte
            for a in walk(func)
            if a.type == "assignment_expression"
        )
        if not relaxed:
            found.append(f"line {line(cmd)}: {text(cmd)!r} redirects stderr under Stop")
    return found


# ----- rule 3: user paths reach .NET file APIs only through the provider ---------------

SOURCES = {"args", "all", "argv"}  # the script's arguments, as they are passed around
SANITIZER = "resolve-userpath"


def _tainted(node: Any, bad: set[str], funcs: frozenset[str] = frozenset()) -> bool:
    """Does ``node``'s value carry a path from the user? The environment (``Env``) and
    the arguments do; ``Resolve-UserPath`` clears it; ``Join-Path`` carries only its
    parent's; a call of one of the script's own functions is checked inside that function
    (its parameters are tainted by the call), so its result is clean."""
    if node.type == "command":
        name = command_name(node)
        if name == SANITIZER or name in funcs:
            return False
        if name == "env":
            return True
        if name == "join-path":  # a relative child of a full parent is a full path
            args = command_args(node)
            return bool(args) and _tainted(args[0], bad, funcs)
    if node.type == "variable" and var_name(node) in bad:
        return True
    return any(_tainted(c, bad, funcs) for c in node.children)


def io_paths_from_user(source: str) -> list[str]:
    root = parse(source)
    funcs = functions(root)
    params = {
        name: [
            var_name(v)
            for v in walk(node)
            if v.type == "variable" and v.parent.type == "script_parameter"
        ]
        for name, node in funcs.items()
    }
    own = frozenset(funcs)
    bad = set(SOURCES)
    while True:  # to a fixed point: assignments, then arguments into parameters
        before = len(bad)
        for node in walk(root):
            if node.type == "assignment_expression":
                left, right = node.children[0], node.children[-1]
                target = [v for v in walk(left) if v.type == "variable"]
                if target and _tainted(right, bad, own):
                    bad.add(var_name(target[0]))
            elif node.type == "command" and command_name(node) in params:
                if command_name(node) == SANITIZER:
                    continue
                names = params[command_name(node)]
                for param, arg in zip(names, command_args(node), strict=False):
                    if _tainted(arg, bad, own):
                        bad.add(param)
        if len(bad) == before:
            break
    found = []
    for node in walk(root):
        kids = node.children
        types = [c.type for c in kids]
        if "type_literal" not in types or "::" not in types or "argument_list" not in types:
            continue
        type_name = text(kids[types.index("type_literal")]).strip("[]").lower()
        if not re.match(r"^(system\.)?io\.", type_name):
            continue
        arglist = kids[types.index("argument_list")]
        if _tainted(arglist, bad, own):
            found.append(f"line {line(node)}: {text(node)[:70]!r} opens a user path unresolved")
    return found


# ----- rule 4: exit in one guarded place ---------------------------------------------------


def exits(source: str) -> list[str]:
    root = parse(source)
    found = []
    statements = [
        n
        for n in walk(root)
        if n.type == "flow_control_statement" and text(n).split()[0].lower() == "exit"
    ]
    for node in statements:
        if any(a.type == "function_statement" for a in ancestors(node)):
            found.append(f"line {line(node)}: exit inside a function")
            continue
        guard = next((a for a in ancestors(node) if a.type == "if_statement"), None)
        if guard is None or "$RunFromFile" not in text(guard).split("{", 1)[0]:
            found.append(f"line {line(node)}: exit not guarded by the file/scriptblock check")
    if len(statements) != 1:
        found.append(f"{len(statements)} exit statements, not one")
    return found


# ----- rule 5: ASCII ---------------------------------------------------------------------


def non_ascii(data: bytes) -> list[str]:
    return [
        f"line {n}: {raw!r}"
        for n, raw in enumerate(data.split(b"\n"), 1)
        if any(b > 0x7E or (b < 0x20 and b not in (9, 13)) for b in raw)
    ]


# ----- rule 6: the documented one-liner ------------------------------------------------------


def powershell_lines(markdown: str) -> list[str]:
    """The lines of the ```powershell blocks."""
    blocks = re.findall(r"^```powershell\n(.*?)^```", markdown, re.M | re.S)
    return [ln.strip() for block in blocks for ln in block.splitlines() if ln.strip()]


def one_liners(markdown: str) -> list[str]:
    return [ln for ln in powershell_lines(markdown) if re.search(r"\birm\b", ln)]


def one_liner_problems(markdown: str) -> list[str]:
    found = []
    lines = one_liners(markdown)
    if not lines:
        found.append("no `irm` one-liner documented")
    for ln in lines:
        before = ln.split("irm", 1)[0]
        if "[Net.ServicePointManager]::SecurityProtocol" not in before:
            found.append(f"{ln!r}: downloads before turning on TLS 1.2 (SecurityProtocol)")
        if [e for e in walk(parse(ln)) if e.type == "ERROR" or e.is_missing]:
            found.append(f"{ln!r}: not valid PowerShell")
    first = next((ln for ln in powershell_lines(markdown) if "install.ps1" in ln), "")
    if not first.startswith("powershell -ExecutionPolicy Bypass -File install.ps1"):
        found.append(f"the first install.ps1 command is not the execution-policy form: {first!r}")
    return found


# ----- install.ps1 keeps every rule ----------------------------------------------------------


def test_install_ps1_uses_only_51_syntax() -> None:
    assert ps7_syntax(PS1.read_text()) == []


def test_install_ps1_never_redirects_a_native_commands_stderr_under_stop() -> None:
    assert native_stderr_under_stop(PS1.read_text()) == []


def test_install_ps1_resolves_user_paths_before_dotnet_opens_them() -> None:
    assert io_paths_from_user(PS1.read_text()) == []


def test_install_ps1_exits_in_one_guarded_place() -> None:
    assert exits(PS1.read_text()) == []


def test_install_ps1_is_ascii() -> None:
    assert non_ascii(PS1.read_bytes()) == []


def test_the_docs_one_liner_turns_on_tls12_first() -> None:
    assert one_liner_problems(DOCS.read_text()) == []


# ----- each rule catches what it is for --------------------------------------------------------


@pytest.mark.parametrize(
    "snippet",
    [
        "uv --version && Write-Output ok",
        "uv --version || Write-Output failed",
        "$x = $env:A ?? 'b'",
        "$n = $proc?.Id",
        "$y = $ok ? 1 : 2",
    ],
)
def test_ps7_syntax_is_caught(snippet: str) -> None:
    assert ps7_syntax(snippet) != []


@pytest.mark.parametrize(
    "snippet",
    [
        "& $Uv venv --python 3.12 $Env 2>$null",
        "& (Join-Path $stage 'uv.exe') --version 2>&1",
        "tar -tf $Bundle 2>$null",
        "function F { & $Uv venv 2>$null; $ErrorActionPreference = 'Continue' }",  # too late
    ],
)
def test_native_stderr_redirection_under_stop_is_caught(snippet: str) -> None:
    assert native_stderr_under_stop(snippet) != []


def test_native_stderr_redirection_is_allowed_where_the_function_relaxes_stop() -> None:
    ok = "function F { $ErrorActionPreference = 'Continue'; & $Uv venv 2>$null }"
    assert native_stderr_under_stop(ok) == []
    assert native_stderr_under_stop("Get-Item x 2>$null") == []  # a cmdlet, not native


@pytest.mark.parametrize(
    "snippet",
    [
        "$Bundle = [string]$all[$i]\n$fs = [IO.File]::OpenRead($Bundle)",
        "$file = Env 'BOOTSTRAP_UV_PIN_FILE'\n$t = [IO.File]::ReadAllText($file)",
        "function R([string]$P) { [System.IO.File]::ReadAllLines($P) }\nR (Env 'X')",
        "$home_ = Env 'BOOTSTRAP_HOME'\n$d = Join-Path $home_ 'data'\n[IO.File]::Create($d)",
    ],
)
def test_an_unresolved_user_path_into_dotnet_is_caught(snippet: str) -> None:
    assert io_paths_from_user(snippet) != []


def test_a_resolved_or_derived_path_passes() -> None:
    ok = (
        "$Bundle = Resolve-UserPath $all[$i]\n$fs = [IO.File]::OpenRead($Bundle)\n"
        "$n = Env 'NAME'\n$f = Join-Path $Data $n\n[IO.File]::Create($f)"
    )
    assert io_paths_from_user(ok) == []


@pytest.mark.parametrize(
    "snippet",
    [
        "function Fail { exit 1 }\nif ($RunFromFile) { exit $code }",
        "exit $code",
        "if ($ok) { exit 0 }",
        "if ($RunFromFile) { exit $a }\nif ($RunFromFile) { exit $b }",
    ],
)
def test_a_stray_exit_is_caught(snippet: str) -> None:
    assert exits(snippet) != []


def test_non_ascii_is_caught() -> None:
    assert non_ascii("Say 'done \u2013 ok'\n".encode()) != []
    assert non_ascii(b"\xef\xbb\xbfSay 'bom'\r\n") != []
    assert non_ascii(b"Say 'ok'\r\n\tSay 'tab'\n") == []


@pytest.mark.parametrize(
    "doc",
    [
        "```powershell\npowershell -ExecutionPolicy Bypass -File install.ps1\n"
        "& ([scriptblock]::Create((irm https://h/install.ps1))) --no-run\n```\n",
        "```powershell\n.\\install.ps1 --no-run\n"
        "[Net.ServicePointManager]::SecurityProtocol = [Net.ServicePointManager]::SecurityProtocol"
        " -bor 3072; & ([scriptblock]::Create((irm https://h/install.ps1)))\n```\n",
    ],
    ids=["irm-before-tls", "execution-policy-form-not-first"],
)
def test_a_bad_one_liner_is_caught(doc: str) -> None:
    assert one_liner_problems(doc) != []
