"""TLS like the rest of the machine.

A package index served over HTTPS on 127.0.0.1 by a certificate of a throw-away CA that
is only in a *system* trust store: a private mount namespace (``unshare -m``) binds a
copy of the system's CA bundle plus that CA over /etc/ssl/certs/ca-certificates.crt, and
SSL_CERT_FILE / SSL_CERT_DIR are unset. There curl succeeds (it reads the system store),
uv alone fails (its built-in roots do not know the CA), and uv succeeds once the
bootstrapper told it to use the system store.

Why not only SSL_CERT_FILE pointing at the CA: uv 0.13 reads SSL_CERT_FILE itself, with
or without --system-certs, so such a test would pass without the feature it checks.

The index serves one wheel made here (a real zip that uv installs), so no test needs
PyPI; a fresh uv cache makes uv download it.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import os
import shutil
import ssl
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from test_up_local import home

__all__ = ["home"]  # the fixture, used by name

SYSTEM_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
REPO = Path(__file__).resolve().parents[2]


@functools.lru_cache(maxsize=1)
def _mount_ns() -> bool:
    if not shutil.which("unshare") or not SYSTEM_BUNDLE.is_file():
        return False
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", f"mount --bind /dev/null {SYSTEM_BUNDLE}"],
        capture_output=True,
        timeout=10,
        check=False,
    )
    return probe.returncode == 0


pytestmark = pytest.mark.skipif(not _mount_ns(), reason="needs `unshare -m` and mount (root)")


def _openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A CA and a server certificate for 127.0.0.1 signed by it."""
    if not shutil.which("openssl"):
        pytest.skip("openssl is not installed")
    d = tmp_path_factory.mktemp("pki")
    ca, ca_key, key, csr, cert = (
        d / n for n in ("ca.pem", "ca.key", "srv.key", "srv.csr", "srv.pem")
    )
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
             "-subj", "/CN=bootstrap test CA", "-keyout", str(ca_key), "-out", str(ca),
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign")  # fmt: skip
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
             "-keyout", str(key), "-out", str(csr))  # fmt: skip
    ext = d / "ext.cnf"
    ext.write_text(
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
    )
    _openssl("x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key),
             "-CAcreateserial", "-days", "2", "-extfile", str(ext), "-out", str(cert))  # fmt: skip
    store = d / "system-store.crt"  # what the system store holds in the namespace
    store.write_bytes(SYSTEM_BUNDLE.read_bytes() + b"\n" + ca.read_bytes())
    return {"ca": ca, "key": key, "cert": cert, "store": store}


def _wheel(directory: Path) -> Path:
    """A pure-Python wheel with a module and a `bootstrap` console script."""
    name = "tlsprobe-1.0-py3-none-any.whl"
    files = {
        "tlsprobe/__init__.py": (
            "import os, sys\n"
            "def main():\n"
            "    print('tlsprobe ran: UV_SYSTEM_CERTS=' + os.environ.get('UV_SYSTEM_CERTS', ''))\n"
            "    return 0\n"
        ),
        "tlsprobe-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: tlsprobe\nVersion: 1.0\n",
        "tlsprobe-1.0.dist-info/WHEEL": (
            "Wheel-Version: 1.0\nGenerator: hand\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ),
        "tlsprobe-1.0.dist-info/entry_points.txt": (
            "[console_scripts]\nbootstrap = tlsprobe:main\n"
        ),
    }
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=")
        record.append(f"{path},sha256={digest.decode()},{len(text.encode())}")
    record.append("tlsprobe-1.0.dist-info/RECORD,,")
    out = directory / name
    with zipfile.ZipFile(out, "w") as zf:
        for path, text in files.items():
            zf.writestr(path, text)
        zf.writestr("tlsprobe-1.0.dist-info/RECORD", "\n".join(record) + "\n")
    return out


@pytest.fixture(scope="module")
def index(pki: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A PEP 503 simple index over HTTPS on 127.0.0.1; yields its URL."""
    root = tmp_path_factory.mktemp("index")
    (root / "files").mkdir()
    wheel = _wheel(root / "files")
    sha = hashlib.sha256(wheel.read_bytes()).hexdigest()
    page = root / "simple" / "tlsprobe" / "index.html"
    page.parent.mkdir(parents=True)
    page.write_text(f'<a href="../../files/{wheel.name}#sha256={sha}">{wheel.name}</a>\n')

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(root)))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(pki["cert"], pki["key"])
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}/simple"
    finally:
        server.shutdown()
        server.server_close()


def _uv() -> str:
    uv = os.environ.get("UV") or shutil.which("uv")
    if not uv:
        pytest.skip("no uv binary")
    return uv


def _project(root: Path, index: str, ca: Path) -> Path:
    """A project depending on tlsprobe from the index, locked against it (the lock names
    the index's URL and the wheel's hash)."""
    project = root / "tlsproj"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[project]\nname = "tlsproj"\nversion = "0.1.0"\nrequires-python = ">=3.9"\n'
        'dependencies = ["tlsprobe==1.0"]\n\n[tool.uv]\npackage = false\n\n'
        f'[[tool.uv.index]]\nname = "local"\nurl = "{index}"\ndefault = true\n'
    )
    # Locking trusts the CA through SSL_CERT_FILE (uv reads it itself): setup, not the test.
    env = {**os.environ, "SSL_CERT_FILE": str(ca), "UV_CACHE_DIR": str(root / "lock-cache")}
    env.pop("SSL_CERT_DIR", None)
    subprocess.run([_uv(), "lock", "--project", str(project)], env=env, check=True,
                   capture_output=True, timeout=120)  # fmt: skip
    return project


def _in_namespace(argv: list[str], store: Path | None) -> list[str]:
    """``argv`` in a private mount namespace whose system CA bundle is ``store``."""
    mount = f"mount --bind '{store}' {SYSTEM_BUNDLE} && " if store else ""
    return ["unshare", "-m", "sh", "-c", mount + 'exec "$@"', "sh", *argv]


def _env(root: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SSL_CERT", "UV_"))}
    for var in ("CURL_CA_BUNDLE", "REQUESTS_CA_BUNDLE", "VIRTUAL_ENV"):
        env.pop(var, None)
    cache = root / "uv-cache"
    if cache.exists():
        shutil.rmtree(cache)
    env.update(CI="1", UV_CACHE_DIR=str(cache), **extra)
    return env


def _profile(root: Path, project: Path) -> Path:
    profile = root / "tls.toml"
    profile.write_text(
        'name = "tls"\nkind = "python"\n\n[project]\n'
        f'path = "{project}"\npython = ">=3.9"\npython_downloads = "manual"\n\n'
        '[[locks]]\nkind = "uv"\npath = "uv.lock"\n\n[sync]\nnetwork = "allow"\n\n'
        '[first_run]\ncommand = ["bootstrap"]\ntimeout_seconds = 60\n'
    )
    return profile


def test_uv_uses_the_system_store_when_its_own_roots_fail(
    tmp_path: Path, home: Path, pki: dict[str, Path], index: str
) -> None:
    project = _project(tmp_path, index, pki["ca"])
    env = _env(tmp_path)
    # The ground truth in the namespace: curl trusts the index, uv on its own does not.
    curl = subprocess.run(
        _in_namespace(["curl", "-fsS", "-o", "/dev/null", f"{index}/tlsprobe/"], pki["store"]),
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert curl.returncode == 0, curl.stderr
    raw = subprocess.run(
        _in_namespace([_uv(), "sync", "--frozen", "--project", str(project)], pki["store"]),
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert raw.returncode != 0 and "UnknownIssuer" in raw.stderr, raw.stderr

    up = _up(tmp_path, home, _profile(tmp_path, project), pki["store"])
    out = up.stdout + up.stderr
    assert up.returncode == 0, out
    assert out.count("uv now trusts the system's certificate store") == 1  # said once
    assert "tlsprobe ran" in out  # the package came over TLS and was installed


def _up(
    tmp_path: Path, home: Path, profile: Path, store: Path | None
) -> subprocess.CompletedProcess[str]:
    """`bootstrap up --online` in the test's mount namespace, ``store`` its system trust
    store (None: the machine's as it is)."""
    return subprocess.run(
        _in_namespace(
            [sys.executable, "-m", "bootstrap", "up", "--profile", str(profile), "--online"],
            store,
        ),
        env=_env(tmp_path, BOOTSTRAP_HOME=str(home)), capture_output=True, text=True,
        timeout=300, check=False,
    )  # fmt: skip


def test_a_certificate_nobody_trusts_is_a_network_failure_not_bad_input(
    tmp_path: Path, home: Path, pki: dict[str, Path], index: str
) -> None:
    project = _project(tmp_path, index, pki["ca"])
    # The system store as it is: the test CA is in no store at all.
    up = _up(tmp_path, home, _profile(tmp_path, project), None)
    assert up.returncode == 10, up.stdout + up.stderr
    assert "could not verify the index's TLS certificate" in up.stderr
    assert "fix:" in up.stderr and "Traceback" not in up.stderr


def test_profile_setting_turns_it_on_from_the_start(
    tmp_path: Path, home: Path, pki: dict[str, Path], index: str
) -> None:
    project = _project(tmp_path, index, pki["ca"])
    profile = _profile(tmp_path, project)
    profile.write_text(profile.read_text().replace("[sync]\n", "[sync]\nsystem_certs = true\n"))
    up = _up(tmp_path, home, profile, pki["store"])
    out = up.stdout + up.stderr
    assert up.returncode == 0, out
    assert out.count("uv now trusts the system's certificate store") == 1
    assert "the profile sets [sync] system_certs = true" in out


def test_install_sh_finds_it_out_for_the_tool_environment_and_remembers(
    tmp_path: Path, home: Path, pki: dict[str, Path], index: str
) -> None:
    """install.sh's first uv download (the bootstrapper's own environment) fails on the
    certificate; it retries with the system store, hands UV_SYSTEM_CERTS=1 over, and the
    next run starts with it. The "bootstrapper" here is the test project, whose locked
    package provides a `bootstrap` command that prints what it was handed."""
    project = _project(tmp_path, index, pki["ca"])
    env = _env(tmp_path, BOOTSTRAP_HOME=str(home), BOOTSTRAP_REPO=str(project))
    argv = ["sh", str(REPO / "install.sh"), "--profile", "unused"]
    first = subprocess.run(
        _in_namespace(argv, pki["store"]), env=env, capture_output=True, text=True,
        timeout=300, check=False,
    )  # fmt: skip
    assert first.returncode == 0, first.stdout + first.stderr
    assert "the system's store (as curl) accepts it" in first.stderr
    assert "tlsprobe ran: UV_SYSTEM_CERTS=1" in first.stdout
    assert (home / "data" / "tls-system-certs").is_file()
    again = subprocess.run(
        _in_namespace(argv, pki["store"]), env=env, capture_output=True, text=True,
        timeout=300, check=False,
    )  # fmt: skip
    assert again.returncode == 0, again.stdout + again.stderr
    assert "as an earlier run found" in again.stderr
    assert "tlsprobe ran: UV_SYSTEM_CERTS=1" in again.stdout
