"""The provider registry: named providers from the config, and how to open one.

Built in: ``openai`` (the ``[api]`` settings: any ``/v1/videos`` server) and ``emulator`` (the
built-in emulator, started in-process). More come from ``[providers.NAME]`` tables, each with a
``kind``. Adding a kind is adding a module and an entry in ``_FACTORIES``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from video_gen.config import Config
from video_gen.errors import ConfigError, UsageError
from video_gen.providers.base import ContentStream, Provider

__all__ = ["ContentStream", "Provider", "ProviderSpec", "open_provider", "spec_for", "specs"]

KINDS = ("openai-videos", "emulator")


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
        if not isinstance(table, dict):
            raise ConfigError(f"[providers.{name}] must be a table")
        kind = str(table.get("kind", "openai-videos"))
        if kind not in KINDS:
            raise ConfigError(
                f"[providers.{name}] has unknown kind {kind!r}",
                hint=f"use one of: {', '.join(KINDS)}",
            )
        env = table.get("api_key_env")
        key = os.environ.get(str(env)) if env else None
        source = f"env {env}" if key else ""
        if not key and table.get("api_key"):
            key, source = str(table["api_key"]), "config file"
        out[name] = ProviderSpec(
            name=name,
            kind=kind,
            base_url=str(table.get("base_url", "")),
            api_key=key,
            key_source=source,
            key_hint=(
                f"export {env}=..." if env else f"video-gen config set providers.{name}.api_key ..."
            ),
            model=str(table["model"]) if table.get("model") else None,
            headers={str(k): str(v) for k, v in (table.get("headers") or {}).items()},
            options={
                k: v
                for k, v in table.items()
                if k not in ("kind", "base_url", "api_key", "api_key_env", "model", "headers")
            },
        )
    return out


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
    if spec.kind == "emulator":
        from video_gen.providers.emulator import EmulatorProvider

        return EmulatorProvider(
            spec.name, client_factory, profile=str(spec.options.get("profile", "openai"))
        )
    if spec.kind == "openai-videos":
        if not spec.base_url:
            raise ConfigError(
                f"provider {spec.name!r} has no base_url",
                hint=f"video-gen config set providers.{spec.name}.base_url URL",
            )
        from video_gen.providers.openai_videos import OpenAIVideosProvider

        client = client_factory(spec.base_url, spec.api_key or "")
        if spec.headers:
            client.session.headers.update({k: v for k, v in spec.headers.items() if v})
        return OpenAIVideosProvider(spec.name, client, remix=bool(spec.options.get("remix", True)))
    raise ConfigError(f"provider kind {spec.kind!r} is not supported")


def capabilities_for(spec: ProviderSpec, model: str) -> Any:
    """Capabilities declared for ``model`` in the provider's config, else the packaged ones."""
    from video_gen.capabilities import ModelCapabilities, packaged

    declared = (spec.options.get("models") or {}).get(model)
    if isinstance(declared, dict):
        return ModelCapabilities.from_data(model, declared)
    return packaged(model)
