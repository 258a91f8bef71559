"""Keeping secrets out of files and terminals: one function for URLs, one for free text.

A URL's userinfo (``http://user:pass@proxy``) and the values of secret-looking query
parameters (``?apikey=...``, ``&token=...``) are replaced by ``***`` wherever the tool
stores or prints a URL: captures, the spool, run state, the history, crash logs.
"""

from __future__ import annotations

import re

MASK = "***"

# Query parameter names whose values are credentials. Matched on the lower-cased name
# with "-" and "_" removed, so "api_key", "API-KEY" and "apikey" are all caught.
_SECRET_NAMES = (
    "key",
    "apikey",
    "token",
    "accesstoken",
    "authtoken",
    "secret",
    "clientsecret",
    "password",
    "passwd",
    "pass",
    "pwd",
    "auth",
    "authorization",
    "credential",
    "credentials",
    "signature",
    "sig",
    "session",
    "sessionid",
)

# scheme://userinfo@ -- userinfo is everything up to the last "@" before the path.
_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/?#\s@]*@)")
_QUERY_PAIR = re.compile(r"(?P<sep>[?&;])(?P<name>[^=&;#\s?]+)=(?P<value>[^&;#\s\"']*)")


def _secret_name(name: str) -> bool:
    plain = name.lower().replace("-", "").replace("_", "")
    return plain in _SECRET_NAMES or plain.endswith(("token", "secret", "password", "apikey"))


def redact_text(text: str) -> str:
    """``text`` with every URL's userinfo and secret query values masked."""
    if "://" not in text and "=" not in text:
        return text
    text = _USERINFO.sub(lambda m: f"{m['scheme']}{MASK}@", text)

    def query(m: re.Match[str]) -> str:
        if _secret_name(m["name"]) and m["value"]:
            return f"{m['sep']}{m['name']}={MASK}"
        return m.group(0)

    return _QUERY_PAIR.sub(query, text)


def redact_url(url: str) -> str:
    """One URL with its userinfo and secret query values masked."""
    return redact_text(url)


def has_secret(url: str) -> bool:
    return redact_url(url) != url


def redact_obj(value: object) -> object:
    """Every string inside JSON-like data (dicts, lists, tuples), redacted."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {k: redact_obj(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_obj(v) for v in value]
    return value
