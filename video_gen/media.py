"""What a file really is, from its first bytes: the check every download passes.

Servers differ in what they send for a variant (LiteLLM and vLLM-Omni ignore ``variant`` and
answer the MP4 for a thumbnail; an error page may come back with a 200). The file's own magic
bytes decide its type and its suffix, never the variant asked for nor the Content-Type.
"""

from __future__ import annotations

HEAD_BYTES = 16  # enough for every signature below

# What each variant may be: kind -> suffix, in order of preference.
ACCEPTS: dict[str, dict[str, str]] = {
    "video": {"video/mp4": ".mp4", "video/quicktime": ".mov", "video/webm": ".webm"},
    "thumbnail": {"image/webp": ".webp", "image/jpeg": ".jpg", "image/png": ".png"},
    "spritesheet": {"image/jpeg": ".jpg", "image/webp": ".webp", "image/png": ".png"},
}


def sniff(head: bytes) -> str | None:
    """The MIME type the bytes start like, or None when unknown."""
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        return "video/quicktime" if brand == b"qt  " else "video/mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video/webm"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.lstrip()[:1] in (b"{", b"<"):
        return "text/json-or-html"
    return None


def describe(mime: str | None) -> str:
    return {
        None: "bytes of an unknown type",
        "text/json-or-html": "a text page (JSON or HTML), not media",
    }.get(mime, mime or "")


def suffix_for(variant: str, mime: str | None) -> str | None:
    """The file suffix for ``variant`` when the bytes are an accepted type, else None."""
    return ACCEPTS.get(variant, {}).get(mime or "")
