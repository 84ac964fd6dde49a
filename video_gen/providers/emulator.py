"""The built-in emulator as a provider: starts it in-process on loopback, then speaks to it
exactly as to a real server (real HTTP, no key, no cost), for demos, tests and users' CI.

A profile (``openai``, ``litellm``, ``vllm-omni``, ``sglang``, ``openrouter``) makes the emulator
play one real server, quirks included, and the provider talks to it through the same provider
class as to that server: ``OpenAIVideosProvider`` for the ``/v1/videos`` profiles,
``OpenRouterProvider`` for ``openrouter``. Only ``kind`` and ``close`` are the emulator's own.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from video_gen.capabilities import ModelCapabilities
from video_gen.errors import ConfigError
from video_gen.providers.base import ContentStream, Provider
from video_gen.types import GenerationRequest, RemoteJob

if TYPE_CHECKING:
    from video_gen.emulator.profiles import Profile

EMULATOR_KEY = "emulator-key"


class EmulatorProvider:
    kind = "emulator"

    def __init__(
        self,
        name: str,
        client_factory: Callable[[str, str], Any],
        *,
        job_seconds: float | None = None,
        faults: str = "",
        profile: str = "openai",
        models: Mapping[str, ModelCapabilities] | None = None,
    ) -> None:
        from video_gen.emulator import EmulatorServer

        if job_seconds is None:
            job_seconds = float(os.environ.get("VIDEO_GEN_EMULATOR_JOB_SECONDS", "3"))
        faults = faults or os.environ.get("VIDEO_GEN_EMULATOR_FAULTS", "")
        try:
            self.server = EmulatorServer(job_seconds=job_seconds, faults=faults, profile=profile)
        except ValueError as exc:  # an unknown profile or a bad fault plan
            raise ConfigError(
                f"provider {name!r}: {exc}",
                hint=f"fix [providers.{name}] in the config (see docs/providers.md)",
            ) from None
        self.name = name
        self.server.start()
        try:
            client = client_factory(self.server.base_url, EMULATOR_KEY)
            self.inner: Provider = _speaker(name, self.server.profile, client, models or {})
        except BaseException:
            self.server.stop()
            raise

    @property
    def api(self) -> str:
        return self.inner.api

    @property
    def profile(self) -> str:
        return self.server.profile.name

    def capabilities(self, model: str) -> ModelCapabilities | None:
        return self.inner.capabilities(model)

    def submit(
        self, request: GenerationRequest, *, exclude_ids: frozenset[str] = frozenset()
    ) -> RemoteJob:
        return self.inner.submit(request, exclude_ids=exclude_ids)

    def refresh(self, job_id: str) -> RemoteJob:
        return self.inner.refresh(job_id)

    def download(self, job_id: str, variant: str, *, offset: int = 0) -> ContentStream:
        return self.inner.download(job_id, variant, offset=offset)

    def cancel(self, job_id: str) -> None:
        self.inner.cancel(job_id)

    def find_recent(
        self,
        request: GenerationRequest,
        *,
        since: float,
        exclude_ids: frozenset[str] = frozenset(),
    ) -> RemoteJob | None:
        return self.inner.find_recent(request, since=since, exclude_ids=exclude_ids)

    def remix(self, job_id: str, prompt: str) -> RemoteJob:
        return self.inner.remix(job_id, prompt)

    def close(self) -> None:
        try:
            self.inner.close()
        finally:
            self.server.stop()


def _speaker(
    name: str, profile: Profile, client: Any, models: Mapping[str, ModelCapabilities]
) -> Provider:
    """The provider a real server of this profile would get."""
    if profile.shape == "openrouter":
        from video_gen.client.openrouter import OpenRouterClient
        from video_gen.providers.openrouter import OpenRouterProvider

        return OpenRouterProvider(name, OpenRouterClient(client), models=models)
    from video_gen.providers.openai_videos import OpenAIVideosProvider

    return OpenAIVideosProvider(name, client, models=models, remix=profile.remix)
