"""Title cards drawn with Pillow in a style's look: lettering, colours and an ornament.

Text is wrapped and sized to the frame (never stretched), centred, and drawn with the packaged
font (``video_gen/data/fonts``). Characters the font does not cover are folded to their closest
Latin letters (``é`` stays, ``ł`` becomes ``l``), so a card never shows empty boxes.
"""

from __future__ import annotations

import unicodedata
from functools import cache
from typing import Any

from video_gen.film.look import FilmLook

# The Latin subset of the packaged font (its unicode-range, from @fontsource/poiret-one).
_COVERED = (
    (0x0000, 0x00FF),
    (0x0131, 0x0131),
    (0x0152, 0x0153),
    (0x02BB, 0x02BC),
    (0x02C6, 0x02C6),
    (0x02DA, 0x02DA),
    (0x02DC, 0x02DC),
    (0x2000, 0x206F),
    (0x20AC, 0x20AC),
    (0x2122, 0x2122),
    (0x2212, 0x2212),
)
_FOLD = {"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ß": "ss"}


def _covered(char: str) -> bool:
    code = ord(char)
    return any(lo <= code <= hi for lo, hi in _COVERED)


def printable(text: str) -> str:
    """``text`` with every character the font lacks folded to Latin (or dropped)."""
    out = []
    for char in text:
        if _covered(char):
            out.append(char)
            continue
        folded = _FOLD.get(char) or "".join(
            c for c in unicodedata.normalize("NFKD", char) if _covered(c) and c.isprintable()
        )
        out.append(folded)
    return " ".join("".join(out).split(" ")).strip()


@cache
def _font(path: str, size: int) -> Any:
    from PIL import ImageFont

    return ImageFont.truetype(path, size)


def _wrap(draw: Any, text: str, font: Any, width: float) -> list[str]:
    lines: list[str] = []
    for paragraph in text.split("\n"):
        words = paragraph.split()
        if not words:
            lines.append("")
            continue
        line = words[0]
        for word in words[1:]:
            candidate = f"{line} {word}"
            if draw.textlength(candidate, font=font) <= width:
                line = candidate
            else:
                lines.append(line)
                line = word
        lines.append(line)
    return lines


def _layout(draw: Any, text: str, path: str, width: int, height: int, start: int) -> Any:
    """The largest font size (from ``start`` down) at which ``text`` fits the text box."""
    box_w, box_h = width * 0.78, height * 0.66
    size = start
    while True:
        font = _font(path, size)
        lines = _wrap(draw, text, font, box_w)
        spacing = round(size * 0.35)
        block = "\n".join(lines)
        left, top, right, bottom = draw.multiline_textbbox(
            (0, 0), block, font=font, spacing=spacing, align="center"
        )
        fits = right - left <= box_w and bottom - top <= box_h
        if fits or size <= 10:
            return font, block, spacing
        size = max(10, int(size * 0.9))


def draw_card(text: str, look: FilmLook, size: tuple[int, int], *, title: bool = False) -> Any:
    """The card as an RGB Pillow image of ``size``."""
    from PIL import Image, ImageDraw

    width, height = size
    image = Image.new("RGB", size, look.background)
    draw = ImageDraw.Draw(image)
    short = min(width, height)
    line = max(2, short // 240)
    colour = look.foreground
    if look.ornament == "deco":
        _deco_frame(draw, width, height, short, line, colour)
    words = printable(text) or " "
    start = max(12, int(short * (0.13 if title else 0.085)))
    font, block, spacing = _layout(draw, words, str(look.font_path()), width, height, start)
    stroke = max(0, font.size // 36)  # a touch of weight: the hairline face survives encoding
    draw.multiline_text(
        (width / 2, height / 2),
        block,
        font=font,
        fill=colour,
        anchor="mm",
        align="center",
        spacing=spacing,
        stroke_width=stroke,
        stroke_fill=colour,
    )
    if look.ornament == "rule":
        _, top, _, bottom = draw.multiline_textbbox(
            (width / 2, height / 2), block, font=font, anchor="mm", spacing=spacing
        )
        half = short * 0.18
        for y in (top - short * 0.06, bottom + short * 0.06):
            draw.line((width / 2 - half, y, width / 2 + half, y), fill=colour, width=line)
    return image


def _deco_frame(draw: Any, width: int, height: int, short: int, line: int, colour: Any) -> None:
    """A double border with stepped Art Deco corners."""
    outer = short * 0.05
    inner = short * 0.07
    draw.rectangle((outer, outer, width - outer, height - outer), outline=colour, width=line)
    draw.rectangle((inner, inner, width - inner, height - inner), outline=colour, width=line)
    step = short * 0.035
    for sx, sy in ((1, 1), (-1, 1), (1, -1), (-1, -1)):
        cx = inner if sx > 0 else width - inner
        cy = inner if sy > 0 else height - inner
        for k in (1, 2, 3):
            d = step * k
            draw.line((cx, cy + sy * d, cx + sx * d, cy + sy * d), fill=colour, width=line)
            draw.line((cx + sx * d, cy, cx + sx * d, cy + sy * d), fill=colour, width=line)
