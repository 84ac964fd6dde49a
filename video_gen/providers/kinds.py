"""The provider-kind registry: kind name -> the module that implements it.

A *kind* is a request shape with its own client (``openai-videos``: any ``/v1/videos`` server;
``openrouter``; ``emulator``). Each kind is one module exposing ``KIND``, an object with the
``ProviderKind`` interface; it is registered here by name (built in) or by an entry point in the
group ``video_gen.providers`` (a plugin package: docs/providers.md#plugins). Adding a kind is one
module and one entry: nothing else in video-gen names a kind.

Modules are imported only when their kind is used, so ``video-gen --help`` stays fast.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from video_gen.errors import ConfigError

if TYPE_CHECKING:
    from video_gen.capabilities import ModelCapabilities
    from video_gen.client.transport import Transport
    from video_gen.providers import ProviderSpec
    from video_gen.providers.base import Provider
    from video_gen.types import GenerationRequest

ENTRY_POINT_GROUP = "video_gen.providers"

# Built-in kinds: name -> module (each exposes KIND).
BUILTIN: dict[str, str] = {
    "openai-videos": "video_gen.providers.openai_videos",
    "openrouter": "video_gen.providers.openrouter",
    "gemini": "video_gen.providers.gemini",
    "fal": "video_gen.providers.fal",
    "replicate": "video_gen.providers.replicate",
    "emulator": "video_gen.providers.emulator",
}

# Builds a transport for a kind's client: ``connect(base_url, auth=..., error_parser=...,
# secret_headers=...)``; the caller has bound timeouts, the retry policy and the retry hook.
Connect = Callable[..., "Transport"]


@dataclass(frozen=True)
class CheckResult:
    """What ``providers check`` found, as facts a user can act on."""

    name: str
    kind: str
    base_url: str
    endpoint: str  # the call that proved the key (or reachability)
    detail: str
    key_accepted: bool | None = True  # None: no key needed
    job_list: bool | None = None  # can a lost create be looked up there? None: not asked
    server: str | None = None  # what answered, when it said (e.g. "LiteLLM proxy 1.108.7")
    models: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class RequestPreview:
    """What ``--dry-run`` shows: the create as it would be sent."""

    method: str
    url: str
    body: Mapping[str, Any] = field(default_factory=dict)


@runtime_checkable
class ProviderKind(Protocol):
    """What a provider kind supplies. ``KindBase`` has sensible defaults for most of it."""

    # Read-only attributes (properties here, plain class attributes in a kind).
    @property
    def name(self) -> str: ...
    @property
    def description(self) -> str: ...
    @property
    def default_base_url(self) -> str: ...
    @property
    def default_key_env(self) -> str | None: ...
    @property
    def needs_key(self) -> bool: ...
    @property
    def size_style(self) -> str:
        """How the kind's models take a size: "pixels" (720x1280) or "resolution" (720p)."""

    @property
    def models_table(self) -> str | None:
        """The table of video_gen/data/models.toml with the kind's packaged models."""

    @property
    def remix_default(self) -> bool: ...

    def api(self, spec: ProviderSpec) -> str:
        """The API the provider speaks, which is what it is priced as (an emulator: the one it
        imitates)."""

    def open(self, spec: ProviderSpec, connect: Connect) -> Provider: ...

    def check(self, spec: ProviderSpec, connect: Connect) -> CheckResult:
        """One cheap call that spends nothing and proves the key."""

    def capabilities(self, spec: ProviderSpec, model: str) -> ModelCapabilities | None: ...

    def catalog(self, spec: ProviderSpec) -> list[str]:
        """Model ids known for this provider without asking it."""

    def validate(self, request: GenerationRequest, caps: ModelCapabilities | None) -> None:
        """Checks of the kind's own, after the generic ones (raise UsageError)."""

    def preview(self, spec: ProviderSpec, request: GenerationRequest) -> RequestPreview: ...

    def describe(self, spec: ProviderSpec) -> dict[str, Any]:
        """Extra fields for ``video-gen providers`` (e.g. an emulator's profile)."""

    def spec_defaults(self, name: str, table: Mapping[str, Any]) -> dict[str, Any]:
        """Defaults a ``[providers.NAME]`` table of this kind gets (e.g. a model)."""


class KindBase:
    """Defaults for a kind: override what differs."""

    name = ""
    description = ""
    default_base_url = ""
    default_key_env: str | None = None
    # Variables read, in order, when ``default_key_env`` is unset (optional for a plugin).
    fallback_key_envs: tuple[str, ...] = ()
    needs_key = True
    size_style = "pixels"
    models_table: str | None = None
    remix_default = True
    # The keys a [providers.NAME] table of this kind may hold besides the common ones (kind,
    # base_url, api_key, api_key_env, model, headers, models, free); others are refused as
    # typos. None (a plugin that does not say): not checked.
    table_keys: tuple[str, ...] | None = None

    def api(self, spec: ProviderSpec) -> str:
        return self.name

    def capabilities(self, spec: ProviderSpec, model: str) -> ModelCapabilities | None:
        from video_gen.capabilities import packaged

        return spec.declared_models().get(model) or packaged(model, self)

    def catalog(self, spec: ProviderSpec) -> list[str]:
        from video_gen.capabilities import known_models

        return known_models(self)

    def validate(self, request: GenerationRequest, caps: ModelCapabilities | None) -> None:
        return None

    def describe(self, spec: ProviderSpec) -> dict[str, Any]:
        return {}

    def spec_defaults(self, name: str, table: Mapping[str, Any]) -> dict[str, Any]:
        return {}


_loaded: dict[str, ProviderKind] = {}


def _entry_points() -> dict[str, Any]:
    from importlib.metadata import entry_points

    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def names() -> list[str]:
    """Every kind: built in first, then installed plugins."""
    return list(BUILTIN) + sorted(n for n in _entry_points() if n not in BUILTIN)


def origin(name: str) -> str:
    """``built in``, or the distribution a plugin kind comes from."""
    if name in BUILTIN:
        return "built in"
    ep = _entry_points().get(name)
    dist = getattr(ep, "dist", None)
    return f"plugin {dist.name} {dist.version}" if dist is not None else "plugin"


def get(name: str) -> ProviderKind:
    """The kind named ``name`` (ConfigError naming the known ones otherwise)."""
    if name in _loaded:
        return _loaded[name]
    target: Any
    if name in BUILTIN:
        target = importlib.import_module(BUILTIN[name])
    else:
        ep = _entry_points().get(name)
        if ep is None:
            raise ConfigError(
                f"unknown provider kind {name!r}",
                hint=f"use one of: {', '.join(names())} (or install the plugin that provides it)",
            )
        try:
            target = ep.load()
        except Exception as exc:  # a broken plugin must not look like a video-gen bug
            raise ConfigError(
                f"the plugin for provider kind {name!r} failed to load: {exc}",
                hint="reinstall or upgrade the plugin package",
            ) from None
    kind = getattr(target, "KIND", target)
    if not isinstance(kind, ProviderKind):
        raise ConfigError(
            f"provider kind {name!r} does not implement the provider-kind interface",
            hint="see docs/providers.md#plugins",
        )
    _loaded[name] = kind
    return kind
