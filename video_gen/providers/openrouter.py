"""Kind ``openrouter``: OpenRouter's own video API (Veo 3.1, Wan, Seedance, Kling behind one key).

Its shape differs from ``/v1/videos``: a JSON create with an integer ``duration``, a
``resolution`` (``720p``) and an ``aspect_ratio`` (``9:16``) instead of a pixel size, first and
last frames as ``frame_images`` (data URLs), ``generate_audio`` and ``seed``, statuses
``pending``/``in_progress``/``completed``/``failed``/``cancelled``/``expired``, the actual
charge as ``usage.cost``, and the video at ``/videos/{id}/content?index=0``. There is no remix,
no cancel, no thumbnail and no job list (so an ambiguous create is recorded in doubt).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from video_gen import capabilities
from video_gen.capabilities import ModelCapabilities
from video_gen.client.openrouter import ACTIVITY_URL, OpenRouterClient, parse_error
from video_gen.client.transport import bearer
from video_gen.errors import LookupUnavailableError, UnsupportedOperationError, UsageError
from video_gen.providers.base import ContentStream
from video_gen.providers.hosted import data_url, open_capabilities
from video_gen.providers.kinds import CheckResult, Connect, KindBase, RequestPreview
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

    def submit(self, request: GenerationRequest) -> RemoteJob:
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
            hint=f"it finishes on its own; see {ACTIVITY_URL}",
        )

    def find_recent(self, request: GenerationRequest, *, since: float) -> list[RemoteJob]:
        where = ACTIVITY_URL if "openrouter.ai" in self.client.base_url else self.client.base_url
        raise LookupUnavailableError(
            f"OpenRouter has no list of video jobs to look in (check {where})"
        )

    def remix(self, job_id: str, prompt: str) -> RemoteJob:
        raise UnsupportedOperationError(
            f"provider {self.name!r} (OpenRouter) does not support remix",
            hint="generate again with a new prompt (--input-reference sets a first frame)",
        )

    def notices(self) -> list[str]:
        return []

    def close(self) -> None:
        self.client.close()


def model_capabilities(model: str, declared: Mapping[str, ModelCapabilities]) -> ModelCapabilities:
    """Declared in the config, else packaged, else "anything": OpenRouter decides.

    Never None: even an unknown model is validated for OpenRouter's shape (``--size 720p``).
    """
    return open_capabilities(model, declared, KIND, last_frame=True)


def request_body(request: GenerationRequest, *, inline_images: bool = True) -> dict[str, Any]:
    """The JSON create body: ``--seconds`` -> duration, ``--size`` -> resolution + aspect.

    ``inline_images=False`` names the image files instead of embedding them (for --dry-run).
    """
    size = capabilities.parse_resolution_size(request.size)
    body: dict[str, Any] = {
        "model": request.model,
        "prompt": request.prompt,
        "duration": request.seconds,
        "resolution": size.resolution,
    }
    if size.aspect_ratio is not None:
        body["aspect_ratio"] = size.aspect_ratio
    frames = []
    for frame_type, path in (
        ("first_frame", request.input_reference),
        ("last_frame", request.last_frame),
    ):
        if path is not None:
            url = data_url(path) if inline_images else f"@{path}"
            frames.append(
                {"type": "image_url", "image_url": {"url": url}, "frame_type": frame_type}
            )
    if frames:
        body["frame_images"] = frames
    if request.audio is not None:
        body["generate_audio"] = request.audio
    if request.seed is not None:
        body["seed"] = request.seed
    body.update(request.extra)
    return body


class OpenRouterKind(KindBase):
    table_keys: tuple[str, ...] | None = ()
    name = "openrouter"
    description = "OpenRouter's video API: Veo 3.1, Wan, Seedance, Kling behind one key"
    default_base_url = "https://openrouter.ai/api/v1"
    default_key_env = "OPENROUTER_API_KEY"
    size_style = "resolution"
    models_table = "openrouter"
    remix_default = False

    def _client(self, spec: Any, connect: Connect) -> OpenRouterClient:
        def parser(resp: Any) -> Any:
            return parse_error(resp, auth_hint=spec.key_hint)

        return OpenRouterClient(
            connect(
                spec.base_url,
                auth=bearer(spec.api_key or ""),
                secret_headers=spec.headers,
                key_hint=spec.key_hint,
                error_parser=parser,
            )
        )

    def open(self, spec: Any, connect: Connect) -> OpenRouterProvider:
        return OpenRouterProvider(
            spec.name, self._client(spec, connect), models=spec.declared_models()
        )

    def capabilities(self, spec: Any, model: str) -> ModelCapabilities | None:
        return model_capabilities(model, spec.declared_models())

    def validate(self, request: GenerationRequest, caps: ModelCapabilities | None) -> None:
        if "/" not in request.model:
            raise UsageError(
                f"{request.model!r} is not an OpenRouter model id (they look like google/veo-3.1)",
                hint="pass --model google/veo-3.1-fast, or set the provider's default: video-gen"
                f" config set providers.{request.provider}.model google/veo-3.1-fast",
            )

    def preview(self, spec: Any, request: GenerationRequest) -> RequestPreview:
        return RequestPreview(
            "POST",
            f"{spec.base_url.rstrip('/')}/videos",
            request_body(request, inline_images=False),
        )

    def check(self, spec: Any, connect: Connect) -> CheckResult:
        """``GET /key`` proves the key (the models listing needs none), then the models."""
        client = self._client(spec, connect)
        base = spec.base_url.rstrip("/")
        try:
            info = client.key()
            listed = client.models()
        finally:
            client.close()
        ids = tuple(str(m.get("id")) for m in listed if m.get("id"))
        detail = f"{len(ids)} video model{'s' if len(ids) != 1 else ''} listed"
        if spec.model and ids and spec.model not in ids:
            detail += f"; the default model {spec.model} is NOT among them"
        notes = []
        label = info.get("label")
        if label:
            notes.append(f"key {label}")
        limit, remaining = info.get("limit"), info.get("limit_remaining")
        if isinstance(limit, (int, float)):
            notes.append(
                f"key limit {limit:g} USD"
                + (f", {remaining:g} remaining" if isinstance(remaining, (int, float)) else "")
            )
        return CheckResult(
            spec.name,
            spec.kind,
            base,
            f"GET {base}/key",
            detail,
            job_list=False,
            server="OpenRouter",
            models=ids,
            notes=tuple(notes),
            warnings=(
                "no job list: a create that fails ambiguously cannot be looked up here, so"
                " video-gen records it in doubt and never posts it again",
            ),
        )


KIND = OpenRouterKind()
