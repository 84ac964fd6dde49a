"""The provider registry: named providers from the config, and how to open one.

Built in: ``openai`` (the ``[api]`` settings: any ``/v1/videos`` server) and ``emulator`` (the
built-in emulator, started in-process). More come from ``[providers.NAME]`` tables, each with a
``kind`` (``KINDS``); adding a kind is adding a provider module and a branch in ``open_provider``.

A table may declare what its models accept (``[providers.NAME.models."MODEL"]`` with ``seconds``,
``sizes``, or for OpenRouter ``resolutions`` and ``aspect_ratios``): validation then follows the
server instead of Sora's fixed lists (``capabilities_for``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from video_gen.config import Config
from video_gen.errors import ConfigError, UsageError
from video_gen.providers.base import ContentStream, Provider

if TYPE_CHECKING:
    from video_gen.capabilities import Api, ModelCapabilities
    from video_gen.providers.emulator import EmulatorProvider

__all__ = [
    "KINDS",
    "ContentStream",
    "Provider",
    "ProviderSpec",
    "capabilities_for",
    "open_provider",
    "spec_for",
    "specs",
]

KINDS = ("openai-videos", "openrouter", "emulator")
DEFAULT_BASE_URLS = {"openrouter": "https://openrouter.ai/api/v1"}
DEFAULT_KEY_ENVS = {"openrouter": "OPENROUTER_API_KEY"}
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
    headers: Mapping[str, str] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def needs_key(self) -> bool:
        return self.kind != "emulator"

    @property
    def api(self) -> Api:
        """The request shape it speaks: an emulator speaks its profile's."""
        if self.kind == "openrouter" or (
            self.kind == "emulator" and self.options.get("profile") == "openrouter"
        ):
            return "openrouter"
        return "openai-videos"

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
            out[str(model)] = ModelCapabilities.from_data(str(model), data, api=self.api)
        return out


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
        raise ConfigError(f"[providers.{name}] must be a table")
    kind = str(table.get("kind", "openai-videos"))
    if kind not in KINDS:
        raise ConfigError(
            f"[providers.{name}] has unknown kind {kind!r}",
            hint=f"use one of: {', '.join(KINDS)}",
        )
    # A key written in the table wins over the kind's usual variable (two accounts, two tables).
    env = table.get("api_key_env") or (None if table.get("api_key") else DEFAULT_KEY_ENVS.get(kind))
    key = os.environ.get(str(env)) if env else None
    source = f"env {env}" if key else ""
    if not key and table.get("api_key"):
        key, source = str(table["api_key"]), "config file"
    if kind == "emulator":
        source = "not needed"
    headers = table.get("headers") or {}
    if not isinstance(headers, dict):
        raise ConfigError(
            f"[providers.{name}] headers must be a table", hint='headers = { "X-Team" = "video" }'
        )
    model = table.get("model") or None
    if kind == "emulator" and model is None and table.get("profile"):
        model = _profile_default_model(name, str(table["profile"]))
    return ProviderSpec(
        name=name,
        kind=kind,
        base_url=str(
            table.get("base_url")
            or ("(in-process)" if kind == "emulator" else DEFAULT_BASE_URLS.get(kind, ""))
        ),
        api_key=key,
        key_source=source,
        key_hint=(
            f"export {env}=..." if env else f"video-gen config set providers.{name}.api_key ..."
        ),
        model=str(model) if model else None,
        headers={str(k): str(v) for k, v in headers.items()},
        options={k: v for k, v in table.items() if k not in _SPEC_KEYS},
    )


def _profile_default_model(name: str, profile: str) -> str | None:
    """An emulator playing a server defaults to that server's model (Wan on vLLM-Omni ...)."""
    from video_gen.emulator.profiles import PROFILES

    found = PROFILES.get(profile)
    if found is None:
        raise ConfigError(
            f"[providers.{name}] has unknown emulator profile {profile!r}",
            hint=f"use one of: {', '.join(PROFILES)}",
        )
    # The openai profile serves Sora, which defaults.model already names.
    return None if found.default_model == "sora-2" else found.default_model


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


ClientFactory = Callable[[str, str], Any]


def open_provider(spec: ProviderSpec, client_factory: ClientFactory) -> Provider:
    """Open ``spec``. ``client_factory(base_url, key)`` builds the HTTP client (timeouts, hooks)."""
    if spec.needs_key and not spec.api_key:
        raise ConfigError(f"no API key for provider {spec.name!r}", hint=spec.key_hint)
    models = spec.declared_models()
    if spec.kind == "emulator":
        return _open_emulator(spec, client_factory, models)
    if not spec.base_url:
        raise ConfigError(
            f"provider {spec.name!r} has no base_url",
            hint=f"video-gen config set providers.{spec.name}.base_url URL",
        )
    client = client_factory(spec.base_url, spec.api_key or "")
    if spec.headers:
        client.session.headers.update({k: v for k, v in spec.headers.items() if v})
    if spec.kind == "openai-videos":
        from video_gen.providers.openai_videos import OpenAIVideosProvider

        return OpenAIVideosProvider(
            spec.name, client, models=models, remix=bool(spec.options.get("remix", True))
        )
    if spec.kind == "openrouter":
        from video_gen.client.openrouter import OpenRouterClient
        from video_gen.providers.openrouter import OpenRouterProvider

        return OpenRouterProvider(
            spec.name, OpenRouterClient(client, auth_hint=spec.key_hint), models=models
        )
    raise ConfigError(f"provider kind {spec.kind!r} is not supported")


def _open_emulator(
    spec: ProviderSpec, client_factory: ClientFactory, models: Mapping[str, ModelCapabilities]
) -> EmulatorProvider:
    from video_gen.providers.emulator import EmulatorProvider

    job_seconds = spec.options.get("job_seconds")
    return EmulatorProvider(
        spec.name,
        client_factory,
        profile=str(spec.options.get("profile", "openai")),
        job_seconds=float(job_seconds) if job_seconds is not None else None,
        faults=str(spec.options.get("faults", "")),
        models=models,
    )


def capabilities_for(spec: ProviderSpec, model: str) -> ModelCapabilities | None:
    """Capabilities declared for ``model`` in the provider's config, else the packaged ones.

    The same answer the opened provider gives (``Provider.capabilities``), without opening it.
    """
    from video_gen.capabilities import packaged

    declared = spec.declared_models()
    if spec.api == "openrouter":
        from video_gen.providers.openrouter import model_capabilities

        return model_capabilities(model, declared)
    return declared.get(model) or packaged(model)


def models_of(spec: ProviderSpec) -> dict[str, ModelCapabilities | None]:
    """The models known for ``spec`` and what they take (None: nothing known, the server decides).

    Its declared models and its default model; plus the packaged catalog of its request shape
    when that is what it serves: always for OpenRouter, and for a ``/v1/videos`` provider that
    declares nothing and serves a packaged model (Sora's list means nothing to a vLLM server).
    """
    from video_gen.capabilities import known_models

    declared = spec.declared_models()
    catalog = known_models(spec.api)
    out: dict[str, ModelCapabilities | None] = {}
    if spec.api == "openrouter" or (not declared and (spec.model is None or spec.model in catalog)):
        out = {m: capabilities_for(spec, m) for m in catalog}
    out.update(declared)
    if spec.model and spec.model not in out:
        out[spec.model] = capabilities_for(spec, spec.model)
    return out


@dataclass(frozen=True)
class CheckResult:
    """What ``check`` found: the server answered ``endpoint`` and accepted the key."""

    name: str
    kind: str
    base_url: str
    endpoint: str
    detail: str
    models: tuple[str, ...] = ()


def check(spec: ProviderSpec, client_factory: ClientFactory) -> CheckResult:
    """One cheap authenticated call that spends nothing: list one video (``/v1/videos``) or
    the video models (OpenRouter). Raises the typed error (401 -> exit 3, unreachable -> 7)
    with what did work said in its message."""
    from video_gen.errors import APIConnectionError, APIError, AuthenticationError

    if spec.kind == "emulator":
        provider = _open_emulator(spec, client_factory, spec.declared_models())
        try:
            server = provider.server
            probe_spec = ProviderSpec(
                name=spec.name,
                kind=spec.kind,
                base_url=server.base_url,
                api_key="emulator-key",
                model=spec.model,
                options=spec.options,
            )
            return _probe(probe_spec, client_factory)
        finally:
            provider.close()
    if spec.needs_key and not spec.api_key:
        raise ConfigError(f"no API key for provider {spec.name!r}", hint=spec.key_hint)
    try:
        return _probe(spec, client_factory)
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
                f"check its base_url ({spec.base_url}): /v1/videos servers usually end in /v1,"
                " OpenRouter in /api/v1"
            )
        raise


def _probe(spec: ProviderSpec, client_factory: ClientFactory) -> CheckResult:
    client = client_factory(spec.base_url, spec.api_key or "")
    if spec.headers:
        client.session.headers.update({k: v for k, v in spec.headers.items() if v})
    base = spec.base_url.rstrip("/")
    try:
        if spec.api == "openrouter":
            from video_gen.client.openrouter import OpenRouterClient

            listed = OpenRouterClient(client, auth_hint=spec.key_hint).models()
            ids = tuple(str(m.get("id")) for m in listed if m.get("id"))
            detail = f"{len(ids)} video model{'s' if len(ids) != 1 else ''} listed"
            if spec.model and ids and spec.model not in ids:
                detail += f"; the default model {spec.model} is NOT among them"
            return CheckResult(spec.name, spec.kind, base, f"GET {base}/videos/models", detail, ids)
        page = client.list(limit=1)
        shown = len(page.get("data") or [])
        more = " (and more)" if page.get("has_more") else ""
        return CheckResult(
            spec.name,
            spec.kind,
            base,
            f"GET {base}/videos?limit=1",
            f"{shown} video{'s' if shown != 1 else ''} listed{more}",
        )
    finally:
        client.close()
