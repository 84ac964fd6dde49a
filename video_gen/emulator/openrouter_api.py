"""OpenRouter's own video API (`/api/v1/videos`), played by the openrouter profile.

A different shape from OpenAI's: JSON create with integer ``duration``, ``resolution``,
``aspect_ratio``, ``generate_audio``, ``seed`` and ``frame_images`` (first/last frame); a 202
answer ``{id, polling_url, status: "pending"}``; polling reports ``usage.cost`` (the actual
charge, priced by the resolution and audio tier) and content URLs once completed; errors carry
an integer code. ``GET /videos/models`` needs no key; ``GET /key`` describes the key (401 if bad).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from typing import Any

from video_gen.emulator.api_errors import ApiError
from video_gen.emulator.forms import parse_body
from video_gen.emulator.jobs import Job
from video_gen.emulator.profiles import Profile
from video_gen.emulator.service import Service
from video_gen.emulator.validation import check_prompt
from video_gen.emulator.videos_api import content_response
from video_gen.emulator.wire import Request, Response, Route, route

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

_STATUS = {"queued": "pending", "running": "in_progress", "completed": "completed"}
_HEIGHTS = {"480p": 480, "720p": 720, "1080p": 1080}


@lru_cache(maxsize=1)
def models() -> Mapping[str, Mapping[str, Any]]:
    text = (
        resources.files(__package__ or "video_gen.emulator")
        .joinpath("openrouter_models.toml")
        .read_text(encoding="utf-8")
    )
    table = tomllib.loads(text).get("models", {})
    return table if isinstance(table, Mapping) else {}


def routes(profile: Profile) -> list[Route]:
    p = profile.api_prefix
    return [
        route("POST", p, "/videos", "create", create),
        # Before /videos/{video_id}: the first matching route wins.
        route("GET", p, "/videos/models", "models", list_models, fault="list", public=True),
        route("GET", p, "/videos/{video_id}", "retrieve", retrieve),
        route("GET", p, "/videos/{video_id}/content", "content", content),
        route("GET", p, "/key", "key", key_info, fault="list"),
    ]


def sku_price(caps: Mapping[str, Any], resolution: str, audio: bool) -> float:
    """USD per second for this resolution and audio choice, from the model's pricing_skus."""
    skus = caps.get("pricing_skus") or {}
    suffix = "" if audio or not caps.get("generate_audio") else "-no-audio"
    for key in (
        f"per-video-second-{resolution}{suffix}",
        f"per-video-second{suffix}",
        "per-video-second",
    ):
        if key in skus:
            return float(skus[key])
    return 0.0


def _bad(message: str) -> ApiError:
    return ApiError(400, message)


def create(svc: Service, req: Request) -> Response:
    form = parse_body(req.header("content-type"), req.body)
    if form.kind not in ("json", "empty"):
        raise _bad("Request body must be JSON (Content-Type: application/json).")
    body = form.fields
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise _bad("'model' is required: a video model slug such as google/veo-3.1.")
    caps = models().get(model)
    if caps is None:
        raise _bad(f"{model} is not a valid video model ID (known: {', '.join(models())}).")
    frames = body.get("frame_images")
    if frames is not None and not isinstance(frames, list):
        raise _bad("'frame_images' must be an array.")
    frame_types = _frame_types(frames or [], caps, model)
    audio = body.get("generate_audio", bool(caps.get("generate_audio")))
    if not isinstance(audio, bool):
        raise _bad(f"'generate_audio' must be a boolean, got {audio!r}.")
    if audio and not caps.get("generate_audio"):
        raise _bad(f"{model} does not support generate_audio=true.")
    seed = body.get("seed")
    if seed is not None:
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise _bad(f"'seed' must be an integer, got {seed!r}.")
        if not caps.get("seed"):
            raise _bad(f"{model} does not support seed.")
    prompt = body.get("prompt")
    # A first/last frame may stand in for the prompt.
    prompt = "" if prompt is None and frames else check_prompt(prompt)

    duration = body.get("duration", caps.get("default_duration", 8))
    if isinstance(duration, bool) or not isinstance(duration, int) or duration < 1:
        raise _bad(f"'duration' must be a positive integer number of seconds, got {duration!r}.")
    _one_of("duration", duration, caps.get("durations"), model)
    resolution = body.get("resolution", (caps.get("resolutions") or ["720p"])[0])
    _one_of("resolution", resolution, caps.get("resolutions"), model)
    aspect = body.get("aspect_ratio", (caps.get("aspect_ratios") or ["16:9"])[0])
    _one_of("aspect_ratio", aspect, caps.get("aspect_ratios"), model)

    cost = round(duration * sku_price(caps, str(resolution), audio), 6)
    job = svc.create_job(
        "create",
        model=model,
        prompt=prompt,
        seconds=str(duration),
        size=_size(str(resolution), str(aspect)),
        has_reference=bool(frames or body.get("input_references")),
        extra={
            "resolution": resolution,
            "aspect_ratio": aspect,
            "cost": cost,
            "generate_audio": audio,
            "seed": seed,
            "frame_types": frame_types,
        },
    )
    return Response(
        202,
        {"id": job.id, "polling_url": _polling_url(svc, job), "status": "pending"},
    )


def _frame_types(frames: list[Any], caps: Mapping[str, Any], model: str) -> list[str]:
    allowed = caps.get("frame_images") or []
    types = []
    for frame in frames:
        if not isinstance(frame, Mapping):
            raise _bad("each 'frame_images' item must be an object.")
        image = frame.get("image_url") if frame.get("type") == "image_url" else None
        url = image.get("url") if isinstance(image, Mapping) else None
        if not isinstance(url, str) or not url:
            raise _bad("each 'frame_images' item needs type 'image_url' and image_url.url.")
        kind = frame.get("frame_type", "first_frame")
        if kind not in allowed:
            shown = ", ".join(allowed) or "none"
            raise _bad(f"{model} does not support frame_type={kind!r} (supported: {shown}).")
        if kind in types:
            raise _bad(f"frame_type={kind!r} is given twice.")
        types.append(kind)
    return types


def _one_of(name: str, value: Any, allowed: Any, model: str) -> None:
    if isinstance(allowed, list) and value not in allowed:
        shown = ", ".join(str(a) for a in allowed)
        raise _bad(f"{model} does not support {name}={value!r} (supported: {shown}).")


def _size(resolution: str, aspect: str) -> str:
    height = _HEIGHTS.get(resolution, 720)
    w, _, h = aspect.partition(":")
    try:
        ratio = int(w) / int(h)
    except (ValueError, ZeroDivisionError):
        ratio = 16 / 9
    # `height` names the short side, as "720p" does for both orientations.
    if ratio >= 1:
        return f"{round(height * ratio)}x{height}"
    return f"{height}x{round(height / ratio)}"


def _polling_url(svc: Service, job: Job) -> str:
    # Relative, as OpenRouter sends it: a client must resolve it against its base URL.
    return f"{svc.profile.api_prefix}/videos/{job.id}"


def _job(svc: Service, req: Request) -> Job:
    job = svc.jobs.get(req.params["video_id"])
    if job is None:
        raise ApiError(404, "Video generation job not found.")
    return job


def retrieve(svc: Service, req: Request) -> Response:
    job = _job(svc, req)
    view = svc.jobs.view(job)
    data: dict[str, Any] = {
        "id": job.id,
        "polling_url": _polling_url(svc, job),
        "status": _STATUS.get(view.phase, view.phase),
        "model": job.model,
    }
    if view.phase != "queued":
        data["generation_id"] = f"gen-{job.id[:24]}"
    if view.phase == "completed":
        url = f"{svc.base_url}/videos/{job.id}/content?index=0"
        data["unsigned_urls"] = [url]
        data["urls"] = [url]
        data["usage"] = {"cost": job.extra.get("cost", 0.0), "is_byok": False}
    if view.final and view.phase != "completed" and job.failure is not None:
        data["error"] = job.failure.message
    return Response(200, data)


def content(svc: Service, req: Request) -> Response:
    job = _job(svc, req)
    raw = req.query.get("index", "0")
    if not raw.isdigit():
        raise _bad(f"'index' must be a non-negative integer, got {raw!r}.")
    if int(raw) != 0:
        raise ApiError(404, f"No output at index {raw}: this job produced 1 video.")
    return content_response(svc, req, job, "video")


def list_models(svc: Service, req: Request) -> Response:
    """The listing with OpenRouter's field names (its SDKs' VideoModel)."""
    data = []
    for slug, caps in models().items():
        data.append(
            {
                "id": slug,
                "canonical_slug": slug,
                "name": caps.get("name", slug),
                "description": f"{caps.get('name', slug)}, as played by the video-gen emulator.",
                "created": 1767225600,
                "hugging_face_id": None,
                "supported_resolutions": caps.get("resolutions", []),
                "supported_aspect_ratios": caps.get("aspect_ratios", []),
                "supported_sizes": caps.get("sizes"),
                "supported_durations": caps.get("durations"),
                "supported_frame_images": caps.get("frame_images", []),
                "generate_audio": bool(caps.get("generate_audio")),
                "seed": bool(caps.get("seed")),
                "pricing_skus": dict(caps.get("pricing_skus") or {}),
                "allowed_passthrough_parameters": [],
            }
        )
    return Response(200, {"data": data})


def key_info(svc: Service, req: Request) -> Response:
    """``GET /key``: what OpenRouter says about the calling key (spend so far, no limit)."""
    spent = 0.0
    for job in svc.jobs:
        if svc.jobs.view(job).phase == "completed":
            spent += float(job.extra.get("cost", 0.0))
    spent = round(spent, 6)
    return Response(
        200,
        {
            "data": {
                "label": "sk-or-v1-emu...lat",
                "limit": None,
                "limit_remaining": None,
                "limit_reset": None,
                "include_byok_in_limit": False,
                "usage": spent,
                "usage_daily": spent,
                "usage_weekly": spent,
                "usage_monthly": spent,
                "byok_usage": 0.0,
                "is_free_tier": False,
                "is_provisioning_key": False,
                "is_management_key": False,
                "expires_at": None,
            }
        },
    )
