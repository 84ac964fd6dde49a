"""Kind ``gemini``: the Gemini API as Google serves it now, with Gemini Omni Flash
(``gemini-omni-1.1-flash``) through the Interactions API.

A create is ``POST /interactions`` with ``{model, input, response_format: {type: "video",
aspect_ratio, resolution, duration: "8s", delivery}, background: true}``; the interaction id is
recorded the moment it answers and polled with ``GET /interactions/{id}``. The video arrives in a
``model_output`` step: inline (``data``, base64) or, with ``delivery: "uri"`` (the default here:
nothing large rides in a JSON body), as a Files API file fetched with the key once ``ACTIVE``.
A prompt Google refuses completes with text and no video: a rejection (exit 4), recorded failed.

Veo 3.1's preview ids were shut down on 2026-10-22 and their ``-001`` successors live on
Google's enterprise platform (OAuth, not an API key): both are refused before anything is sent,
naming what to use instead. There is no list of interactions, so an ambiguous create is recorded
in doubt; a remix continues the conversation (``previous_interaction_id``).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

from video_gen import capabilities
from video_gen.capabilities import ModelCapabilities
from video_gen.client.gemini import GeminiClient, file_name, key_header, parse_error
from video_gen.errors import (
    APIError,
    LookupUnavailableError,
    UsageError,
)
from video_gen.providers.base import ContentStream
from video_gen.providers.hosted import HostedKind, HostedProvider, memory_stream
from video_gen.providers.kinds import CheckResult, Connect, RequestPreview
from video_gen.providers.openai_videos import stream_from_response
from video_gen.types import GenerationRequest, RemoteJob

DEFAULT_MODEL = "gemini-omni-1.1-flash"
DELIVERIES = ("uri", "inline")
# Interaction statuses (google-genai's InteractionStatus) that end a video job without one.
_ENDED = frozenset({"failed", "cancelled", "incomplete", "budget_exceeded", "requires_action"})
_QUEUED = frozenset({"queued", "idle"})


def _retired() -> Mapping[str, Any]:
    from video_gen import data

    found = data.load("models.toml").get("gemini_retired", {})
    return found if isinstance(found, Mapping) else {}


def video_of(data: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The video content of an interaction: the last ``video`` item of a ``model_output``
    step, else ``output_video`` (the SDK's convenience field)."""
    found: Mapping[str, Any] | None = None
    steps = data.get("steps")
    for step in steps if isinstance(steps, list) else []:
        if not isinstance(step, Mapping) or step.get("type") != "model_output":
            continue
        content = step.get("content")
        for item in content if isinstance(content, list) else []:
            if isinstance(item, Mapping) and item.get("type") == "video":
                found = item
    if found is None and isinstance(data.get("output_video"), Mapping):
        found = data["output_video"]
    return found


def _text_of(data: Mapping[str, Any]) -> str:
    parts = []
    steps = data.get("steps")
    for step in steps if isinstance(steps, list) else []:
        if isinstance(step, Mapping) and step.get("type") == "model_output":
            content = step.get("content")
            for item in content if isinstance(content, list) else []:
                if isinstance(item, Mapping) and item.get("type") == "text":
                    parts.append(str(item.get("text") or ""))
    return " ".join(p for p in parts if p).strip() or str(data.get("output_text") or "")


def _step_error(data: Mapping[str, Any]) -> tuple[str | None, str | None]:
    errors = data.get("errors")
    for err in errors if isinstance(errors, list) else []:
        if isinstance(err, Mapping):
            return _opt(err.get("code")), _opt(err.get("message"))
    steps = data.get("steps")
    for step in steps if isinstance(steps, list) else []:
        err = step.get("error") if isinstance(step, Mapping) else None
        if isinstance(err, Mapping):
            return _opt(err.get("code")), _opt(err.get("message"))
    return None, None


def _opt(value: Any) -> str | None:
    return None if value is None else str(value)


def job_of(data: Mapping[str, Any], *, file_state: str | None = None) -> RemoteJob:
    """A RemoteJob from an interaction (``file_state``: the state of its video file, when it was
    delivered as one)."""
    status = str(data.get("status") or "unknown").lower()
    code, message = _step_error(data)
    refused = False
    if status == "completed":
        video = video_of(data)
        if video is None:
            # Google answers a prompt it will not render with text and no video.
            status, refused = "failed", True
            code = code or "refused"
            message = _text_of(data) or message or "the model answered without a video"
        elif video.get("uri") and not video.get("data"):
            state = (file_state or "ACTIVE").upper()
            if state == "FAILED":
                status, code = "failed", code or "file_failed"
                message = message or "the video file failed to process"
            elif state != "ACTIVE":
                status = "processing_file"  # not final: the file is not downloadable yet
    elif status in _ENDED:
        code = code or status
        status = "cancelled" if status == "cancelled" else "failed"
    elif status in _QUEUED:
        status = "queued"
    model = data.get("model")
    return RemoteJob(
        id=str(data.get("id") or ""),
        status=status,
        model=model if isinstance(model, str) else None,
        error_code=code,
        error_message=message,
        refused=refused,
        raw=dict(data),
    )


def request_body(
    request: GenerationRequest, *, delivery: str, inline_images: bool = True
) -> dict[str, Any]:
    """The create body (``background`` is added by the client, always)."""
    size = capabilities.parse_resolution_size(request.size)
    response_format: dict[str, Any] = {
        "type": "video",
        "resolution": size.resolution,
        "duration": f"{request.seconds}s",
        "delivery": delivery,
    }
    if size.aspect_ratio is not None:
        response_format["aspect_ratio"] = size.aspect_ratio
    body: dict[str, Any] = {"model": request.model, "response_format": response_format}
    if request.input_reference is None:
        body["input"] = request.prompt
    else:
        path = request.input_reference
        mime = capabilities.check_image_file(path)
        image: dict[str, Any] = {"type": "image", "mime_type": mime}
        image["data"] = (
            base64.b64encode(path.read_bytes()).decode("ascii") if inline_images else f"@{path}"
        )
        body["input"] = [{"type": "text", "text": request.prompt}, image]
    remix_of = request.extra.get("remix_of")
    if remix_of:
        body["previous_interaction_id"] = remix_of
    body.update({k: v for k, v in request.extra.items() if k != "remix_of"})
    return body


class GeminiProvider(HostedProvider):
    kind = "gemini"
    api = "gemini"
    label = "Gemini"
    client: GeminiClient

    def __init__(
        self,
        name: str,
        client: GeminiClient,
        *,
        models: Mapping[str, ModelCapabilities] | None = None,
        delivery: str = "uri",
    ) -> None:
        super().__init__(name, client, models=models)
        self.delivery = delivery

    def submit(self, request: GenerationRequest) -> RemoteJob:
        return job_of(self.client.create(request_body(request, delivery=self.delivery)))

    def refresh(self, job_id: str) -> RemoteJob:
        data = self.client.get(job_id)
        video = video_of(data) if str(data.get("status")) == "completed" else None
        state = None
        if video is not None and video.get("uri") and not video.get("data"):
            name = file_name(str(video["uri"]))
            if name is not None:
                state = str(self.client.file(name).get("state") or "")
        return job_of(data, file_state=state)

    def download(self, job_id: str, variant: str, *, offset: int = 0) -> ContentStream:
        self.video_only(variant)
        data = self.client.get(job_id)
        video = video_of(data)
        if video is None:
            raise APIError(f"interaction {job_id} holds no video", hint="see `video-gen status`")
        mime = _opt(video.get("mime_type"))
        if video.get("data"):
            try:
                raw = base64.b64decode(str(video["data"]), validate=True)
            except (binascii.Error, ValueError):
                raise APIError(f"the video of interaction {job_id} is not valid base64") from None
            return memory_stream(raw, offset, mime)
        name = file_name(str(video.get("uri") or ""))
        if name is None:
            raise APIError(f"interaction {job_id} names no downloadable video file")
        return stream_from_response(self.client.file_content(name, offset=offset), offset)

    def cancel(self, job_id: str) -> None:
        self.client.cancel(job_id)

    def find_recent(self, request: GenerationRequest, *, since: float) -> list[RemoteJob]:
        raise LookupUnavailableError(
            "the Gemini Interactions API has no list of interactions to look in"
        )

    def remix(self, job_id: str, prompt: str) -> RemoteJob:
        """A new interaction continuing ``job_id``'s conversation (Omni edits the video)."""
        source = self.client.get(job_id)
        body: dict[str, Any] = {
            "model": source.get("model") or DEFAULT_MODEL,
            "input": prompt,
            "previous_interaction_id": job_id,
        }
        if isinstance(source.get("response_format"), Mapping):
            body["response_format"] = dict(source["response_format"])
        return job_of(self.client.create(body))


class GeminiKind(HostedKind):
    table_keys: tuple[str, ...] | None = ("delivery",)
    name = "gemini"
    description = "the Gemini API: Gemini Omni Flash through the Interactions API"
    default_base_url = "https://generativelanguage.googleapis.com/v1beta"
    default_key_env = "GEMINI_API_KEY"
    fallback_key_envs = ("GOOGLE_API_KEY",)
    models_table = "gemini"
    remix_default = True
    default_model = DEFAULT_MODEL
    # Omni makes sound with every video and takes no seed: neither may be asked for.
    open_audio = False
    open_seed = False

    auth = staticmethod(key_header)
    parse_error = staticmethod(parse_error)

    def _client(self, spec: Any, connect: Connect) -> GeminiClient:
        return GeminiClient(self.transport(spec, connect))

    def _delivery(self, spec: Any) -> str:
        delivery = str(spec.options.get("delivery", "uri"))
        if delivery not in DELIVERIES:
            from video_gen.errors import ConfigError

            raise ConfigError(
                f"[providers.{spec.name}] delivery must be one of {', '.join(DELIVERIES)},"
                f" not {delivery!r}",
                hint=f'video-gen config set providers.{spec.name}.delivery "uri"',
            )
        return delivery

    def open(self, spec: Any, connect: Connect) -> GeminiProvider:
        return GeminiProvider(
            spec.name,
            self._client(spec, connect),
            models=spec.declared_models(),
            delivery=self._delivery(spec),
        )

    def validate(self, request: GenerationRequest, caps: ModelCapabilities | None) -> None:
        retired = _retired().get(request.model)
        if isinstance(retired, Mapping):
            raise UsageError(
                f"{request.model} is not served by the Gemini API any more"
                f" ({retired.get('why', 'retired')})",
                hint=f"use --model {retired.get('use', DEFAULT_MODEL)}"
                + (f" ({retired['note']})" if retired.get("note") else ""),
            )

    def preview(self, spec: Any, request: GenerationRequest) -> RequestPreview:
        body = request_body(request, delivery=self._delivery(spec), inline_images=False)
        body["background"] = True
        return RequestPreview("POST", f"{spec.base_url.rstrip('/')}/interactions", body)

    def check(self, spec: Any, connect: Connect) -> CheckResult:
        """``GET /models`` proves the key (Google refuses a bad one with 400 API_KEY_INVALID)
        and spends nothing."""
        client = self._client(spec, connect)
        base = spec.base_url.rstrip("/")
        try:
            listed = client.models()
        finally:
            client.close()
        ids = tuple(str(m.get("name", "")).removeprefix("models/") for m in listed if m.get("name"))
        detail = f"{len(ids)} model{'s' if len(ids) != 1 else ''} listed"
        if spec.model and ids and spec.model not in ids:
            detail += f"; the default model {spec.model} is NOT among them"
        return CheckResult(
            spec.name,
            spec.kind,
            base,
            f"GET {base}/models",
            detail,
            job_list=False,
            server="Gemini API",
            models=ids,
            warnings=(
                "no job list: a create that fails ambiguously cannot be looked up here, so"
                " video-gen records it in doubt and never posts it again",
            ),
        )


KIND = GeminiKind()
