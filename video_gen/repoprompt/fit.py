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

Tokens are counted with tiktoken's ``o200k_base``. Its vocabulary ships inside the package,
gzipped (``video_gen/data/o200k_base.tiktoken.gz``): it is checked against the SHA-256 tiktoken
itself expects and handed to ``tiktoken.Encoding`` directly, so there is no download and no cache
folder. The counter is lazy: nothing is decompressed until a cap must actually be checked (a warm
run whose fitted prompts are cached never loads it). If the packaged file is damaged the count is
an estimate that never undercounts: the UTF-8 byte length (every o200k token is at least one
byte), and the result carries a warning saying so.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, Protocol

from video_gen.repoprompt.compose import P_ESSENTIAL, Piece

LEVELS: dict[str, int] = {"ultra-low": 120, "low": 250, "medium": 500, "high": 1000}
LEVEL_ORDER: tuple[str, ...] = ("ultra-low", "low", "medium", "high")
DEFAULT_LEVEL = "low"

ENCODING = "o200k_base"
VOCAB_RESOURCE = "o200k_base.tiktoken.gz"
# SHA-256 of the uncompressed vocabulary: the hash tiktoken's own loader checks it against.
VOCAB_SHA256 = "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d"
# From tiktoken's tiktoken_ext/openai_public.py (o200k_base): the pre-tokenizer pattern and the
# special tokens. Copied rather than imported: calling o200k_base() there would download.
O200K_PAT_STR = "|".join(
    [
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""\p{N}{1,3}""",
        r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
        r"""\s*[\r\n]+""",
        r"""\s+(?!\S)""",
        r"""\s+""",
    ]
)
O200K_SPECIAL_TOKENS = {"<|endoftext|>": 199999, "<|endofprompt|>": 200018}


class TokenCounter(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def exact(self) -> bool: ...

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


def parse_vocabulary(data: bytes) -> dict[bytes, int]:
    """tiktoken's ``.tiktoken`` format: one ``<base64 token> <rank>`` per line."""
    ranks: dict[bytes, int] = {}
    b64 = base64.b64decode
    for line in data.splitlines():
        if line:
            token, rank = line.split()
            ranks[b64(token)] = int(rank)
    return ranks


def counter_from_vocabulary(data: bytes) -> tuple[TokenCounter, str | None]:
    """The o200k counter for the uncompressed vocabulary ``data``, or the byte estimate and a
    warning when ``data`` is not the right file or tiktoken fails."""
    if hashlib.sha256(data).hexdigest() != VOCAB_SHA256:
        return ByteEstimateCounter(), (
            "the packaged tokenizer vocabulary is damaged (wrong SHA-256); token counts are"
            " estimates (UTF-8 bytes, never fewer than the real count); reinstall video-gen"
        )
    try:
        import tiktoken

        encoding = tiktoken.Encoding(
            name=ENCODING,
            pat_str=O200K_PAT_STR,
            mergeable_ranks=parse_vocabulary(data),
            special_tokens=O200K_SPECIAL_TOKENS,
        )
    except Exception as exc:  # any tokenizer failure means: fall back, and say so
        return ByteEstimateCounter(), (
            f"tokenizer {ENCODING} could not be loaded ({type(exc).__name__}); token counts are"
            " estimates (UTF-8 bytes)"
        )
    return TiktokenCounter(encoding), None


def read_packaged_vocabulary() -> bytes:
    """The packaged vocabulary, uncompressed (empty when it cannot be read)."""
    try:
        raw = resources.files("video_gen.data").joinpath(VOCAB_RESOURCE).read_bytes()
        return gzip.decompress(raw)
    except (OSError, EOFError, gzip.BadGzipFile):
        return b""


@lru_cache(maxsize=1)
def _packaged() -> tuple[TokenCounter, str | None]:
    return counter_from_vocabulary(read_packaged_vocabulary())


class LazyCounter:
    """The packaged o200k counter, loaded on first use (about 0.3 s and 70 MiB), so a run whose
    prompts need no counting never pays for it. ``exact``/``name`` load it too: they answer
    what the real counter is."""

    def __init__(self) -> None:
        self._real: TokenCounter | None = None
        self.warning: str | None = None

    @property
    def loaded(self) -> bool:
        return self._real is not None

    def _get(self) -> TokenCounter:
        if self._real is None:
            self._real, self.warning = _packaged()
        return self._real

    @property
    def name(self) -> str:
        return self._get().name

    @property
    def exact(self) -> bool:
        return self._get().exact

    def count(self, text: str) -> int:
        return self._get().count(text)

    def truncate(self, text: str, limit: int) -> str:
        return self._get().truncate(text, limit)


def load_counter() -> tuple[TokenCounter, str | None]:
    """The o200k counter (loaded now), or the byte estimate plus a warning explaining why."""
    return _packaged()


@dataclass(frozen=True)
class FittedPrompt:
    text: str
    tokens: int
    cap: int
    symbols: tuple[str, ...]  # ranked symbols named, in order of first appearance in the text
    kept: tuple[str, ...]  # piece keys
    dropped: tuple[str, ...]
    truncated: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "tokens": self.tokens,
            "cap": self.cap,
            "symbols": list(self.symbols),
            "kept": list(self.kept),
            "dropped": list(self.dropped),
            "truncated": self.truncated,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> FittedPrompt:
        return cls(
            str(d["text"]),
            int(d["tokens"]),
            int(d["cap"]),
            tuple(d["symbols"]),
            tuple(d["kept"]),
            tuple(d["dropped"]),
            bool(d["truncated"]),
        )


FIT_VERSION = 1  # bump when fit() or render() change for the same pieces


def fit_key(pieces: Sequence[Piece], level: str, seconds: int) -> str:
    """A key for one fitting: the pieces (every field), the level and the clip length."""
    data = [
        FIT_VERSION,
        ENCODING,
        VOCAB_SHA256,
        level,
        seconds,
        [list(vars(p).values()) for p in pieces],
    ]
    raw = json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=list)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


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
    # A piece's causes come before it at the same priority (fewer requirements first).
    for p in sorted(pieces, key=lambda p: (p.priority, len(p.requires), p.key)):
        if p.key in have or not have.issuperset(p.requires):
            continue  # kept already, or its cause was dropped: never a payoff without it
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
