"""Stable identities: which batch a job belongs to, and which item of it.

Both are written into every ledger reservation (``batch_id``, ``item_key``), so a re-run finds
each item's earlier jobs and never pays twice for the same line.

* An item with a ``name`` is that name (``name:intro``): the user chose its identity.
* Otherwise it is a hash of its resolved parameters (provider, model, seconds, size, prompt, and
  the reference image's bytes) plus its position among identical items (the 2nd copy of a line
  is a different video from the 1st). Not the line number: inserting a line above must not make
  every later item look new and be paid for again; editing a prompt does make a new item.
* The batch is named after the input file's absolute path (or the text, for stdin), or
  ``--batch-id``.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from video_gen import naming
from video_gen.errors import UsageError
from video_gen.types import GenerationRequest

_BATCH_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def params_digest(request: GenerationRequest, reference_sha256: str | None) -> str:
    """Hex digest of what decides the video: the resolved parameters, not how they were given."""
    canonical = {
        "provider": request.provider,
        "model": request.model,
        "seconds": request.seconds,
        "size": request.size,
        "prompt": request.prompt,
        "input_reference": reference_sha256,
        "extra": dict(sorted(request.extra.items())),
    }
    # Features added later enter the digest only when asked for, so items written before them
    # keep their keys (a resume must recognise them, or it would pay again).
    for name, value in (
        ("audio", request.audio),
        ("seed", request.seed),
        ("last_frame", str(request.last_frame) if request.last_frame else None),
    ):
        if value is not None:
            canonical[name] = value
    text = json.dumps(canonical, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def item_key(name: str | None, digest: str, occurrence: int) -> str:
    """``name:intro``, or ``p:<16 hex>`` (``occurrence`` counts identical items before it)."""
    if name is not None:
        return f"name:{name}"
    if occurrence == 0:
        return f"p:{digest[:16]}"
    mixed = hashlib.sha256(f"{digest}#{occurrence}".encode()).hexdigest()
    return f"p:{mixed[:16]}"


def batch_id(path: Path | None, text: str, flag: str | None) -> str:
    """``--batch-id``; else ``<stem>-<hash of the absolute path>``; stdin: ``stdin-<hash>``."""
    if flag is not None:
        value = flag.strip()
        if not _BATCH_ID.match(value):
            raise UsageError(
                f"--batch-id {flag!r} is not a usable id",
                hint="letters, digits, '.', '_' and '-' (at most 100), e.g. --batch-id launch-v2",
            )
        return value
    if path is None:
        return "stdin-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:10]
    absolute = str(path.expanduser().resolve())
    stem = naming.slugify(path.stem, max_len=30)
    return f"{stem}-{hashlib.sha256(absolute.encode('utf-8')).hexdigest()[:10]}"
