"""Runs first in the Windows app (shiv's --preamble), before video-gen is imported.

The app holds one folder per CPython (site-packages/cp310 ... cp315), each with video-gen and
its dependencies installed for that version; shiv unpacks the app and hands this script the
path of site-packages. It puts the running Python's folder first on sys.path, or stops with the
fix when the app has none for it (docs/building.md).
"""

from __future__ import annotations

import site
import sys
from pathlib import Path

FOLDER_PREFIX = "cp"


def activate(site_packages: Path) -> None:
    major, minor = sys.version_info[:2]
    folder = site_packages / f"{FOLDER_PREFIX}{major}{minor}"
    if not folder.is_dir():
        carried = sorted(p.name for p in site_packages.glob(f"{FOLDER_PREFIX}3*") if p.is_dir())
        sys.exit(
            f"error: this video-gen app has no build for Python {major}.{minor} "
            f"(it carries {', '.join(carried) or 'none'}); "
            "fix: run it with one of those, or pip install video-gen"
        )
    before = list(sys.path)
    site.addsitedir(str(folder))  # the stdlib way, so .pth files in it are honoured
    added = [p for p in sys.path if p not in before]
    sys.path[:] = added + before


if __name__ == "__main__":
    # shiv runs this file with run_path(init_globals={"site_packages": ..., ...})
    activate(Path(globals()["site_packages"]))
