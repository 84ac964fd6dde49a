"""Prices and cost estimates: a packaged, versioned table plus the user's overrides.

The table is data (``video_gen/data/prices.toml``); rows in the config's ``[[prices]]`` win over
it. A model with no known price is refused (``BudgetError``), never spent on silently.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any

from video_gen.errors import BudgetError
from video_gen.types import Estimate, GenerationRequest

if TYPE_CHECKING:
    from video_gen.capabilities import ModelCapabilities


@dataclass(frozen=True)
class PriceRow:
    """A price: USD per second for a provider kind's model, optionally only at one size or
    resolution and with or without sound (Veo bills audio; OpenRouter prices by both). Models
    billed per video (some on fal and Replicate) have ``usd_per_video`` instead (or as well: a
    flat part plus a per-second part).

    An emulator is priced like the API it imitates (``api``): a model with no price is refused
    as on the real server; its jobs are then recorded at 0 USD (``emulated``) unless its table
    says ``priced = true``, when budgets behave exactly as against a paid server. Rows for kind
    "emulator" still apply to it.
    """

    provider: str  # provider kind or "*"
    model: str  # glob
    size: str  # glob over WIDTHxHEIGHT or resolution
    usd_per_second: float
    source: str
    as_of: str
    origin: str  # "packaged" or "config"
    resolution: str = "*"  # glob over 720p, 1080p ...
    audio: bool | None = None  # None: with or without sound
    usd_per_video: float = 0.0  # a flat price per video, added to the per-second part

    def cost(self, seconds: int) -> float:
        return round(self.usd_per_second * seconds + self.usd_per_video, 6)

    def matches(
        self,
        kind: str,
        model: str,
        size: str,
        api: str | None = None,
        *,
        audio: bool | None = None,
    ) -> bool:
        kinds = {kind, api or kind}
        return (
            (self.provider == "*" or self.provider in kinds)
            and fnmatchcase(model, self.model)
            and fnmatchcase(size, self.size)
            and (self.resolution == "*" or fnmatchcase(_resolution(size), self.resolution))
            and (self.audio is None or self.audio == bool(audio))
        )

    def specificity(self) -> tuple[int, int, int, int, int, int]:
        return (
            self.origin == "config",
            "*" not in self.model and "?" not in self.model,
            self.size != "*",
            self.resolution != "*",
            self.audio is not None,
            self.provider != "*",
        )


def _resolution(size: str) -> str:
    """``720p`` for 720x1280, 1280x720, 720p and 720p@9:16; "" when it is neither."""
    from video_gen.capabilities import parse_resolution_size
    from video_gen.errors import UsageError

    try:
        return parse_resolution_size(size).resolution
    except UsageError:
        return ""


ROW_KEYS = (
    "provider",
    "model",
    "size",
    "usd_per_second",
    "usd_per_video",
    "source",
    "as_of",
    "resolution",
    "audio",
)
# A price above these is a typo (an extra zero or three), not a price: refused like the
# config's absurd budget limits, as it would make every estimate absurd.
MAX_USD_PER_SECOND = 1_000.0
MAX_USD_PER_VIDEO = 100_000.0


def _price(data: Mapping[str, Any], key: str, cap: float) -> float:
    """A price field: a number (not true, not "0.05"), finite, between 0 and ``cap``."""
    import math

    value = data.get(key, 0.0)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{key} is {value!r}, not a number")
    if not math.isfinite(value) or not 0 <= value <= cap:
        raise ValueError(f"{key} is {value!r}: a price is a finite amount from 0 to {cap:g}")
    return float(value)


def _row(data: Mapping[str, Any], origin: str) -> PriceRow:
    try:
        if "usd_per_second" not in data and "usd_per_video" not in data:
            raise KeyError("usd_per_second")
        unknown = sorted(str(k) for k in data if k not in ROW_KEYS)
        if unknown:
            import difflib

            close = difflib.get_close_matches(unknown[0], ROW_KEYS, n=1, cutoff=0.5)
            guess = f" (did you mean {close[0]}?)" if close else ""
            raise ValueError(f"unknown key {unknown[0]!r}{guess}")
        return PriceRow(
            provider=str(data.get("provider", "*")),
            model=str(data["model"]),
            size=str(data.get("size", "*")),
            usd_per_second=_price(data, "usd_per_second", MAX_USD_PER_SECOND),
            usd_per_video=_price(data, "usd_per_video", MAX_USD_PER_VIDEO),
            source=str(data.get("source", "config file" if origin == "config" else "")),
            as_of=str(data.get("as_of", "")),
            origin=origin,
            resolution=str(data.get("resolution", "*")),
            audio=_audio(data.get("audio")),
        )
    except (KeyError, TypeError, ValueError) as exc:
        from video_gen.errors import ConfigError

        model = data.get("model") if isinstance(data, Mapping) else None
        which = f" (model {model!r})" if model else ""
        raise ConfigError(
            f"a [[prices]] row{which} is missing or has a bad field: {exc}",
            hint='each row needs model = "..." and usd_per_second = 0.10 (or usd_per_video = 0.50)',
        ) from None


def _audio(value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise ValueError(f"audio must be true or false, not {value!r}")


def packaged_rows() -> list[PriceRow]:
    from video_gen import data

    return [_row(r, "packaged") for r in data.load("prices.toml").get("price", [])]


def table_version() -> str:
    from video_gen import data

    table = data.load("prices.toml")
    return f"v{table.get('schema_version', 1)} ({table.get('as_of', '?')})"


def rows(overrides: Iterable[Mapping[str, Any]] = ()) -> list[PriceRow]:
    return [_row(r, "config") for r in overrides] + packaged_rows()


def find(
    kind: str,
    model: str,
    size: str,
    table: Iterable[PriceRow],
    *,
    api: str | None = None,
    audio: bool | None = None,
) -> PriceRow | None:
    """The most specific row for a provider of ``kind`` speaking ``api``. A dated snapshot
    (``sora-2-2025-10-06``) with no row of its own is priced as its base model (``sora-2``)."""
    from video_gen.capabilities import snapshot_base

    rows = list(table)
    best: PriceRow | None = None
    for row in rows:
        if row.matches(kind, model, size, api, audio=audio) and (
            best is None or row.specificity() > best.specificity()
        ):
            best = row
    base = snapshot_base(model)
    if best is None and base != model:
        return find(kind, base, size, rows, api=api, audio=audio)
    return best


def estimate(
    request: GenerationRequest,
    kind: str,
    table: Iterable[PriceRow],
    *,
    api: str | None = None,
    caps: ModelCapabilities | None = None,
) -> Estimate:
    """The expected cost of ``request``; raises BudgetError when the model has no price.

    Sound not asked for either way is priced as the model makes it by default (``caps``): Veo
    makes and bills sound unless told not to.
    """
    audio = request.audio
    if audio is None and caps is not None and caps.audio:
        audio = caps.audio_default
    row = find(kind, request.model, request.size, table, api=api, audio=audio)
    if row is None:
        raise BudgetError(
            f"no known price for model {request.model!r} ({request.size}) on provider"
            f" {request.provider!r}: video-gen will not spend on it blindly",
            hint="add its price to the config: video-gen config set-price"
            f" {request.model} USD_PER_SECOND (or a [[prices]] row, see docs/configuration.md)",
        )
    where = "config" if row.origin == "config" else "packaged table"
    source = f"{where}: {row.source}" + (f", {row.as_of}" if row.as_of else "")
    if row.audio is not None:
        source += ", with sound" if row.audio else ", without sound"
    if row.usd_per_video:
        source += f", {row.usd_per_video:g} USD per video"
    usd = row.cost(request.seconds)
    return Estimate(
        usd=usd,
        usd_per_second=round(usd / request.seconds, 6) if request.seconds else 0.0,
        source=source,
    )


def emulated(found: Estimate) -> Estimate:
    """An emulated job's estimate: 0 USD, saying what the API it plays would have charged."""
    return Estimate(
        usd=0.0,
        usd_per_second=0.0,
        source=f"emulated, no cost (the API it plays: {found.usd:.2f} USD; {found.source})",
    )
