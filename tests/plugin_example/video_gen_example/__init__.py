"""An example provider kind: a gateway speaking the OpenAI Videos shape (``/v1/videos``) that
wants its key in an ``X-Gateway-Key`` header and a team name in ``X-Team``.

Everything a kind supplies is here: its name and defaults, how to open a provider (a
``Provider``: submit, refresh, download, cancel, find_recent, remix, notices, close), one cheap
check call, and a dry-run preview. It reuses video-gen's shared Transport (timeouts, retries,
typed errors, secrets masked) and its OpenAI-shape client, which a plugin is free to do.
"""

from __future__ import annotations

from typing import Any

from video_gen.client.videos import VideosClient
from video_gen.providers.kinds import CheckResult, KindBase, RequestPreview
from video_gen.providers.openai_videos import OpenAIVideosProvider


class GatewayKind(KindBase):
    name = "example-gateway"
    description = "example plugin: a /v1/videos gateway with an X-Gateway-Key header"
    default_base_url = "https://gateway.example.invalid/v1"
    default_key_env = "EXAMPLE_GATEWAY_KEY"
    models_table = "models"  # the packaged Sora-shape capabilities apply

    def api(self, spec: Any) -> str:
        # It speaks the OpenAI Videos shape, so it is validated and priced as that API.
        return "openai-videos"

    def _client(self, spec: Any, connect: Any) -> VideosClient:
        return VideosClient(
            connect(
                spec.base_url,
                # The key header is a secret: masked in every message, never sent elsewhere.
                auth={
                    "X-Gateway-Key": spec.api_key or "",
                    "Authorization": f"Bearer {spec.api_key}",
                },
                headers={"X-Team": str(spec.options.get("team", "video"))},
                key_hint=spec.key_hint,
            )
        )

    def open(self, spec: Any, connect: Any) -> OpenAIVideosProvider:
        provider = OpenAIVideosProvider(spec.name, self._client(spec, connect))
        provider.kind = self.name  # type: ignore[misc]  # recorded in the ledger as this kind
        return provider

    def check(self, spec: Any, connect: Any) -> CheckResult:
        client = self._client(spec, connect)
        try:
            page = client.list(limit=1)
        finally:
            client.close()
        shown = len(page.get("data") or [])
        return CheckResult(
            spec.name,
            spec.kind,
            spec.base_url,
            f"GET {spec.base_url}/videos?limit=1",
            f"{shown} video(s) listed",
            job_list=True,
        )

    def preview(self, spec: Any, request: Any) -> RequestPreview:
        body = {
            "model": request.model,
            "prompt": request.prompt,
            "seconds": str(request.seconds),
            "size": request.size,
        }
        return RequestPreview("POST", f"{spec.base_url.rstrip('/')}/videos", body)


KIND = GatewayKind()
