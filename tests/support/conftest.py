"""The support fixtures, for the self-tests in this folder.

Elsewhere, import them into a conftest.py the same way (pytest finds fixtures by name in
the conftest's namespace)."""

from support.podman import podman_env
from support.rootfs import debian_rootfs, debian_rootfs_tarball
from support.sshbox import make_remote_box, remote_box
from support.wslbox import make_wsl_distro

__all__ = [
    "debian_rootfs",
    "debian_rootfs_tarball",
    "make_remote_box",
    "make_wsl_distro",
    "podman_env",
    "remote_box",
]
