"""Kind ``fal``: any fal video model through fal's queue (Veo, Kling, Wan, Seedance, ...).

The model id is the fal endpoint (``fal-ai/veo3.1/fast``); its input is built from the model's
``input`` table in ``data/models.toml`` (``providers/hosted.py``). A job's id is
``{owner}/{app}/{request_id}``: the queue files a request under its app, so that is what any
later command needs to find it again. The video is the result's ``video.url`` on fal's CDN,
fetched without the key. fal reports no charge per job, so the estimate is what is recorded.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from video_gen.capabilities import ModelCapabilities
from video_gen.client.fal import PLATFORM_URL, FalClient, app_of, key_header, parse_error
from video_gen.errors import (
    APIError,
    LookupUnavailableError,
    RateLimitError,
    ServerError,
    UsageError,
)
from video_gen.providers.base import ContentStream
from video_gen.providers.hosted import HostedKind, HostedProvider, InputMap
from video_gen.providers.kinds import CheckResult, Connect, RequestPreview
from video_gen.types import GenerationRequest, RemoteJob

DEFAULT_MODEL = "fal-ai/veo3.1/fast"
_STATUS = {"IN_QUEUE": "queued", "IN_PROGRESS": "in_progress", "COMPLETED": "completed"}


def split_id(job_id: str) -> tuple[str, str]:
    """``fal-ai/veo3.1/<uuid>`` -> (``fal-ai/veo3.1``, ``<uuid>``)."""
    app, _, request_id = job_id.rpartition("/")
    if not app or not request_id:
        raise UsageError(
            f"{job_id!r} is not a fal job id (they look like fal-ai/veo3.1/<request id>)",
            hint="video-gen history lists the ids of your jobs",
        )
    return app, request_id


def video_url(result: Mapping[str, Any]) -> str | None:
    """``video.url`` (most video models), else the first of ``videos``."""
    video = result.get("video")
    if isinstance(video, Mapping) and isinstance(video.get("url"), str):
        return str(video["url"])
    videos = result.get("videos")
    if isinstance(videos, list) and videos and isinstance(videos[0], Mapping):
        url = videos[0].get("url")
        return str(url) if isinstance(url, str) else None
    return None


class FalProvider(HostedProvider):
    kind = "fal"
    api = "fal"
    label = "fal"
    client: FalClient

    def submit(self, request: GenerationRequest) -> RemoteJob:
        data = self.client.submit(request.model, InputMap.of(request.model, KIND).body(request))
        request_id = str(data.get("request_id") or "")
        if not request_id:
            raise APIError("fal answered the create without a request_id")
        return RemoteJob(
            id=f"{app_of(request.model)}/{request_id}",
            status="queued",
            model=request.model,
            raw=dict(data),
        )

    def refresh(self, job_id: str) -> RemoteJob:
        app, request_id = split_id(job_id)
        data = self.client.status(app, request_id)
        status = _STATUS.get(str(data.get("status")), str(data.get("status") or "unknown"))
        if status != "completed":
            position = data.get("queue_position")
            return RemoteJob(
                id=job_id,
                status=status,
                progress=0 if isinstance(position, int) else None,
                raw=dict(data),
            )
        if data.get("error"):
            kind = data.get("error_type")
            return RemoteJob(
                id=job_id,
                status="failed",
                error_code=str(kind) if kind else "error",
                error_message=str(data["error"]),
                raw=dict(data),
            )
        try:
            result = self.client.result(app, request_id)
        except (RateLimitError, ServerError):
            raise  # transient: the poll loop asks again
        except APIError as exc:
            if exc.status is None or exc.status in (401, 403, 404, 408, 409):
                raise
            # The queue checks a model's input only when it runs: a 422 here is the job failing.
            return RemoteJob(
                id=job_id,
                status="failed",
                error_code=exc.code or str(exc.status),
                error_message=exc.message,
                raw=dict(data),
            )
        url = video_url(result)
        if url is None:
            return RemoteJob(
                id=job_id,
                status="failed",
                error_code="no_video",
                error_message="the result holds no video",
                raw=result,
            )
        self._outputs[job_id] = url
        return RemoteJob(id=job_id, status="completed", progress=100, raw=result)

    def download(self, job_id: str, variant: str, *, offset: int = 0) -> ContentStream:
        self.video_only(variant)
        return self.output_stream(job_id, offset, gone=f"see: video-gen status {job_id}")

    def cancel(self, job_id: str) -> None:
        self.client.cancel(*split_id(job_id))

    def find_recent(self, request: GenerationRequest, *, since: float) -> list[RemoteJob]:
        raise LookupUnavailableError("fal's queue has no list of your requests to look in")


def platform_url(spec: Any) -> str:
    """fal's platform API (prices): ``platform_url`` in the table, else api.fal.ai for the real
    queue, else the base URL's own origin + ``/v1`` (a proxy or the emulator)."""
    configured = spec.options.get("platform_url")
    if configured:
        return str(configured)
    parts = urlsplit(spec.base_url)
    if parts.hostname == "queue.fal.run":
        return PLATFORM_URL
    return f"{parts.scheme}://{parts.netloc}/v1"


class FalKind(HostedKind):
    table_keys: tuple[str, ...] | None = ("platform_url",)
    name = "fal"
    description = "fal's queue: any fal video model (Veo, Kling, Wan, Seedance ...)"
    default_base_url = "https://queue.fal.run"
    default_key_env = "FAL_KEY"
    models_table = "fal"
    default_model = DEFAULT_MODEL

    auth = staticmethod(key_header)
    parse_error = staticmethod(parse_error)

    def _client(self, spec: Any, connect: Connect) -> FalClient:
        return FalClient(self.transport(spec, connect), platform_url=platform_url(spec))

    def open(self, spec: Any, connect: Connect) -> FalProvider:
        return FalProvider(spec.name, self._client(spec, connect), models=spec.declared_models())

    def validate(self, request: GenerationRequest, caps: ModelCapabilities | None) -> None:
        if request.model.count("/") < 1:
            raise UsageError(
                f"{request.model!r} is not a fal model id (they look like fal-ai/veo3.1)",
                hint=f"pass --model {DEFAULT_MODEL}, or set the provider's default: video-gen"
                f" config set providers.{request.provider}.model {DEFAULT_MODEL}",
            )

    def preview(self, spec: Any, request: GenerationRequest) -> RequestPreview:
        body = InputMap.of(request.model, self).body(request, inline_images=False)
        return RequestPreview("POST", f"{spec.base_url.rstrip('/')}/{request.model}", body)

    def check(self, spec: Any, connect: Connect) -> CheckResult:
        """fal's platform API prices the default model: it needs the key and spends nothing."""
        client = self._client(spec, connect)
        model = spec.model or DEFAULT_MODEL
        try:
            prices = client.pricing(model)
        finally:
            client.close()
        detail = "key accepted"
        notes = []
        for row in prices:
            notes.append(
                f"{row.get('endpoint_id', model)}: {row.get('unit_price')}"
                f" {row.get('currency', 'USD')} per {row.get('unit', '?')}"
            )
        if prices:
            detail += f"; fal's price for {model} read"
        return CheckResult(
            spec.name,
            spec.kind,
            spec.base_url.rstrip("/"),
            f"GET {client.platform_url}/models/pricing?endpoint_id={model}",
            detail,
            job_list=False,
            server="fal",
            notes=tuple(notes),
            warnings=(
                "no job list: a create that fails ambiguously cannot be looked up here, so"
                " video-gen records it in doubt and never posts it again",
            ),
        )


KIND = FalKind()
