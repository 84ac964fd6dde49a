"""Where video-gen keeps its files: one overridable home for config, ledger and cache.

``VIDEO_GEN_HOME`` puts all three under one folder (tests and CI use it); otherwise the
platform's user config/data/cache folders are used. ``VIDEO_GEN_CONFIG`` names the config file.
"""

from __future__ import annotations

import os
from pathlib import Path

APP = "video-gen"


def home() -> Path | None:
    value = os.environ.get("VIDEO_GEN_HOME")
    return Path(value).expanduser() if value else None


def config_file() -> Path:
    explicit = os.environ.get("VIDEO_GEN_CONFIG")
    if explicit:
        return Path(explicit).expanduser()
    root = home()
    if root is not None:
        return root / "config.toml"
    import platformdirs

    return Path(platformdirs.user_config_dir(APP, appauthor=False)) / "config.toml"


def data_dir() -> Path:
    root = home()
    if root is not None:
        return root / "data"
    import platformdirs

    return Path(platformdirs.user_data_dir(APP, appauthor=False))


def cache_dir() -> Path:
    root = home()
    if root is not None:
        return root / "cache"
    import platformdirs

    return Path(platformdirs.user_cache_dir(APP, appauthor=False))


def ledger_file() -> Path:
    return data_dir() / "ledger.jsonl"
