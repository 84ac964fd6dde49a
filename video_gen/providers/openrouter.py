"""Provider for OpenRouter's own video API (Veo 3.1, Wan, Seedance, Kling, ... behind one key).

Its shape differs from ``/v1/videos``: a JSON create with an integer ``duration``, a
``resolution`` (``720p``) and an ``aspect_ratio`` (``9:16``) instead of a pixel size, a first
frame as ``frame_images`` (a data URL), statuses ``pending``/``in_progress``/``completed``/
``failed``/``cancelled``/``expired``, the actual charge as ``usage.cost``, and the video at
``/videos/{id}/content?index=0``. There is no remix, no cancel, no thumbnail and no job list.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from video_gen import capabilities
from video_gen.capabilities import ModelCapabilities
from video_gen.client.openrouter import OpenRouterClient
from video_gen.errors import UnsupportedOperationError
from video_gen.providers.base import ContentStream
from video_gen.providers.openai_videos import stream_from_response
from video_gen.types import GenerationRequest, RemoteJob


class OpenRouterProvider:
    kind = "openrouter"
    api = "openrouter"

    def __init__(
        self,
        name: str,
        client: OpenRouterClient,
        *,
        models: Mapping[str, ModelCapabilities] | None = None,
    ) -> None:
        self.name = name
        self.client = client
        self._models = dict(models or {})

    def capabilities(self, model: str) -> ModelCapabilities | None:
        return model_capabilities(model, self._models)

    def submit(
        self, request: GenerationRequest, *, exclude_ids: frozenset[str] = frozenset()
    ) -> RemoteJob:
        # exclude_ids serves the "look before posting again" rule; OpenRouter has no job list to
        # look in, so its client never posts a create twice instead (client/openrouter.py).
        return RemoteJob.from_api(self.client.create(request_body(request)))

    def refresh(self, job_id: str) -> RemoteJob:
        return RemoteJob.from_api(self.client.retrieve(job_id))

    def download(self, job_id: str, variant: str, *, offset: int = 0) -> ContentStream:
        if variant != "video":
            raise UnsupportedOperationError(
                f"OpenRouter makes no {variant} for a video, only the video itself",
                hint=f"download without --{variant}",
            )
        return stream_from_response(self.client.content(job_id, offset=offset), offset)

    def cancel(self, job_id: str) -> None:
        raise UnsupportedOperationError(
            f"provider {self.name!r} (OpenRouter) cannot cancel a video job",
            hint="it finishes on its own; see https://openrouter.ai/activity",
        )

    def find_recent(
        self,
        request: GenerationRequest,
        *,
        since: float,
        exclude_ids: frozenset[str] = frozenset(),
    ) -> RemoteJob | None:
        # OpenRouter lists no video jobs, so a lost create cannot be found from here: callers
        # treat None as "not found" and must tell the user to check the activity page.
        return None

    def remix(self, job_id: str, prompt: str) -> RemoteJob:
        raise UnsupportedOperationError(
            f"provider {self.name!r} (OpenRouter) does not support remix",
            hint="generate again with a new prompt (--input-reference sets a first frame)",
        )

    def close(self) -> None:
        self.client.close()


def model_capabilities(model: str, declared: Mapping[str, ModelCapabilities]) -> ModelCapabilities:
    """Declared in the config, else packaged, else "anything": OpenRouter decides.

    Never None: even an unknown model is validated for OpenRouter's shape (``--size 720p``).
    """
    return (
        declared.get(model)
        or capabilities.packaged(model, "openrouter")
        or ModelCapabilities(model=model, seconds=None, sizes=None, remix=False, api="openrouter")
    )


def request_body(request: GenerationRequest) -> dict[str, Any]:
    """The JSON create body: ``--seconds`` -> duration, ``--size`` -> resolution + aspect."""
    size = capabilities.parse_resolution_size(request.size)
    body: dict[str, Any] = {
        "model": request.model,
        "prompt": request.prompt,
        "duration": request.seconds,
        "resolution": size.resolution,
    }
    if size.aspect_ratio is not None:
        body["aspect_ratio"] = size.aspect_ratio
    if request.input_reference is not None:
        mime = capabilities.check_image_file(request.input_reference)
        data = base64.b64encode(request.input_reference.read_bytes()).decode("ascii")
        body["frame_images"] = [
            {
                "type": "image_url",
                "image_url": {"url": f"data:{mime};base64,{data}"},
                "frame_type": "first_frame",
            }
        ]
    body.update(request.extra)
    return body
