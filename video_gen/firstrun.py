"""The first run: no provider chosen and no key, so the default (OpenAI's switched-off Videos API)
cannot work. The choices, when they are offered, and how a choice is written to the config.

No Typer or Rich here: the CLI asks the questions (``cli/runtime.py``) and this module says what
to ask and what to store. See docs/getting-started.md#2-the-first-run.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from video_gen.errors import ConfigError, UsageError

if TYPE_CHECKING:
    from video_gen.config import Config

SWITCHED_OFF = "2026-09-24"
OPENROUTER_MODEL = "google/veo-3.1-fast"  # priced, and the docs' example (docs/providers.md)
NOTICE = (
    f"OpenAI's Videos API (Sora) was switched off on {SWITCHED_OFF}, so video-gen needs"
    " another provider: pick one below (stored in the config; change it any time)"
)


@dataclass(frozen=True)
class Choice:
    """One way to make videos, as offered on the first run."""

    number: str
    name: str  # the provider name written to defaults.provider
    label: str
    needs_url: bool
    needs_key: bool
    key_hint: str = ""


CHOICES: tuple[Choice, ...] = (
    Choice(
        "1",
        "openrouter",
        "OpenRouter (Veo, Seedance, Wan, Kling behind one key; https://openrouter.ai/keys)",
        needs_url=False,
        needs_key=True,
        key_hint="an OpenRouter key (sk-or-...)",
    ),
    Choice(
        "2",
        "videos-server",
        "a /v1/videos server: LiteLLM, vLLM-Omni or SGLang (its URL and key)",
        needs_url=True,
        needs_key=True,
        key_hint="the server's key (any text if it takes none)",
    ),
    Choice(
        "3",
        "emulator",
        "the built-in emulator (no key, no cost: for trying video-gen out)",
        needs_url=False,
        needs_key=False,
    ),
)

CI_HINT = (
    "choose a provider: OpenRouter (export OPENROUTER_API_KEY=... and"
    " `video-gen config set defaults.provider openrouter` after adding [providers.openrouter]"
    ' kind = "openrouter"), a /v1/videos server such as LiteLLM, vLLM-Omni or SGLang'
    " (export OPENAI_BASE_URL=URL; export OPENAI_API_KEY=...), or the built-in emulator"
    " (--provider emulator); see docs/getting-started.md#2-the-first-run"
)


def choice(answer: str) -> Choice:
    """The choice an answer names: its number or its provider name."""
    text = answer.strip().lower()
    for found in CHOICES:
        if text in (found.number, found.name):
            return found
    raise UsageError(
        f"no choice {answer!r}",
        hint=f"answer {', '.join(c.number for c in CHOICES)} (or a name: "
        f"{', '.join(c.name for c in CHOICES)})",
    )


def needed(config: Config, flag: str | None) -> bool:
    """True when nothing says where videos are made: no --provider, no defaults.provider (env or
    file), and the built-in ``openai`` provider still points at api.openai.com with no key."""
    from video_gen.providers import spec_for

    if flag or os.environ.get("VIDEO_GEN_PROVIDER") or config.raw("defaults.provider"):
        return False
    if "api.openai.com" not in str(config.value("api.base_url")):
        return False
    return not spec_for(config, "openai").api_key


def refuse() -> ConfigError:
    """The error when there is no terminal to ask on (CI, a pipe): exit 3, naming the choices."""
    return ConfigError(
        f"no provider configured and OpenAI's Videos API was switched off on {SWITCHED_OFF}"
        " (and no terminal to ask on)",
        hint=CI_HINT,
    )


def check_url(url: str) -> str:
    from urllib.parse import urlsplit

    text = url.strip().rstrip("/")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UsageError(
            f"not a server URL: {url!r}",
            hint="give the base URL of the /v1/videos API, e.g. http://localhost:4000/v1",
        )
    return text


def apply(config: Config, picked: Choice, *, url: str = "", key: str = "") -> str:
    """Write the choice to the config (comments kept, mode 0600) and make it the default
    provider; returns the provider name."""
    if picked.needs_key and not key.strip():
        raise ConfigError(
            "no API key given", hint=f"run the command again and paste {picked.key_hint}"
        )
    if picked.name == "openrouter":
        config.set("providers.openrouter.kind", "openrouter")
        config.set("providers.openrouter.model", OPENROUTER_MODEL)
        config.set("providers.openrouter.api_key", key.strip())
    elif picked.name == "videos-server":
        config.set("providers.videos-server.kind", "openai-videos")
        config.set("providers.videos-server.base_url", check_url(url))
        config.set("providers.videos-server.api_key", key.strip())
    config.set("defaults.provider", picked.name)
    config.save()
    return picked.name
