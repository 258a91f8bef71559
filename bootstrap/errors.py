"""The two kinds of failure.

A :class:`UserError` is something the user can fix: the CLI prints one line, the fix,
and exits non-zero without a traceback. Anything else is a bug: the CLI prints one line
with the path of a log file that holds the traceback, and exits with ``EXIT_BUG``.
"""

from __future__ import annotations

from typing import Any

# Exit codes, documented in the README. Keep them stable: scripts and CI depend on them.
EXIT_OK = 0
EXIT_FAILED = 1  # the job ran and failed (e.g. the first run exited non-zero)
EXIT_USAGE = 2  # bad input: a flag, a profile, a replay directory, a bundle
EXIT_UNSUPPORTED = 3  # reserved: was "strategy not carried out yet"; every strategy is now
EXIT_OFFLINE_MISS = 4  # offline and the cache lacks what the lock needs
EXIT_BUSY = 5  # another run holds the lock
EXIT_ACTION_REQUIRED = 6  # the user must do something first (the fix says what), then re-run
EXIT_UNREACHABLE = 7  # the target (a remote box) cannot be reached: network, port, DNS
EXIT_TARGET_REFUSED = 8  # the target refused us: authentication or an unknown host key
EXIT_TARGET_UNFIT = 9  # the target cannot hold the environment (OS, arch, libc, Python, disk)
EXIT_NETWORK = 10  # a download failed: the network (DNS, connection) or TLS (certificate)
EXIT_BUG = 70  # a bug: one line, the traceback in a log file (sysexits EX_SOFTWARE)
EXIT_INTERRUPTED = 130


class BootstrapError(Exception):
    """Base class for every error the tool expects and explains."""

    exit_code = EXIT_FAILED
    # What `up --json` prints for the run this error ended, once the run recorded its
    # report (bootstrap.app): a failure prints the report schema too.
    json_result: dict[str, Any] | None = None

    def __init__(self, message: str, *, fix: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.fix = fix
        # A stable, value-free identifier for reports ("uv.checksum_mismatch").
        self.code = code or type(self).__name__


class UserError(BootstrapError):
    """Bad input from the user: a flag, a file, an override."""

    exit_code = EXIT_USAGE


class ActionRequired(UserError):
    """The machine needs a step only the user can take (enable WSL, switch on
    virtualization in the firmware, start Docker): do what the fix says, then re-run."""

    exit_code = EXIT_ACTION_REQUIRED


class ConfigError(UserError):
    """A profile or another config file is malformed."""


class ReplayError(UserError):
    """A capture directory given to ``--replay`` is corrupt or incomplete."""


class CommandError(BootstrapError):
    """An external command failed or timed out (raised by :mod:`bootstrap.proc`)."""


class NetworkError(BootstrapError):
    """An HTTP request failed after its retries (raised by :mod:`bootstrap.net`)."""


class DownloadFailed(NetworkError):
    """uv (or stage 0) could not download what the run needs: the network is down or out
    of reach, or TLS failed (a certificate nobody here trusts). Not bad input."""

    exit_code = EXIT_NETWORK


class IntegrityError(BootstrapError):
    """A downloaded or bundled file does not match its pinned checksum."""

    exit_code = EXIT_USAGE


class OfflineMiss(BootstrapError):
    """The offline cache lacks distributions the lock needs."""

    exit_code = EXIT_OFFLINE_MISS


class Busy(BootstrapError):
    """Another run holds the state lock."""

    exit_code = EXIT_BUSY
