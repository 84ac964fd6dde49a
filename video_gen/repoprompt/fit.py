"""Budget levels: each prompt fitted under a token cap, counted with o200k_base.

Levels and caps (tokens per prompt; with ``--scenes N`` each clip's prompt has the cap):

==========  ====
ultra-low    120
low          250
medium       500
high        1000
==========  ====

Fitting is greedy by importance: the essential pieces (the look, the clip header) always, then
every other piece in priority order if the whole rendered prompt still fits, so the least
important material is what falls out. Levels are fitted from ``ultra-low`` upwards, each starting
from the pieces the level below kept; since a prompt's text depends only on its set of pieces,
those still fit under the larger cap, so each level names a superset of the symbols of the level
below. The final count is always of the exact text returned, and a prompt never exceeds its cap
(if even the essentials do not fit, they are cut at a word boundary).

Tokens are counted with tiktoken's ``o200k_base``, whose vocabulary tiktoken reads from
``$TIKTOKEN_CACHE_DIR`` (else ``$DATA_GYM_CACHE_DIR``, else ``<tmp>/data-gym-cache``) under the
name ``fb374d419588a4632f3f557e76b4b70aebbca790``. We check that file ourselves (present, right
SHA-256) before asking tiktoken, so tiktoken never goes to the network. Without it the count is
an estimate that never undercounts: the UTF-8 byte length (every o200k token is at least one
byte), and the result carries a warning saying so.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from video_gen.repoprompt.compose import P_ESSENTIAL, Piece

LEVELS: dict[str, int] = {"ultra-low": 120, "low": 250, "medium": 500, "high": 1000}
LEVEL_ORDER: tuple[str, ...] = ("ultra-low", "low", "medium", "high")
DEFAULT_LEVEL = "low"

ENCODING = "o200k_base"
VOCAB_FILE = "fb374d419588a4632f3f557e76b4b70aebbca790"  # sha1 of the vocabulary's URL
VOCAB_SHA256 = "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d"


class TokenCounter(Protocol):
    name: str
    exact: bool

    def count(self, text: str) -> int: ...

    def truncate(self, text: str, limit: int) -> str: ...


class TiktokenCounter:
    exact = True

    def __init__(self, encoding: Any) -> None:
        self.name = ENCODING
        self._enc = encoding

    def count(self, text: str) -> int:
        return len(self._enc.encode(text, disallowed_special=()))

    def truncate(self, text: str, limit: int) -> str:
        tokens = self._enc.encode(text, disallowed_special=())
        n = min(len(tokens), limit)
        while n > 0:
            cut = _word_cut(str(self._enc.decode(tokens[:n])))
            if self.count(cut) <= limit:
                return cut
            n -= 1
        return ""


class ByteEstimateCounter:
    """UTF-8 bytes: an upper bound of the o200k count, used when the vocabulary is missing."""

    exact = False
    name = "estimate (UTF-8 bytes, an upper bound of o200k_base)"

    def count(self, text: str) -> int:
        return len(text.encode("utf-8"))

    def truncate(self, text: str, limit: int) -> str:
        return _word_cut(text.encode("utf-8")[:limit].decode("utf-8", "ignore"))


def _word_cut(text: str) -> str:
    """Drop a trailing partial word (when a whole one can be dropped instead)."""
    stripped = text.rstrip()
    space = stripped.rfind(" ")
    if space > len(stripped) // 2 and not text.endswith((" ", "\n", ".")):
        return stripped[:space].rstrip(",;:")
    return stripped


def vocabulary_path() -> Path | None:
    """Where tiktoken looks for the cached o200k vocabulary (None: caching is switched off)."""
    if "TIKTOKEN_CACHE_DIR" in os.environ:
        folder = os.environ["TIKTOKEN_CACHE_DIR"]
    elif "DATA_GYM_CACHE_DIR" in os.environ:
        folder = os.environ["DATA_GYM_CACHE_DIR"]
    else:
        folder = os.path.join(tempfile.gettempdir(), "data-gym-cache")
    if not folder:
        return None  # tiktoken would download on every call
    return Path(folder) / VOCAB_FILE


@lru_cache(maxsize=4)
def _load(path: str) -> tuple[TokenCounter, str | None]:
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError:
        return ByteEstimateCounter(), (
            f"tokenizer vocabulary not found at {p}; token counts are estimates (UTF-8 bytes, "
            "never fewer than the real count), so prompts come out shorter than they could"
        )
    if hashlib.sha256(data).hexdigest() != VOCAB_SHA256:
        return ByteEstimateCounter(), (
            f"tokenizer vocabulary at {p} is damaged (wrong SHA-256); token counts are estimates"
            " (UTF-8 bytes)"
        )
    try:
        import tiktoken

        encoding = tiktoken.get_encoding(ENCODING)
    except Exception as exc:  # any tokenizer failure means: fall back, and say so
        return ByteEstimateCounter(), (
            f"tokenizer {ENCODING} could not be loaded ({type(exc).__name__}); token counts are"
            " estimates (UTF-8 bytes)"
        )
    return TiktokenCounter(encoding), None


def load_counter() -> tuple[TokenCounter, str | None]:
    """The o200k counter, or the byte estimate plus a warning explaining why."""
    path = vocabulary_path()
    if path is None:
        return ByteEstimateCounter(), (
            "TIKTOKEN_CACHE_DIR is empty (tokenizer caching off); token counts are estimates "
            "(UTF-8 bytes)"
        )
    return _load(str(path))


@dataclass(frozen=True)
class FittedPrompt:
    text: str
    tokens: int
    cap: int
    symbols: tuple[str, ...]  # ranked symbols named, in order of first appearance in the text
    kept: tuple[str, ...]  # piece keys
    dropped: tuple[str, ...]
    truncated: bool = False


Render = Callable[[Sequence[Piece]], str]


def _greedy(
    pieces: Sequence[Piece],
    pinned: Sequence[Piece],
    render: Render,
    counter: TokenCounter,
    cap: int,
) -> tuple[list[Piece], str, int]:
    chosen = list(pinned)
    text = render(chosen)
    tokens = counter.count(text)
    have = {p.key for p in chosen}
    for p in sorted(pieces, key=lambda p: (p.priority, p.key)):
        if p.key in have:
            continue
        trial_text = render([*chosen, p])
        trial_tokens = counter.count(trial_text)
        if trial_tokens <= cap:
            chosen.append(p)
            have.add(p.key)
            text, tokens = trial_text, trial_tokens
    return chosen, text, tokens


def fit(pieces: Sequence[Piece], render: Render, counter: TokenCounter, level: str) -> FittedPrompt:
    """The prompt for ``level``, built up through the levels below it (see the module doc)."""
    if level not in LEVELS:
        raise ValueError(level)
    essentials = [p for p in pieces if p.priority == P_ESSENTIAL]
    pinned: list[Piece] = essentials
    text, tokens, truncated = "", 0, False
    for name in LEVEL_ORDER[: LEVEL_ORDER.index(level) + 1]:
        cap = LEVELS[name]
        base_text = render(pinned)
        if counter.count(base_text) > cap:
            # Only the essentials are pinned at this point (anything else fitted a lower cap).
            text = counter.truncate(base_text, cap)
            tokens, truncated = counter.count(text), True
            continue
        pinned, text, tokens = _greedy(pieces, pinned, render, counter, cap)
        truncated = False
    kept = {p.key for p in pinned} if not truncated else {p.key for p in essentials}
    replaced = {p.replaces for p in pieces if p.key in kept and p.replaces}
    visible = [p for p in pieces if p.key in kept and p.key not in replaced]
    names: list[str] = []
    for p in sorted(visible, key=lambda p: text.find(p.text)):
        for s in p.symbols:
            if s not in names:
                names.append(s)
    return FittedPrompt(
        text=text,
        tokens=tokens,
        cap=LEVELS[level],
        symbols=tuple(names),
        kept=tuple(sorted(kept)),
        dropped=tuple(sorted(p.key for p in pieces if p.key not in kept)),
        truncated=truncated,
    )
