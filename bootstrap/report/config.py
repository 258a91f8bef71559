"""Metrics settings, as small frozen data that does not depend on the profile loader.

The profile's ``[metrics]`` table (``enabled``, ``salt``, ``[[metrics.sinks]]``) maps onto
:class:`MetricsConfig`; so do the ``bootstrap report send`` flags.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from bootstrap.errors import ConfigError

SINK_KINDS = ("file", "http-json", "pushgateway", "otlp-http")
DEFAULT_TIMEOUT = 2.0
DEFAULT_JOB = "bootstrap"
OPT_OUT_VARS = ("DO_NOT_TRACK", "BOOTSTRAP_NO_METRICS")
SINKS_VAR = "BOOTSTRAP_METRICS_SINKS"  # a JSON list of sink tables, added to the profile's


@dataclass(frozen=True)
class SinkConfig:
    kind: str  # one of SINK_KINDS
    url: str | None = None  # http-json, pushgateway (base URL), otlp-http (base or /v1/metrics)
    path: str | None = None  # file: a .jsonl file to append to, or a directory
    token_env: str | None = None  # the NAME of an env var holding a bearer token
    job: str = DEFAULT_JOB  # pushgateway job name
    timeout_seconds: float = DEFAULT_TIMEOUT

    def __post_init__(self) -> None:
        where = f"metrics sink {self.kind!r}"
        if self.kind not in SINK_KINDS:
            raise ConfigError(
                f"metrics sink kind {self.kind!r} is unknown: expected one of "
                + ", ".join(SINK_KINDS),
                fix="set `kind` in [[metrics.sinks]] to a supported sink",
                code="report.sink_kind",
            )
        if self.kind == "file" and not self.path:
            raise ConfigError(
                f"{where} needs `path` (a .jsonl file or a directory)",
                fix="set `path` in [[metrics.sinks]] (or pass --path)",
                code="report.sink_path",
            )
        if self.kind != "file" and not self.url:
            raise ConfigError(
                f"{where} needs `url`",
                fix="set `url` in [[metrics.sinks]] (or pass --url)",
                code="report.sink_url",
            )
        if self.url:
            from bootstrap.net import url_problem

            problem = url_problem(self.url)
            if problem:
                raise ConfigError(
                    f"{where}: `url` {problem}",
                    fix="point the sink at an https URL (plain http only on this machine)",
                    code="report.sink_url",
                )
            userinfo = _userinfo(self.url)
            if userinfo and self.token_env and userinfo != "***":
                # httpx would send the URL's user:password as Basic auth and the token as
                # well: which one the server honours is the server's guess. Say which.
                raise ConfigError(
                    f"{where}: `url` carries a user name/password and `token_env` names a "
                    "bearer token: only one of them can authenticate",
                    fix="drop the user:password from `url` (the token is sent as "
                    "`Authorization: Bearer`), or drop `token_env` to use Basic auth",
                    code="report.sink_auth",
                )
        if not self.job:
            raise ConfigError(f"{where}: `job` must not be empty", code="report.sink_job")
        if not (self.timeout_seconds > 0 and self.timeout_seconds < 3600):
            raise ConfigError(
                f"{where}: timeout_seconds must be > 0 and < 3600, found {self.timeout_seconds!r}",
                code="report.sink_timeout",
            )

    @property
    def remote(self) -> bool:
        """True for sinks that send data off the machine (turned off by opt-outs)."""
        return self.kind != "file"

    @property
    def key(self) -> str:
        """A stable name for this destination: the spool keeps one folder per key."""
        ident = json.dumps([self.kind, self.url, self.path, self.job], separators=(",", ":"))
        return f"{self.kind}-{hashlib.sha256(ident.encode()).hexdigest()[:12]}"

    @property
    def label(self) -> str:
        """Human-readable: the kind and where it goes (a URL without credentials)."""
        where = self.path if self.kind == "file" else _strip_userinfo(self.url or "")
        return f"{self.kind} {where}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: Any, *, where: str = "metrics sink") -> SinkConfig:
        if not isinstance(d, Mapping):
            raise ConfigError(
                f"{where}: expected a table, found {type(d).__name__}", code="report.sink"
            )
        known = {"kind", "url", "path", "token_env", "job", "timeout_seconds"}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ConfigError(
                f"{where}: unknown key(s) {', '.join(unknown)}; expected "
                + ", ".join(sorted(known)),
                code="report.sink_key",
            )
        if "kind" not in d:
            raise ConfigError(f"{where}: missing `kind`", code="report.sink_kind")
        for name in ("kind", "url", "path", "token_env", "job"):
            value = d.get(name)
            if value is not None and not isinstance(value, str):
                raise ConfigError(
                    f"{where}: `{name}` must be a string, found {type(value).__name__}",
                    code="report.sink_type",
                )
        timeout = d.get("timeout_seconds", DEFAULT_TIMEOUT)
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
            raise ConfigError(
                f"{where}: `timeout_seconds` must be a number, found {timeout!r}",
                code="report.sink_type",
            )
        try:
            return cls(
                kind=d["kind"],
                url=d.get("url"),
                path=d.get("path"),
                token_env=d.get("token_env"),
                job=d.get("job") or DEFAULT_JOB,
                timeout_seconds=float(timeout),
            )
        except ConfigError as exc:
            exc.message = f"{where}: {exc.message}"
            exc.args = (exc.message,)
            raise


@dataclass(frozen=True)
class MetricsConfig:
    enabled: bool = True
    salt: str = ""  # the organisation's salt for host/user ids; "" -> a per-install one
    sinks: tuple[SinkConfig, ...] = field(default_factory=tuple)

    @classmethod
    def from_settings(cls, metrics: Any, *, where: str = "metrics") -> MetricsConfig:
        """From a profile's metrics settings: the raw ``[metrics]`` table, or any object
        with ``enabled``, ``salt`` and ``sinks`` (each sink a table or an object with
        ``to_dict()``), so this module needs nothing from the profile loader."""
        if metrics is None:
            return cls()
        if isinstance(metrics, Mapping):
            get = metrics.get
        else:

            def get(name: str, default: Any = None) -> Any:
                return getattr(metrics, name, default)

        enabled, salt = get("enabled", True), get("salt", "") or ""
        if not isinstance(enabled, bool):
            raise ConfigError(
                f"{where}.enabled must be true or false, found {enabled!r}",
                code="report.metrics_enabled",
            )
        if not isinstance(salt, str):
            raise ConfigError(
                f"{where}.salt must be a string, found {type(salt).__name__}",
                code="report.metrics_salt",
            )
        sinks = []
        for i, raw in enumerate(get("sinks", ()) or ()):
            table = (
                raw if isinstance(raw, Mapping) or not hasattr(raw, "to_dict") else raw.to_dict()
            )
            sinks.append(SinkConfig.from_dict(table, where=f"{where}.sinks[{i}]"))
        return cls(enabled=enabled, salt=salt, sinks=tuple(sinks))

    def with_env(self, environ: Mapping[str, str] | None = None) -> MetricsConfig:
        """Add the sinks in ``BOOTSTRAP_METRICS_SINKS`` (a JSON list of sink tables, e.g.
        set by a CI job or a fleet-management tool) to the profile's."""
        env = os.environ if environ is None else environ
        raw = env.get(SINKS_VAR, "").strip()
        if not raw:
            return self
        try:
            items = json.loads(raw)
        except ValueError as exc:
            raise ConfigError(
                f"{SINKS_VAR} is not JSON ({exc})",
                fix=f'{SINKS_VAR}=\'[{{"kind": "pushgateway", "url": "https://..."}}]\'',
                code="report.sinks_env",
            ) from None
        if not isinstance(items, list):
            raise ConfigError(
                f"{SINKS_VAR} must be a JSON list of sink tables, found {type(items).__name__}",
                code="report.sinks_env",
            )
        extra = tuple(
            SinkConfig.from_dict(item, where=f"{SINKS_VAR}[{i}]") for i, item in enumerate(items)
        )
        return MetricsConfig(enabled=self.enabled, salt=self.salt, sinks=self.sinks + extra)


def opted_out(environ: Mapping[str, str] | None = None) -> str | None:
    """The env var that turns remote metrics off, if one is set to a true value."""
    env = os.environ if environ is None else environ
    for var in OPT_OUT_VARS:
        if env.get(var, "").strip().lower() not in ("", "0", "false", "no", "off"):
            return var
    return None


def remote_allowed(config: MetricsConfig | None, environ: Mapping[str, str] | None = None) -> bool:
    if opted_out(environ):
        return False
    return config is None or config.enabled


def _userinfo(url: str) -> str:
    """The ``user:password`` part of ``url`` ("" when it has none)."""
    from urllib.parse import urlsplit

    try:
        netloc = urlsplit(url).netloc
    except ValueError:
        return ""
    return netloc.rpartition("@")[0]


def _strip_userinfo(url: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.username or parts.password:
        host = parts.hostname or ""
        netloc = host + (f":{parts.port}" if parts.port else "")
        parts = parts._replace(netloc=netloc)
    return urlunsplit(parts._replace(query=""))
