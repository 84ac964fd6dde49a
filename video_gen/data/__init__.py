"""Packaged data files (prices, model capabilities, gags, story templates) and their loader."""

from __future__ import annotations

import sys
from functools import cache
from importlib import resources
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib


@cache
def load(name: str) -> dict[str, Any]:
    """Parse the packaged TOML file ``name`` (read-only, cached for the process)."""
    text = resources.files(__name__).joinpath(name).read_text(encoding="utf-8")
    data: dict[str, Any] = tomllib.loads(text)
    return data
