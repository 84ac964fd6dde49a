"""The Gemini API's Interactions API (``/v1beta``), played by the gemini profile.

As google-genai 3.6 speaks it (``_gaos/interactions.py``, ``types/interactions``): ``POST
/interactions`` ``{model, input, response_format: {type: "video", aspect_ratio, resolution,
duration, delivery}, background}``; ``GET /interactions/{id}`` with ``steps`` (a ``user_input``
step, then a ``model_output`` step whose content is the video, inline base64 or a file ``uri``)
and ``usage``; ``POST .../cancel``; ``GET /files/{name}`` (``state``) and ``GET
/files/{name}:download?alt=media``; ``GET /models``. The key is ``x-goog-api-key`` (or ``?key=``):
a missing one answers 403, a wrong one 400 ``API_KEY_INVALID`` in Google's own error shape.
Without ``background`` the create blocks until the video is done, as the real one does.
"""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Mapping
from typing import Any

from video_gen.emulator import native
from video_gen.emulator.api_errors import ApiError
from video_gen.emulator.content import make_body
from video_gen.emulator.jobs import Job
from video_gen.emulator.profiles import Profile
from video_gen.emulator.service import Service, mask_key
from video_gen.emulator.validation import check_prompt
from video_gen.emulator.wire import Request, Response, Route, route

TOKENS_PER_SECOND_720P = 5792  # video tokens per second at 720p (Google's pricing notes)
_DURATION = re.compile(r"^(\d{1,2})s$")
_RESOLUTIONS = ("360p", "720p", "1080p", "4k")
_ASPECTS = ("16:9", "9:16")
_DELIVERIES = ("inline", "uri")
_STATUS = {"queued": "in_progress", "running": "in_progress", "failed": "failed"}
_GOOGLE_STATUS = {
    400: "INVALID_ARGUMENT",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


def error_body(err: ApiError) -> dict[str, Any]:
    """The Interactions API's ``{"error": {"code", "message"}}``; key errors come from Google's
    front end in its classic shape (integer code, status, ``details[].reason``)."""
    if err.code == "API_KEY_INVALID" or err.status == 403:
        body: dict[str, Any] = {
            "code": err.status,
            "message": err.message,
            "status": _GOOGLE_STATUS.get(err.status, "UNKNOWN"),
        }
        if err.code == "API_KEY_INVALID":
            body["details"] = [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "API_KEY_INVALID",
                    "domain": "googleapis.com",
                    "metadata": {"service": "generativelanguage.googleapis.com"},
                }
            ]
        return {"error": body}
    code = err.code or {404: "not_found", 429: "resource_exhausted"}.get(err.status)
    if code is None:
        code = "internal" if err.status >= 500 else "invalid_request"
    return {"error": {"code": code, "message": err.message}}


def check_key(svc: Service, req: Request) -> None:
    key = req.header("x-goog-api-key") or req.query.get("key")
    if not key:
        raise ApiError(
            403,
            "Method doesn't allow unregistered callers (callers without established identity)."
            " Please use API Key or other form of API consumer identity to call this API.",
        )
    if svc.require_key is not None and key != svc.require_key:
        raise ApiError(
            400,
            f"API key not valid ({mask_key(key)}). Please pass a valid API key.",
            code="API_KEY_INVALID",
        )


def routes(profile: Profile) -> list[Route]:
    p = profile.api_prefix

    def wrap(handler: Any) -> Any:
        return native.guarded(handler, check_key=check_key, body=error_body)

    return [
        route("POST", p, "/interactions", "create", wrap(create)),
        route("GET", p, "/interactions/{iid}", "retrieve", wrap(retrieve)),
        route("POST", p, "/interactions/{iid}/cancel", "cancel", wrap(cancel), fault="delete"),
        # Before /files/{name}: the first matching route wins.
        route("GET", p, "/files/{name}:download", "content", wrap(download)),
        route("GET", p, "/files/{name}", "file", wrap(file_meta), fault="retrieve"),
        route("GET", p, "/models", "models", wrap(list_models), fault="list"),
    ]


def _bad(message: str) -> ApiError:
    return ApiError(400, message, code="invalid_request")


def _video_format(raw: Any) -> Mapping[str, Any]:
    formats = raw if isinstance(raw, list) else [raw]
    for item in formats:
        if isinstance(item, Mapping) and item.get("type") == "video":
            return item
    raise _bad("response_format must include an entry of type 'video' to generate a video.")


def _prompt(value: Any) -> tuple[str, bool]:
    """The prompt text and whether an image came with it."""
    if isinstance(value, str):
        return check_prompt(value), False
    if isinstance(value, list):
        texts = [
            str(i.get("text", ""))
            for i in value
            if isinstance(i, Mapping) and i.get("type") == "text"
        ]
        images = [i for i in value if isinstance(i, Mapping) and i.get("type") == "image"]
        for image in images:
            if not image.get("data") and not image.get("uri"):
                raise _bad("An image content block needs data or uri.")
        return check_prompt(" ".join(texts)), bool(images)
    raise _bad("input must be a string or a list of content blocks.")


def create(svc: Service, req: Request) -> Response:
    body = native.json_body(req)
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise _bad("model is required.")
    retired = native.model_table("gemini_retired").get(model)
    if retired is not None:
        raise ApiError(
            404,
            f"models/{model} is not found for API version v1beta: {retired.get('why')}."
            f" Use {retired.get('use')} instead.",
            code="not_found",
        )
    caps = native.model_table("gemini").get(model)
    if caps is None:
        raise ApiError(
            404, f"models/{model} is not found or does not generate video.", code="not_found"
        )
    prompt, has_image = _prompt(body.get("input"))
    fmt = _video_format(body.get("response_format"))
    resolution = fmt.get("resolution", "720p")
    aspect = fmt.get("aspect_ratio", "16:9")
    delivery = fmt.get("delivery", "inline")
    duration = str(fmt.get("duration", "8s"))
    m = _DURATION.match(duration)
    if resolution not in _RESOLUTIONS:
        raise _bad(f"Invalid resolution {resolution!r}: use one of {', '.join(_RESOLUTIONS)}.")
    if aspect not in _ASPECTS:
        raise _bad(f"Invalid aspect_ratio {aspect!r}: use one of {', '.join(_ASPECTS)}.")
    if delivery not in _DELIVERIES:
        raise _bad(f"Invalid delivery {delivery!r}: use inline or uri.")
    if m is None or int(m.group(1)) not in caps.get("seconds", range(3, 11)):
        raise _bad(f"Invalid duration {duration!r}: use a string from '3s' to '10s'.")
    previous = body.get("previous_interaction_id")
    if previous is not None:
        source = svc.jobs.get(str(previous))
        if source is None or native.ended(svc.jobs.view(source)) != "completed":
            raise _bad(f"previous_interaction_id {previous!r} is not a completed interaction.")
    job = svc.create_job(
        "create",
        model=model,
        prompt=prompt,
        seconds=m.group(1),
        size=f"{resolution}@{aspect}",
        remixed_from=str(previous) if previous else None,
        has_reference=has_image,
        extra={
            "delivery": delivery,
            "format": dict(fmt),
            "resolution": resolution,
            "background": body.get("background") is True,
        },
    )
    if body.get("background") is not True:
        # Without background the real API answers only when the video is done (and bills).
        while not svc.jobs.view(job).final:
            time.sleep(0.05)
    return Response(200, render(svc, job))


def _job(svc: Service, iid: str) -> Job:
    job = svc.jobs.get(iid)
    if job is None:
        raise ApiError(404, f"Interaction {iid} not found.", code="not_found")
    return job


def _file_ready(svc: Service, job: Job) -> bool:
    """A delivered file is PROCESSING a moment after the interaction completes."""
    view = svc.jobs.view(job)
    return view.phase == "completed" and view.elapsed >= job.run_seconds + min(
        0.5, 0.2 * job.run_seconds
    )


def render(svc: Service, job: Job) -> dict[str, Any]:
    view = svc.jobs.view(job)
    state = native.ended(view)
    data: dict[str, Any] = {
        "id": job.id,
        "object": "interaction",
        "model": job.model,
        "status": _STATUS.get(state, state),
        "created": _iso(job.created_at),
        "updated": _iso(job.created_at + view.elapsed),
        "response_format": job.extra.get("format"),
    }
    if job.remixed_from:
        data["previous_interaction_id"] = job.remixed_from
    steps: list[dict[str, Any]] = [
        {"type": "user_input", "content": [{"type": "text", "text": job.prompt}]}
    ]
    if state == "failed" and job.failure is not None:
        if job.failure.code == "moderation_blocked":
            # A refusal completes with text and no video.
            data["status"] = "completed"
            text = (
                "I can't generate that video: the request may violate the usage policies."
                " Please try a different prompt."
            )
            steps.append({"type": "model_output", "content": [{"type": "text", "text": text}]})
        else:
            data["errors"] = [{"code": "internal", "message": job.failure.message}]
    elif state == "completed":
        steps.append({"type": "model_output", "content": [_video(svc, job)]})
        tokens = int(TOKENS_PER_SECOND_720P * int(job.seconds))
        data["usage"] = {
            "total_output_tokens": tokens,
            "output_tokens_by_modality": [{"modality": "video", "tokens": tokens}],
        }
    data["steps"] = steps
    return data


def _video(svc: Service, job: Job) -> dict[str, Any]:
    if job.extra.get("delivery") == "uri":
        return {
            "type": "video",
            "mime_type": "video/mp4",
            "uri": f"{svc.base_url}/files/{job.id}:download?alt=media",
        }
    raw = make_body("video", svc.video_bytes, job).read_all()
    return {"type": "video", "mime_type": "video/mp4", "data": base64.b64encode(raw).decode()}


def _iso(unix: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(unix))


def retrieve(svc: Service, req: Request) -> Response:
    return Response(200, render(svc, _job(svc, req.params["iid"])))


def cancel(svc: Service, req: Request) -> Response:
    job = _job(svc, req.params["iid"])
    if not native.cancel(svc, job):
        raise _bad(f"Interaction {job.id} has already ended and cannot be cancelled.")
    return Response(200, render(svc, job))


def _file_job(svc: Service, name: str) -> Job:
    job = svc.jobs.get(name)
    if job is None or job.extra.get("delivery") != "uri":
        raise ApiError(404, f"File files/{name} not found.", code="not_found")
    return job


def file_meta(svc: Service, req: Request) -> Response:
    name = req.params["name"]
    job = _file_job(svc, name)
    ready = _file_ready(svc, job)
    view = svc.jobs.view(job)
    state = "ACTIVE" if ready else ("FAILED" if view.phase == "failed" else "PROCESSING")
    return Response(
        200,
        {
            "name": f"files/{name}",
            "mimeType": "video/mp4",
            "sizeBytes": str(make_body("video", svc.video_bytes, job).size),
            "state": state,
            "uri": f"{svc.base_url}/files/{name}",
            "downloadUri": f"{svc.base_url}/files/{name}:download?alt=media",
            "source": "GENERATED",
        },
    )


def download(svc: Service, req: Request) -> Response:
    from video_gen.emulator.videos_api import content_response

    job = _file_job(svc, req.params["name"])
    if not _file_ready(svc, job):
        raise ApiError(
            400, f"File files/{job.id} is not in an ACTIVE state.", code="failed_precondition"
        )
    return content_response(svc, req, job, "video")


def list_models(svc: Service, req: Request) -> Response:
    models = [
        {
            "name": f"models/{name}",
            "displayName": "Gemini Omni Flash" if "omni" in name else name,
            "supportedGenerationMethods": ["createInteraction"],
        }
        for name in native.model_table("gemini")
    ]
    models.append(
        {
            "name": "models/gemini-3-flash",
            "displayName": "Gemini 3 Flash",
            "supportedGenerationMethods": ["generateContent", "createInteraction"],
        }
    )
    return Response(200, {"models": models})
