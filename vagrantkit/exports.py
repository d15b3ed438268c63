"""The host folder behind a guest's NFS mount, read from the mount's source (bench and watch share it).

A guest's /proc/mounts names an NFS folder by its source, ``192.168.56.1:/home/me/proj``. On
macOS and Linux the path after the colon is the host folder itself. WinNFSd (vagrant-winnfsd)
exports ``C:\\Users\\me\\proj`` as ``/C/Users/me/proj``: the drive's colon dropped, backslashes
turned into slashes (its synced_folder.rb); :func:`exported_path` maps it back on a Windows host.
"""

from __future__ import annotations

import os
import re
from pathlib import Path, PureWindowsPath

_DRIVE = re.compile(r"^/([A-Za-z])(/.*)?$")
# host:/path, or [IPv6]:/path
_SOURCE = re.compile(r"^(?:\[[^\]]*\]|[^:/\[\]]+):(/.*)$")


def export_of(source: str) -> str | None:
    """The exported path of an NFS mount source (``192.168.56.1:/C/Users/me/proj`` -> ``/C/Users/me/proj``)."""
    match = _SOURCE.match(source)
    return match[1] if match else None


def exported_path(exported: str, *, windows: bool) -> str:
    """The host path an export names: on a Windows host WinNFSd's ``/C/Users/me/proj`` is
    ``C:\\Users\\me\\proj``; any other path is as it is."""
    drive = _DRIVE.match(exported) if windows else None
    return str(PureWindowsPath(f"{drive[1]}:{drive[2] or '/'}")) if drive else exported


def host_folder(exported: str, *, windows: bool | None = None) -> Path | None:
    """The folder of this host an export path names, if it is one (``windows``: default, this host's OS)."""
    path = Path(exported_path(exported, windows=os.name == "nt" if windows is None else windows))
    return path.resolve() if path.is_dir() else None
