"""Named providers: what the config declares, and how to open and check one.

Built in: ``openai`` (the ``[api]`` settings: any ``/v1/videos`` server) and ``emulator`` (the
built-in emulator, started in-process). More come from ``[providers.NAME]`` tables, each with a
``kind`` from the registry (``kinds.py``): everything kind-specific is asked of the kind, so
nothing here names one.

A table may declare what its models accept (``[providers.NAME.models."MODEL"]`` with ``seconds``,
``sizes``, or for resolution-style kinds ``resolutions`` and ``aspect_ratios``): validation then
follows the server instead of the packaged lists (``capabilities_for``).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from video_gen.config import Config
from video_gen.errors import (
    APIConnectionError,
    APIError,
    AuthenticationError,
    ConfigError,
    UsageError,
)
from video_gen.providers import kinds
from video_gen.providers.base import ContentStream, Provider
from video_gen.providers.kinds import CheckResult, Connect, ProviderKind, RequestPreview

if TYPE_CHECKING:
    from video_gen.capabilities import ModelCapabilities

__all__ = [
    "CheckResult",
    "Connect",
    "ContentStream",
    "Provider",
    "ProviderKind",
    "ProviderSpec",
    "RequestPreview",
    "capabilities_for",
    "check",
    "models_of",
    "open_provider",
    "spec_for",
    "specs",
    "validate_request",
]

# Keys of a [providers.NAME] table that are not passed on as options.
_SPEC_KEYS = ("kind", "base_url", "api_key", "api_key_env", "model", "headers")


@dataclass(frozen=True)
class ProviderSpec:
    name: str
    kind: str
    base_url: str
    api_key: str | None = field(default=None, repr=False)
    key_source: str = ""  # where the key came from, for `providers` listings (never the key)
    key_hint: str = ""  # how to set it
    model: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def impl(self) -> ProviderKind:
        return kinds.get(self.kind)

    @property
    def needs_key(self) -> bool:
        return self.impl.needs_key

    @property
    def api(self) -> str:
        """The API it speaks, which is what it is priced as (an emulator: the one it plays)."""
        return self.impl.api(self)

    @property
    def emulated(self) -> bool:
        """Its jobs cost nothing (the built-in emulator, unless its table says ``priced``).
        Optional for a kind: one without ``emulated(spec)`` is a real, paid service."""
        check = getattr(self.impl, "emulated", None)
        return bool(check(self)) if callable(check) else False

    def declared_models(self) -> dict[str, ModelCapabilities]:
        """The capabilities declared in ``[providers.NAME.models."MODEL"]`` tables."""
        from video_gen.capabilities import ModelCapabilities

        tables = self.options.get("models") or {}
        if not isinstance(tables, Mapping):
            raise ConfigError(
                f"[providers.{self.name}.models] must be a table of models",
                hint=f'e.g. [providers.{self.name}.models."wan-2.2"] seconds = "any"',
            )
        out: dict[str, ModelCapabilities] = {}
        for model, data in tables.items():
            if not isinstance(data, Mapping):
                raise ConfigError(
                    f'[providers.{self.name}.models."{model}"] must be a table',
                    hint='e.g. seconds = [5, 10] and sizes = ["832x480"]',
                )
            out[str(model)] = ModelCapabilities.from_data(str(model), data, self.shape_kind())
        return out

    def shape_kind(self) -> ProviderKind:
        """The kind whose request shape this provider's models take (an emulator: the one it
        plays)."""
        return kinds.get(self.api)


def specs(config: Config) -> dict[str, ProviderSpec]:
    out: dict[str, ProviderSpec] = {}
    key, source = _builtin_key(config)
    out["openai"] = ProviderSpec(
        name="openai",
        kind="openai-videos",
        base_url=str(config.value("api.base_url")),
        api_key=key,
        key_source=source,
        key_hint="export OPENAI_API_KEY=... (or: video-gen config set api.key ...)",
        headers={
            "OpenAI-Organization": str(config.value("api.organization") or ""),
            "OpenAI-Project": str(config.value("api.project") or ""),
        },
    )
    out["emulator"] = ProviderSpec(
        name="emulator", kind="emulator", base_url="(in-process)", key_source="not needed"
    )
    for name, table in sorted(config.table("providers").items()):
        out[name] = _named(name, table)
    return out


def _named(name: str, table: Any) -> ProviderSpec:
    if not isinstance(table, dict):
        raise ConfigError(
            f"[providers.{name}] must be a table",
            hint=f'write it as [providers.{name}] with kind = "...": see docs/providers.md',
        )
    kind_name = str(table.get("kind", "openai-videos"))
    try:
        kind = kinds.get(kind_name)
    except ConfigError as exc:
        raise ConfigError(f"[providers.{name}]: {exc.message}", hint=exc.hint) from None
    _check_keys(name, table, kind)
    table = {**kind.spec_defaults(name, table), **table}
    # A key written in the table wins over the kind's usual variable (two accounts, two tables).
    env = table.get("api_key_env") or (None if table.get("api_key") else kind.default_key_env)
    key = os.environ.get(str(env)) if env else None
    if not key and env and not table.get("api_key_env"):
        # A kind may read a second variable when its usual one is unset (Gemini: GOOGLE_API_KEY).
        for other in getattr(kind, "fallback_key_envs", ()):
            if os.environ.get(other):
                env, key = other, os.environ[other]
                break
    source = f"env {env}" if key else ""
    if not key and table.get("api_key"):
        key, source = str(table["api_key"]), "config file"
    if not kind.needs_key:
        source = "not needed"
    headers = table.get("headers") or {}
    if not isinstance(headers, dict):
        raise ConfigError(
            f"[providers.{name}] headers must be a table", hint='headers = { "X-Team" = "video" }'
        )
    model = table.get("model") or None
    return ProviderSpec(
        name=name,
        kind=kind_name,
        base_url=str(table.get("base_url") or kind.default_base_url),
        api_key=key,
        key_source=source,
        key_hint=(
            f"export {env}=..." if env else f"video-gen config set providers.{name}.api_key ..."
        ),
        model=str(model) if model else None,
        headers={str(k): str(v) for k, v in headers.items()},
        options={k: v for k, v in table.items() if k not in _SPEC_KEYS},
    )


COMMON_KEYS = (*_SPEC_KEYS, "models", "free")


def _check_keys(name: str, table: Mapping[str, Any], kind: Any) -> None:
    """Refuse a key this kind does not read (a typo would silently do nothing: ``api_kye``
    leaves the provider without its key, ``job_second`` the emulator at its default)."""
    import difflib

    extra = getattr(kind, "table_keys", None)
    if extra is None:
        return
    known = [*COMMON_KEYS, *extra]
    for key in table:
        if key in known:
            continue
        close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.5)
        guess = f"did you mean {close[0]}? " if close else ""
        raise ConfigError(
            f"unknown key {key!r} in [providers.{name}] (kind {kind.name}): it would be ignored,"
            " so it is refused",
            hint=f"{guess}keys of this kind: {', '.join(known)} (docs/providers.md)",
        )
    free = table.get("free")
    if free is not None and not isinstance(free, bool):
        raise ConfigError(
            f"[providers.{name}] free is {free!r}: true or false",
            hint="free = true only for a server that never charges (your own GPU)",
        )


def _builtin_key(config: Config) -> tuple[str | None, str]:
    for env in ("OPENAI_API_KEY", "SORA_API_KEY"):
        if os.environ.get(env):
            return os.environ[env], f"env {env}"
    stored = config.raw("api.key")
    if stored:
        return str(stored), "config file"
    return None, ""


def spec_for(config: Config, name: str) -> ProviderSpec:
    all_specs = specs(config)
    if name not in all_specs:
        raise UsageError(
            f"unknown provider {name!r}",
            hint=f"use one of: {', '.join(sorted(all_specs))}, or add"
            f" [providers.{name}] to the config",
        )
    return all_specs[name]


def _ready(spec: ProviderSpec) -> None:
    if spec.needs_key and not spec.api_key:
        raise ConfigError(f"no API key for provider {spec.name!r}", hint=spec.key_hint)
    if not spec.base_url:
        raise ConfigError(
            f"provider {spec.name!r} has no base_url",
            hint=f"video-gen config set providers.{spec.name}.base_url URL",
        )


def open_provider(spec: ProviderSpec, connect: Connect) -> Provider:
    """Open ``spec``. ``connect`` builds a transport (timeouts, retry policy, retry hook bound)."""
    _ready(spec)
    spec.declared_models()  # a bad declaration is a config error before anything is sent
    provider = spec.impl.open(spec, connect)
    if spec.options.get("free") is True:
        # Read by the job layer: this provider's reported cost of 0 is believed (docs).
        with contextlib.suppress(AttributeError):
            provider.free = True  # type: ignore[attr-defined]
    return provider


def capabilities_for(spec: ProviderSpec, model: str) -> ModelCapabilities | None:
    """What ``model`` takes on this provider (declared, else packaged), without opening it:
    the same answer the opened provider gives (``Provider.capabilities``)."""
    return spec.impl.capabilities(spec, model)


def models_of(spec: ProviderSpec) -> dict[str, ModelCapabilities | None]:
    """The models known for ``spec`` and what they take (None: nothing known, the server decides):
    its declared models, its default model and the kind's catalog."""
    declared = spec.declared_models()
    out: dict[str, ModelCapabilities | None] = {
        m: capabilities_for(spec, m) for m in spec.impl.catalog(spec)
    }
    out.update(declared)
    if spec.model and spec.model not in out:
        out[spec.model] = capabilities_for(spec, spec.model)
    return out


def preview(spec: ProviderSpec, request: Any) -> RequestPreview:
    return spec.impl.preview(spec, request)


def validate_request(api: str, request: Any, caps: ModelCapabilities | None) -> None:
    """Every check before a create: the generic ones against ``caps``, then the kind's own
    (``api``: the kind whose API is spoken, so an emulator is checked as what it plays)."""
    from video_gen import capabilities

    capabilities.validate(request, caps)
    kinds.get(api).validate(request, caps)


def check(spec: ProviderSpec, connect: Connect) -> CheckResult:
    """One cheap authenticated call that spends nothing (the kind's own), with what works said
    in the error when it fails: refused key -> exit 3, unreachable -> 7, refused call -> 4."""
    _ready(spec)
    try:
        return spec.impl.check(spec, connect)
    except AuthenticationError as exc:
        exc.message = f"provider {spec.name!r} is reachable but refused the key: {exc.message}"
        exc.hint = spec.key_hint
        raise
    except APIConnectionError as exc:
        exc.message = f"provider {spec.name!r} is unreachable: {exc.message}"
        raise
    except APIError as exc:
        exc.message = (
            f"provider {spec.name!r} is reachable, but its check call was refused: {exc.message}"
        )
        if exc.status == 404:
            exc.hint = (
                f"check its base_url ({spec.base_url}): it is the API root that the kind's"
                " paths are appended to (docs/providers.md)"
            )
        raise
