"""Fake API keys for tests, built at run time so that no key-shaped literal is ever committed
(the repository is scanned for strings that look like real keys)."""

from __future__ import annotations

PREFIX = "sk" + "-"


def fake_key(tag: str, tail: str = "abcdefghijklmnopqrstuvwxyz0123") -> str:
    return f"{PREFIX}{tag}-{tail}"
