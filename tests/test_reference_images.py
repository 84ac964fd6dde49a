"""A reference image is checked for what it really is before anything is paid: a folder, FIFO or
device says so (not "does not exist"), a header-only or truncated image is refused, and so is
one over the 20 MB upload cap."""

from __future__ import annotations

import io
import os
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from video_gen import images
from video_gen.cli import app
from video_gen.emulator import EmulatorServer
from video_gen.exit_codes import ExitCode

Image = pytest.importorskip("PIL.Image")
runner = CliRunner()


def gen(*args: str) -> Any:
    return runner.invoke(app, ["generate", "a boat", "-o", "out", *args])


def encoded(fmt: str, size: tuple[int, int] = (720, 1280)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (30, 60, 90)).save(buf, fmt)
    return buf.getvalue()


def chunk(ctype: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + ctype + body + struct.pack(">I", zlib.crc32(ctype + body))


def header_only_png(width: int = 720, height: int = 1280) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")


def assert_refused(res: Any, remote: EmulatorServer, *words: str) -> None:
    assert res.exit_code == ExitCode.USAGE, (res.exit_code, res.stderr)
    line = res.stderr.strip().splitlines()[-1]
    assert "unexpected" not in line and "does not exist" not in line
    for word in words:
        assert word in line, line
    assert remote.stats.creates_received == 0


def test_a_folder_is_named(remote: EmulatorServer, tmp_path: Path) -> None:
    (tmp_path / "frames").mkdir()
    assert_refused(gen("-i", "frames"), remote, "frames is a folder")


def test_a_fifo_is_named_and_not_opened(remote: EmulatorServer, tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.png")  # opening it would block until a writer came
    assert_refused(gen("-i", "pipe.png"), remote, "named pipe (FIFO)")


def test_a_device_is_named(remote: EmulatorServer) -> None:
    assert_refused(gen("-i", "/dev/null"), remote, "character device")


def test_a_missing_file_still_says_so(remote: EmulatorServer) -> None:
    res = gen("-i", "nowhere.png")
    assert res.exit_code == ExitCode.USAGE and "does not exist" in res.stderr


@pytest.mark.parametrize(
    ("name", "make", "words"),
    [
        ("header.png", lambda: header_only_png(), ("only a header",)),
        ("cut.png", lambda: encoded("PNG")[:-40], ("cut short",)),
        ("bad-crc.png", lambda: _flip(encoded("PNG"), 40), ("bad CRC",)),
        ("header.jpg", lambda: _jpeg_head(encoded("JPEG")), ("only a header",)),
        ("cut.jpg", lambda: encoded("JPEG")[:-200], ("cut short",)),
        ("header.webp", lambda: _webp_head(), ("only a header",)),
        ("cut.webp", lambda: encoded("WEBP")[:-30], ("cut short",)),
    ],
)
def test_an_image_that_is_not_whole_is_refused(
    remote: EmulatorServer, tmp_path: Path, name: str, make: Any, words: tuple[str, ...]
) -> None:
    (tmp_path / name).write_bytes(make())
    assert_refused(gen("-i", name), remote, "not a whole", *words)


@pytest.mark.parametrize(
    ("name", "fmt"), [("ok.png", "PNG"), ("ok.jpg", "JPEG"), ("ok.webp", "WEBP")]
)
def test_whole_images_are_accepted(
    remote: EmulatorServer, tmp_path: Path, name: str, fmt: str
) -> None:
    (tmp_path / name).write_bytes(encoded(fmt))
    res = gen("-i", name, "--dry-run")
    assert res.exit_code == 0, res.stderr


def test_an_image_over_the_upload_cap_is_refused(remote: EmulatorServer, tmp_path: Path) -> None:
    big = tmp_path / "huge.png"
    with big.open("wb") as fh:
        fh.write(encoded("PNG"))
        fh.truncate(images.MAX_BYTES + 1)
    assert_refused(gen("-i", "huge.png"), remote, "over the 20 MB")


def test_a_last_frame_is_checked_the_same_way(tmp_path: Path) -> None:
    from video_gen.capabilities import check_image_file
    from video_gen.errors import UsageError

    (tmp_path / "last.png").write_bytes(header_only_png())
    with pytest.raises(UsageError, match="only a header"):
        check_image_file(tmp_path / "last.png")


def _flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :]


def _jpeg_head(data: bytes) -> bytes:
    """Everything before the first scan (SOS), then EOI: markers, tables and frame, no pixels."""
    return data[: data.index(b"\xff\xda")] + b"\xff\xd9"


def _webp_head() -> bytes:
    body = b"WEBP" + b"VP8X" + struct.pack("<I", 10) + b"\x00" * 10
    return b"RIFF" + struct.pack("<I", len(body)) + body
