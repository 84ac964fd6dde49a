"""The built-in emulator as a provider: starts it in-process on loopback, then speaks to it
exactly as to a real server (real HTTP, no key, no cost), for demos, tests and users' CI."""

from __future__ import annotations

import os

from video_gen.client.videos import VideosClient
from video_gen.providers.openai_videos import OpenAIVideosProvider


class EmulatorProvider(OpenAIVideosProvider):
    kind = "emulator"

    def __init__(
        self,
        name: str,
        client_factory: object,
        *,
        job_seconds: float | None = None,
        faults: str = "",
        profile: str = "openai",
    ) -> None:
        from video_gen.emulator import EmulatorServer

        if job_seconds is None:
            job_seconds = float(os.environ.get("VIDEO_GEN_EMULATOR_JOB_SECONDS", "3"))
        faults = faults or os.environ.get("VIDEO_GEN_EMULATOR_FAULTS", "")
        self.server = EmulatorServer(job_seconds=job_seconds, faults=faults, profile=profile)
        self.server.start()
        assert callable(client_factory)
        client: VideosClient = client_factory(self.server.base_url, "emulator-key")
        super().__init__(name, client)

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.server.stop()
