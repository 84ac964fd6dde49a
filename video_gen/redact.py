"""Masking of secrets: the one function every message, log line and record passes through."""

from __future__ import annotations

import re
import threading

_lock = threading.Lock()
_known: set[str] = set()

# Shapes of common API keys, masked even when we were never told about them.
_PATTERNS = [
    re.compile(r"\b(sk-[A-Za-z0-9_\-]{3})[A-Za-z0-9_\-]{8,}"),
    re.compile(r"\b(sk-or-[A-Za-z0-9_\-]{3})[A-Za-z0-9_\-]{8,}"),
    re.compile(r"\b(AIza[0-9A-Za-z_\-]{2})[0-9A-Za-z_\-]{20,}"),
    re.compile(r"(?i)(bearer\s+)[^\s,;\"']+"),
]


def register_secret(value: str | None) -> None:
    """Remember a secret so that ``redact`` masks it wherever it appears later."""
    if value and len(value) >= 4:
        with _lock:
            _known.add(value)


def mask(value: str | None) -> str:
    """A short, recognisable stand-in for a secret: ``sk-a…x9`` or ``***``."""
    if not value:
        return ""
    if len(value) < 12:
        return "***"
    return f"{value[:4]}…{value[-2:]}"


def redact(text: str) -> str:
    """Replace every known secret and every key-shaped string in ``text``."""
    if not text:
        return text
    with _lock:
        known = sorted(_known, key=len, reverse=True)
    for secret in known:
        if secret in text:
            text = text.replace(secret, mask(secret))
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + "***", text)
    return text


def mask_url(url: str) -> str:
    """``url`` with the password (if any) replaced by ``***``; the password is also registered,
    so ``redact`` masks it wherever a driver's message might repeat it."""
    from urllib.parse import unquote, urlsplit, urlunsplit

    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return "***"  # not even a URL: it may be anything, show none of it
    if not password:
        return url
    register_secret(password)
    register_secret(unquote(password))
    user = parts.username or ""
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))
