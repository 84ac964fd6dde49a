"""Resolving and checking every item before anything is spent.

Each raw item's missing fields come from the command line's defaults (then the environment, the
provider and the config, as for ``generate``); the result is checked against the model's
capabilities and priced. A problem names the file, line and field; the caller decides whether
any problem stops the batch (the default) or only skips its item (``--skip-invalid``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from video_gen import capabilities, pricing, resolve
from video_gen.batch.identity import item_key, params_digest
from video_gen.batch.items import Problem, RawItem
from video_gen.capabilities import ModelCapabilities
from video_gen.errors import UsageError, VideoGenError
from video_gen.providers import validate_request
from video_gen.types import Estimate, GenerationRequest


@dataclass(frozen=True)
class Defaults:
    """The command line's values for fields an item leaves out (None: not given)."""

    model: str | None = None
    seconds: int | None = None
    size: str | None = None
    provider: str | None = None
    input_reference: Path | None = None


@dataclass(frozen=True)
class ProviderInfo:
    """What validation needs of a provider, without opening a connection to it."""

    name: str
    kind: str
    config: Any  # video_gen.config.Config
    spec: Any  # video_gen.providers.ProviderSpec
    capabilities: Callable[[str], ModelCapabilities | None]
    prices: Sequence[pricing.PriceRow]


# ``lookup(None)`` is the default provider; an unknown name raises UsageError.
ProviderLookup = Callable[[str | None], ProviderInfo]


@dataclass(frozen=True)
class Item:
    """A valid item: its request resolved and priced, its identity fixed."""

    line: int
    name: str | None
    request: GenerationRequest
    estimate: Estimate
    key: str
    n: str  # the line number zero-padded: ``{n}`` in name templates

    @property
    def label(self) -> str:
        """How messages name the item: ``7`` or ``7 intro``."""
        return f"{self.line} {self.name}" if self.name else str(self.line)


@dataclass
class Validated:
    items: list[Item] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def validate(
    raw: Sequence[RawItem],
    defaults: Defaults,
    providers: ProviderLookup,
    *,
    source: str,
    base_dir: Path,
) -> Validated:
    """Resolve, check and price every item; ``input_reference`` is relative to ``base_dir``."""
    out = Validated()
    width = max(3, len(str(max((r.line for r in raw), default=0))))
    names: dict[str, int] = {}
    occurrences: dict[str, int] = {}
    for item in raw:
        problem: Problem | None = None
        if item.name is not None:
            if item.name in names:
                problem = Problem(
                    source,
                    item.line,
                    "name",
                    f"{item.name!r} is also the name of line {names[item.name]}",
                    "give every item its own name",
                )
            else:
                names[item.name] = item.line
        if problem is not None:
            out.problems.append(problem)
            continue
        checked = _check(item, defaults, providers, source, base_dir)
        if isinstance(checked, Problem):
            out.problems.append(checked)
            continue
        request, estimate, ref_sha = checked
        digest = params_digest(request, ref_sha)
        seen = occurrences.get(digest, 0)
        occurrences[digest] = seen + 1
        out.items.append(
            Item(
                line=item.line,
                name=item.name,
                request=request,
                estimate=estimate,
                key=item_key(item.name, digest, seen),
                n=str(item.line).zfill(width),
            )
        )
    return out


def _check(
    item: RawItem, defaults: Defaults, providers: ProviderLookup, source: str, base_dir: Path
) -> tuple[GenerationRequest, Estimate, str | None] | Problem:
    def problem(fld: str | None, exc: VideoGenError) -> Problem:
        return Problem(source, item.line, fld, exc.message, exc.hint)

    try:
        info = providers(item.provider or defaults.provider)
    except VideoGenError as exc:
        return problem("provider", exc)
    reference: Path | None = defaults.input_reference
    if item.input_reference is not None:
        reference = Path(item.input_reference).expanduser()
        if not reference.is_absolute():
            reference = base_dir / reference
    request = resolve.request(
        info.config,
        info.spec,
        item.prompt,
        model=item.model or defaults.model,
        seconds=item.seconds if item.seconds is not None else defaults.seconds,
        size=item.size or defaults.size,
        input_reference=reference,
    )
    caps = info.capabilities(request.model)
    try:
        validate_request(info.spec.api, request, caps)
    except UsageError as exc:
        exc.hint = _line_fix(exc.hint, item)
        return problem(_field_of(request, caps), exc)
    try:
        estimate = pricing.estimate(request, info.kind, info.prices, api=info.spec.api, caps=caps)
    except VideoGenError as exc:
        return problem("model", exc)
    ref_sha = None
    if request.input_reference is not None:
        ref_sha = hashlib.sha256(request.input_reference.read_bytes()).hexdigest()
    return request, estimate, ref_sha


_FLAG_FIELDS = {"--seconds": "seconds", "--size": "size", "--model": "model"}


def _line_fix(hint: str | None, item: RawItem) -> str | None:
    """A line's own field wins over the command line's flag (the flags are the defaults of
    lines without it), so a fix for a value the line set names the line, not the flag."""
    if not hint:
        return hint

    def fix(found: re.Match[str]) -> str:
        name = _FLAG_FIELDS[found.group(1)]
        if getattr(item, name) is None:
            return found.group(0)  # the value came from the flag: the flag fixes it
        return (
            f"set {name} to {found.group(2)} on line {item.line} (a line's own {name} wins"
            f" over {found.group(1)})"
        )

    return re.sub(r"(?:use )?(--seconds|--size|--model) (\S+?)(?=[\s,;)]|$)", fix, hint)


def _field_of(request: GenerationRequest, caps: ModelCapabilities | None) -> str:
    """Which field ``capabilities.validate`` refused (it raises with a message, not a field)."""
    if not request.prompt.strip() or len(request.prompt) > 32000:
        return "prompt"
    if request.seconds <= 0 or (
        caps is not None and caps.seconds is not None and request.seconds not in caps.seconds
    ):
        return "seconds"
    try:
        capabilities.parse_size(request.size)
    except UsageError:
        return "size"
    if caps is not None and caps.sizes is not None and request.size not in caps.sizes:
        return "size"
    return "input_reference"
