"""Output file names: a template filled with a timestamp and a slug of the prompt.

A name can never escape the output directory (separators and dot-segments are removed) and an
existing file is never overwritten: the file is linked into place under a name that is free.
"""

from __future__ import annotations

import contextlib
import os
import re
import string
import unicodedata
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from video_gen.errors import UsageError

FIELDS = ("date", "time", "slug", "id", "model", "seconds", "size", "n", "name")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_ACCESS = re.compile(r"[.\[]")
_SAMPLE = "sample"  # every field is filled with text (see ``render``)


def slugify(text: str, max_len: int = 40) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > max_len:
            break
        slug = candidate
    return slug or (words[0][:max_len] if words else "video")


BATCH_ONLY = ("n", "name")  # an item's number and its own name: a batch has them, one video not


def check_template(template: str, *, batch: bool = True) -> None:
    """Refuse a template that cannot be filled (before anything is paid): unknown or positional
    fields (``batch=False``: for one video, where ``{n}`` and ``{name}`` mean nothing too),
    attribute or index access, conversions other than !s/!r/!a, and format specs a text value
    does not take (every field is text: ``{n:03d}`` and ``{seconds:d}`` fail)."""
    allowed = FIELDS if batch else tuple(f for f in FIELDS if f not in BATCH_ONLY)
    fields_hint = (
        f"fields: {', '.join('{' + f + '}' for f in allowed)}; e.g. --name '{{date}}-{{slug}}'"
    )
    try:
        parsed = [
            (f, conv, spec)
            for _, f, spec, conv in string.Formatter().parse(template)
            if f is not None
        ]
    except ValueError as exc:
        raise UsageError(f"bad --name template {template!r}: {exc}", hint=fields_hint) from None
    names = [f for f, _, _ in parsed]
    if "" in names or any(n.isdigit() for n in names):
        raise UsageError(
            f"--name template {template!r} has a positional field ({{}} or {{0}})",
            hint=fields_hint,
        )
    unknown = sorted({n for n in names if n not in allowed and not _ACCESS.search(n)})
    if unknown:
        batch_only = [f for f in unknown if f in BATCH_ONLY]
        what = "unknown field(s)" if not batch_only else "field(s) only a batch item has"
        raise UsageError(
            f"--name template has {what}: {', '.join('{' + f + '}' for f in unknown)}",
            hint=fields_hint,
        )
    for name, conv, spec in parsed:
        if _ACCESS.search(name):
            raise UsageError(
                f"--name template field {{{name}}} uses attribute or index access",
                hint=fields_hint,
            )
        try:
            if conv is not None and conv not in ("s", "r", "a"):
                raise ValueError(f"unknown conversion !{conv}")
            if "{" in (spec or ""):
                raise ValueError("nested fields in a format spec")
            format(_SAMPLE, spec or "")
        except ValueError as exc:
            raise UsageError(
                f"--name template field {{{name}{'!' + conv if conv else ''}"
                f"{':' + spec if spec else ''}}} cannot be filled: {exc} (every field is text)",
                hint=f"drop the format spec, e.g. {{{name}}}; " + fields_hint,
            ) from None


def render(template: str, values: Mapping[str, Any], *, now: datetime | None = None) -> str:
    """The file stem for ``template``: safe as a single path component, never empty."""
    check_template(template)
    now = now or datetime.now(timezone.utc).astimezone()
    fields = {f: "" for f in FIELDS}
    fields.update({"date": now.strftime("%Y%m%d"), "time": now.strftime("%H%M%S")})
    fields.update({k: str(v) for k, v in values.items() if v is not None})
    stem = template.format(**fields)
    stem = _UNSAFE.sub("-", stem.replace(os.sep, "-").replace("/", "-"))
    stem = re.sub(r"-{2,}", "-", stem).strip("-.")
    return stem[:150] or "video"


def place(tmp: Path, directory: Path, stem: str, suffix: str) -> Path:
    """Move finished ``tmp`` into ``directory`` as ``stem+suffix`` (or ``stem-2+suffix`` ...).

    ``os.link`` fails when the name exists, so an existing file is never replaced, even by a
    concurrent process choosing the same name.
    """
    directory = directory.resolve()
    for n in range(1, 10_000):
        name = f"{stem}{suffix}" if n == 1 else f"{stem}-{n}{suffix}"
        target = (directory / name).resolve()
        if target.parent != directory:
            raise UsageError(
                f"refusing to write outside {directory}: {name}",
                hint="use a --name template without path separators",
            )
        try:
            os.link(tmp, target)
        except FileExistsError:
            continue
        except OSError:
            # No hard links here (some network or FAT file systems): exclusive-create the name
            # to claim it, then replace the claimed empty file.
            try:
                fd = os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                continue
            os.close(fd)
            os.replace(tmp, target)
            return target
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        return target
    raise UsageError(
        f"too many files named {stem}* in {directory}",
        hint="choose another --name template or --output-dir",
    )
