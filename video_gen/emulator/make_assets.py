"""Maintainer tool: regenerate the emulator's packaged sample assets.

Run ``python -m video_gen.emulator.make_assets`` (needs ``ffmpeg`` on PATH and Pillow). The
outputs are committed, so neither tool is a runtime dependency of video-gen. The clip is synthetic
(ffmpeg's test pattern) so that there is no licence question, and tiny so the wheel stays small.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ASSETS = Path(__file__).with_name("assets")
WIDTH, HEIGHT, FPS, SECONDS = 144, 256, 12, 2
SPRITE_COLUMNS, SPRITE_ROWS = 4, 2


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


def main() -> int:
    if shutil.which("ffmpeg") is None:
        print("ffmpeg is required to regenerate the assets", file=sys.stderr)
        return 1
    from PIL import Image

    ASSETS.mkdir(exist_ok=True)
    video = ASSETS / "sample.mp4"
    # yuv420p + baseline profile + faststart: the combination every player and browser accepts,
    # and moov-first means a client can start playing (or probe) before the download ends.
    _ffmpeg(
        "-f", "lavfi", "-i", f"testsrc2=size={WIDTH}x{HEIGHT}:rate={FPS}:duration={SECONDS}",
        "-c:v", "libx264", "-profile:v", "baseline", "-pix_fmt", "yuv420p", "-crf", "32",
        "-preset", "veryslow", "-movflags", "+faststart", "-an", "-map_metadata", "-1",
        "-fflags", "+bitexact", "-flags:v", "+bitexact", str(video),
    )  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        frames = SPRITE_COLUMNS * SPRITE_ROWS
        _ffmpeg(
            "-i", str(video), "-vf", f"fps={frames}/{SECONDS}", "-frames:v", str(frames),
            str(Path(tmp) / "f%02d.png"),
        )  # fmt: skip
        paths = sorted(Path(tmp).glob("f*.png"))
        images = [Image.open(p).convert("RGB") for p in paths]
    images[0].save(ASSETS / "thumbnail.webp", "WEBP", quality=70)
    tile_w, tile_h = WIDTH // 2, HEIGHT // 2
    sheet = Image.new("RGB", (tile_w * SPRITE_COLUMNS, tile_h * SPRITE_ROWS))
    for i, image in enumerate(images):
        x, y = (i % SPRITE_COLUMNS) * tile_w, (i // SPRITE_COLUMNS) * tile_h
        sheet.paste(image.resize((tile_w, tile_h)), (x, y))
    buf = io.BytesIO()
    sheet.save(buf, "JPEG", quality=70)
    (ASSETS / "spritesheet.jpg").write_bytes(buf.getvalue())
    for path in sorted(ASSETS.iterdir()):
        print(f"{path.name}: {path.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
