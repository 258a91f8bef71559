"""`detect --capture` keeps no proxy password, whichever way the proxy is spelled: the
value is read the way curl and uv read it (an optional scheme, then everything up to the
last "@" is userinfo), and every byte the tool wrote is searched for the password."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from support import cli

PASSWORD = "Pw9-unique"  # noqa: S105 - planted, searched for

# (variable, value): each hides the password differently.
SPELLINGS = {
    "url": ("HTTPS_PROXY", f"http://alice:{PASSWORD}@proxy.example:3128"),
    "no-scheme": ("https_proxy", f"alice:{PASSWORD}@proxy.example:3128"),
    "at-sign": ("HTTP_PROXY", f"http://alice:{PASSWORD}@x@proxy.example:3128"),
    "space": ("http_proxy", f"http://alice:{PASSWORD} x@proxy.example:3128"),
    "slash": ("ALL_PROXY", f"http://alice:{PASSWORD}/x@proxy.example:3128/"),
    "hash": ("all_proxy", f"http://alice:{PASSWORD}#x@proxy.example:3128"),
    "question-mark": ("HTTPS_PROXY", f"alice:{PASSWORD}?x@proxy.example:3128"),
    "socks": ("ALL_PROXY", f"socks5h://alice:{PASSWORD}@proxy.example:1080"),
    "token-only": ("HTTPS_PROXY", f"http://{PASSWORD}@proxy.example:3128"),
    "spaces-around": ("HTTPS_PROXY", f"  HTTP://alice:{PASSWORD}@proxy.example:3128  "),
    "ipv6": ("HTTPS_PROXY", f"http://alice:{PASSWORD}@[::1]:3128"),
    "query-key": ("HTTPS_PROXY", f"http://proxy.example:3128/?apikey={PASSWORD}"),
}


def _written(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


@pytest.mark.parametrize("spelling", sorted(SPELLINGS))
def test_capture_keeps_no_proxy_password(tmp_path: Path, spelling: str) -> None:
    name, value = SPELLINGS[spelling]
    home, capture = tmp_path / "home", tmp_path / "support"
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env.update({name: value, "BOOTSTRAP_HOME": str(home)})
    res = cli.bootstrap("detect", "--capture", str(capture), env=env, timeout=120)
    assert res.returncode == 0, res.stderr
    assert "Traceback" not in res.stderr
    files = _written(capture) + (_written(home) if home.exists() else [])
    assert len(files) > 3
    for path in files:
        data = path.read_bytes()
        assert PASSWORD.encode() not in data, f"{spelling}: the password is in {path}"
    index = (capture / "capture.json").read_text(encoding="utf-8")
    assert "proxy.example" in index or "[::1]" in index  # the host stays readable
    # What was captured still replays, proxy fact included.
    again = cli.bootstrap("detect", "--json", "--replay", str(capture), env={**env, name: ""})
    assert again.returncode == 0, again.stderr
    assert '"proxy": true' in again.stdout
