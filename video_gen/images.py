"""What a reference image really is, checked before it is uploaded (and paid for).

A path that is a folder, a FIFO or a device is named as such (not "does not exist"); a file over
the upload cap is refused (the APIs take a few MB: a 200 MB file is a mistake, and would be
uploaded with every create); and a PNG, JPEG or WebP must be whole, not just a header: the
structure is walked without Pillow (PNG chunks with their CRCs and IDAT data that inflates, JPEG
markers from SOI through a frame and a scan to EOI, WebP's RIFF length and its image chunk), so
a truncated or header-only file is refused before the create instead of failing after it.
"""

from __future__ import annotations

import os
import stat
import struct
import zlib
from pathlib import Path

from video_gen.errors import UsageError

# The most a reference image may weigh. OpenAI's Videos API documents no number; the image
# endpoints of the providers video-gen speaks take 10-20 MB, so 20 MB (documented in
# docs/commands.md) refuses the mistakes without refusing a real frame (a 1792x1024 PNG is
# about 3 MB).
MAX_BYTES = 20 * 1024 * 1024

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def describe(mode: int) -> str | None:
    """What a non-regular file is (``a folder``, ``a named pipe (FIFO)`` ...), None for a file."""
    for test, name in _KINDS:
        if test(mode):
            return name
    return None if stat.S_ISREG(mode) else "not a regular file"


def check_file(path: Path, what: str = "reference image") -> bytes:
    """The image's bytes: a regular file no bigger than MAX_BYTES (UsageError otherwise)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise UsageError(f"{what} {path} does not exist", hint="check the path") from None
    except OSError as exc:
        raise UsageError(
            f"cannot read {what} {path}: {exc.strerror}", hint="check the path"
        ) from None
    kind = describe(st.st_mode)
    if kind is not None:
        raise UsageError(
            f"{what} {path} is {kind}, not an image file", hint="give a PNG, JPEG or WebP file"
        )
    if st.st_size > MAX_BYTES:
        raise UsageError(
            f"{what} {path} is {st.st_size / 1_000_000:.1f} MB: over the"
            f" {MAX_BYTES // (1024 * 1024)} MB an image upload may take",
            hint="shrink it, e.g. ffmpeg -i IN -compression_level 9 out.png, or save it as JPEG",
        )
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UsageError(
            f"cannot read {what} {path}: {exc.strerror}", hint="check the path"
        ) from None


def check_whole(data: bytes, mime: str, path: Path, what: str = "reference image") -> None:
    """Refuse an image of ``mime`` whose structure is cut short or broken."""
    check = {"image/png": _png, "image/jpeg": _jpeg, "image/webp": _webp}.get(mime)
    problem = check(data) if check is not None else None
    if problem is not None:
        raise UsageError(
            f"{what} {path} is not a whole {mime.split('/')[1].upper()} image: {problem}",
            hint="export the image again (a file cut short or only a header cannot be used)",
        )


def _png(data: bytes) -> str | None:
    pos, idat, width, height, depth, color, interlaced = 8, [], 0, 0, 0, 0, 0
    seen_end = False
    while pos + 8 <= len(data):
        length, ctype = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        crc = data[pos + 8 + length : pos + 12 + length]
        if len(body) != length or len(crc) != 4:
            return f"the {ctype.decode('latin-1')} chunk is cut short"
        if zlib.crc32(ctype + body) != struct.unpack(">I", crc)[0]:
            return f"the {ctype.decode('latin-1')} chunk is damaged (bad CRC)"
        if ctype == b"IHDR" and length >= 13:
            width, height, depth, color, _, _, interlaced = struct.unpack(">IIBBBBB", body[:13])
        elif ctype == b"IDAT":
            idat.append(body)
        elif ctype == b"IEND":
            seen_end = True
            break
        pos += 12 + length
    if not width or not height:
        return "no IHDR header"
    if not idat:
        return "no image data (IDAT): only a header"
    if not seen_end:
        return "no IEND chunk: the file is cut short"
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}.get(color, 4)
    row = 1 + (width * channels * depth + 7) // 8
    expected = (
        row * height if not interlaced else 1
    )  # interlaced: passes differ; inflating is the check
    inflater = zlib.decompressobj()
    try:
        raw = inflater.decompress(b"".join(idat), expected + 1)
    except zlib.error:
        return "its image data does not inflate"
    if len(raw) < expected:
        return f"its image data holds {len(raw)} of {expected} bytes"
    return None


def _jpeg(data: bytes) -> str | None:
    if not data.startswith(b"\xff\xd8"):
        return "no SOI marker"
    pos, frame, scan = 2, False, False
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            return f"a broken marker at byte {pos}"
        marker = data[pos + 1]
        if marker == 0xFF:
            pos += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            pos += 2
            continue
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        if pos + 2 + length > len(data):
            return "a segment is cut short"
        if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
            frame = True
        if marker == 0xDA:
            scan = True
            break
        pos += 2 + length
    if not frame:
        return "no frame header (SOF)"
    if not scan:
        return "no image data (SOS): only a header"
    if b"\xff\xd9" not in data[-64:]:
        return "no EOI marker: the file is cut short"
    return None


def _webp(data: bytes) -> str | None:
    if len(data) < 20 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        return "no RIFF/WEBP header"
    (riff,) = struct.unpack("<I", data[4:8])
    if riff + 8 > len(data):
        return f"the RIFF container says {riff + 8} bytes, the file has {len(data)}"
    pos = 12
    while pos + 8 <= min(len(data), riff + 8):
        ctype = data[pos : pos + 4]
        (length,) = struct.unpack("<I", data[pos + 4 : pos + 8])
        if pos + 8 + length > len(data):
            return f"the {ctype.decode('latin-1')} chunk is cut short"
        if ctype in (b"VP8 ", b"VP8L") and length >= 10:
            return None
        pos += 8 + length + (length & 1)
    return "no image data (VP8/VP8L): only a header"
