"""Keeping secrets out of files and terminals: one function for URLs, one for free text,
one for proxy settings.

A URL's userinfo (``http://user:pass@proxy``) and the values of secret-looking query
parameters (``?apikey=...``, ``&token=...``) are replaced by ``***`` wherever the tool
stores or prints a URL: captures, the spool, run state, the history, crash logs. A proxy
setting is not always a URL (curl and uv take ``user:pass@proxy:3128`` too, and a
password may hold ``@``, ``/``, ``#`` or a space): :func:`redact_proxy` reads it as they do.
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


_SCHEME = re.compile(r"^(?P<lead>\s*)(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)?")


def redact_proxy(value: str) -> str:
    """A proxy setting (``HTTPS_PROXY``, ...) with its credentials masked.

    curl and uv read ``[scheme://][user[:password]@]host[:port][/]``, the scheme being
    optional (curl assumes ``http://``). A host never contains ``@``, so everything
    between the scheme and the *last* ``@`` is userinfo, whatever characters the
    password holds (``@``, ``/``, ``#``, ``?``, a space, percent-escapes): all of it is
    masked, the host and port stay readable. Secret query values are masked as in URLs."""
    at = value.rfind("@")
    if at >= 0:
        m = _SCHEME.match(value)
        start = m.end() if m else 0
        if at >= start:
            value = f"{value[:start]}{MASK}{value[at:]}"
    return redact_text(value)
