"""The OpenAI Videos API routes (`/v1/videos`), as played by the openai, litellm, vllm-omni and
sglang profiles."""

from __future__ import annotations

from typing import Any

from video_gen.emulator.api_errors import (
    ApiError,
    invalid_type,
    invalid_value,
    video_not_found,
)
from video_gen.emulator.content import Unsatisfiable, make_body, parse_range
from video_gen.emulator.faults import SENDING
from video_gen.emulator.forms import parse_body
from video_gen.emulator.jobs import Job
from video_gen.emulator.profiles import Profile
from video_gen.emulator.service import Service
from video_gen.emulator.validation import check_prompt, check_unknown_fields, validate_create
from video_gen.emulator.wire import Request, Response, Route, route

VARIANTS = ("video", "thumbnail", "spritesheet")
LIST_DEFAULT_LIMIT = 20
LIST_MAX_LIMIT = 100


def routes(profile: Profile) -> list[Route]:
    p = profile.api_prefix
    table = [
        route("POST", p, "/videos", "create", create),
        route("GET", p, "/videos", "list", list_videos),
        route("GET", p, "/videos/{video_id}", "retrieve", retrieve),
        route("DELETE", p, "/videos/{video_id}", "delete", delete),
        route("GET", p, "/videos/{video_id}/content", "content", content),
    ]
    if profile.remix:
        table.append(route("POST", p, "/videos/{video_id}/remix", "remix", remix))
    return table


def _job(svc: Service, req: Request) -> Job:
    video_id = req.params["video_id"]
    job = svc.jobs.get(video_id)
    if job is None:
        raise video_not_found(video_id)
    return job


def _render(svc: Service, job: Job) -> dict[str, Any]:
    return svc.profile.render(job, svc.jobs.view(job))


def create(svc: Service, req: Request) -> Response:
    form = parse_body(req.header("content-type"), req.body)
    params = validate_create(svc.profile, form)
    job = svc.create_job(
        "create",
        model=params.model,
        prompt=params.prompt,
        seconds=params.seconds,
        size=params.size,
        has_reference=params.has_reference,
    )
    return Response(svc.profile.create_status, _render(svc, job))


def retrieve(svc: Service, req: Request) -> Response:
    job = _job(svc, req)
    headers = {}
    if svc.poll_hint_ms is not None:
        headers["openai-poll-after-ms"] = str(svc.poll_hint_ms)
    return Response(200, _render(svc, job), headers)


def list_videos(svc: Service, req: Request) -> Response:
    limit = _limit(req.query.get("limit"))
    order = req.query.get("order", "desc")
    if order not in ("asc", "desc"):
        raise invalid_value("order", order, ["asc", "desc"])
    jobs = svc.jobs.ordered(descending=order == "desc")
    after = req.query.get("after")
    if after:
        ids = [j.id for j in jobs]
        # An id that is not (or no longer) there gives an empty page rather than an error, so a
        # client paging while videos are deleted simply stops.
        jobs = jobs[ids.index(after) + 1 :] if after in ids else []
    page = jobs[:limit]
    data = [_render(svc, j) for j in page]
    return Response(
        200,
        {
            "object": "list",
            "data": data,
            "first_id": page[0].id if page else None,
            "last_id": page[-1].id if page else None,
            "has_more": len(jobs) > len(page),
        },
    )


def _limit(raw: str | None) -> int:
    if raw is None or raw == "":
        return LIST_DEFAULT_LIMIT
    try:
        limit = int(raw)
    except ValueError:
        raise invalid_type("limit", "an integer", raw) from None
    if limit < 0:
        raise ApiError(
            400,
            f"Invalid 'limit': integer below minimum value. Expected a value >= 0, but got"
            f" {limit} instead.",
            param="limit",
            code="integer_below_min_value",
        )
    if limit > LIST_MAX_LIMIT:
        raise ApiError(
            400,
            f"Invalid 'limit': integer above maximum value. Expected a value <= {LIST_MAX_LIMIT},"
            f" but got {limit} instead.",
            param="limit",
            code="integer_above_max_value",
        )
    return limit


def delete(svc: Service, req: Request) -> Response:
    job = _job(svc, req)
    view = svc.jobs.view(job)
    if not view.final and svc.profile.delete_running == "reject":
        raise ApiError(
            400,
            f"Video '{job.id}' is still {svc.profile.status(view)}; only completed or failed"
            " videos can be deleted.",
            param="video_id",
            code="invalid_value",
        )
    svc.jobs.delete(job.id)
    if not view.final:
        svc.log(f"job {job.id} aborted by DELETE")
    return Response(200, {"id": job.id, "object": "video.deleted", "deleted": True})


def remix(svc: Service, req: Request) -> Response:
    source = _job(svc, req)
    form = parse_body(req.header("content-type"), req.body)
    check_unknown_fields(svc.profile, form, frozenset({"prompt"}))
    prompt = check_prompt(form.fields.get("prompt"))
    view = svc.jobs.view(source)
    if view.phase != "completed":
        raise ApiError(
            400,
            f"Video '{source.id}' is {svc.profile.status(view)}; only completed videos can be"
            " remixed.",
            param="video_id",
            code="invalid_value",
        )
    job = svc.create_job(
        "remix",
        model=source.model,
        prompt=prompt,
        seconds=source.seconds,
        size=source.size,
        remixed_from=source.id,
    )
    return Response(svc.profile.create_status, _render(svc, job))


def content(svc: Service, req: Request) -> Response:
    job = _job(svc, req)
    variant = req.query.get("variant", "video") if svc.profile.variants else "video"
    if variant not in VARIANTS:
        raise invalid_value("variant", variant, VARIANTS)
    return content_response(svc, req, job, variant)


def content_response(svc: Service, req: Request, job: Job, variant: str) -> Response:
    """The bytes of a finished job, honouring Range and the `truncate` fault."""
    view = svc.jobs.view(job)
    if view.phase == "failed":
        raise ApiError(404, "Video generation failed; there is no content to download.")
    if view.phase != "completed":
        raise ApiError(404, "Video is not ready yet.")
    body = make_body(variant, svc.video_bytes, job)
    headers = {"Accept-Ranges": "bytes"}
    try:
        span = parse_range(req.header("range"), body.size)
    except Unsatisfiable:
        raise ApiError(
            416,
            f"Requested range not satisfiable (the content is {body.size} bytes).",
            code="range_not_satisfiable",
            headers={"Content-Range": f"bytes */{body.size}", **headers},
        ) from None
    truncate = not req.head and svc.faults.take(SENDING, "content") is not None
    if truncate:
        svc.log(f"fault truncate: cutting {variant} of {job.id} short")
    if span is None:
        return Response(200, headers=headers, body=body, truncate=truncate)
    start, stop = span
    headers["Content-Range"] = f"bytes {start}-{stop - 1}/{body.size}"
    return Response(206, headers=headers, body=body, start=start, stop=stop, truncate=truncate)
