"""Which backend a ledger URL names, and the one factory every caller opens its ledger with.

Backends register a URL scheme with the module that opens it (``register_backend``); the module
is imported only when a URL of that scheme is used, so the PostgreSQL driver never slows down a
command that works on the local file. Each module has ``open_backend(url) -> LedgerBackend``.
"""

from __future__ import annotations

import importlib
import os
from typing import TYPE_CHECKING, cast
from urllib.parse import urlsplit

from video_gen.errors import ConfigError

if TYPE_CHECKING:
    from video_gen.config import Config
    from video_gen.ledger.backend import LedgerBackend

URL_ENV = "VIDEO_GEN_LEDGER_URL"
_BACKENDS: dict[str, str] = {}


def register_backend(scheme: str, module: str) -> None:
    """Ledger URLs starting ``scheme:`` are opened by ``module.open_backend``."""
    _BACKENDS[scheme.lower()] = module


# The JSON Lines file: no URL (the default location), ``file:`` or a plain path.
register_backend("", "video_gen.ledger.jsonl")
register_backend("file", "video_gen.ledger.jsonl")
# PostgreSQL, shared by many machines (libpq accepts both spellings).
register_backend("postgresql", "video_gen.ledger.postgres")
register_backend("postgres", "video_gen.ledger.postgres")


def ledger_url(config: Config | None = None) -> str:
    """``VIDEO_GEN_LEDGER_URL``, else ``ledger.url`` in the config, else "" (the local file)."""
    value = os.environ.get(URL_ENV)
    if value is None or not value.strip():
        if config is None:
            from video_gen.config import read_value

            value = str(read_value("ledger.url") or "")
        else:
            value = str(config.value("ledger.url") or "")
    return value.strip()


def scheme_of(url: str) -> str:
    if "://" not in url and not url.startswith("file:"):
        return ""  # a plain path (Windows drive letters look like schemes to urlsplit)
    return urlsplit(url).scheme.lower()


def open_ledger(config: Config | None = None, *, url: str | None = None) -> LedgerBackend:
    """The ledger the configuration names (``url`` overrides it)."""
    from video_gen.redact import mask_url

    target = ledger_url(config) if url is None else url.strip()
    scheme = scheme_of(target)
    module = _BACKENDS.get(scheme)
    if module is None:
        known = ", ".join(f"{s}://" for s in sorted(_BACKENDS) if s)
        raise ConfigError(
            f"the ledger URL {mask_url(target)!r} has an unknown scheme {scheme!r}",
            hint=f"use one of {known} (or leave {URL_ENV} and ledger.url empty for the local file)",
        )
    backend = importlib.import_module(module).open_backend(target)
    return cast("LedgerBackend", backend)
