"""The OpenAI Videos API routes (`/v1/videos`), as played by the openai, litellm, vllm-omni and
sglang profiles."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from video_gen.emulator.api_errors import (
    ApiError,
    DropConnection,
    invalid_type,
    invalid_value,
    video_not_found,
)
from video_gen.emulator.content import Unsatisfiable, make_body, parse_range
from video_gen.emulator.faults import SENDING
from video_gen.emulator.forms import parse_body
from video_gen.emulator.jobs import Job
from video_gen.emulator.profiles import Profile, decode_litellm_id
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
        route("GET", p, "/videos/{video_id}/content", "content", content),
    ]
    if profile.delete_route:
        table.append(route("DELETE", p, "/videos/{video_id}", "delete", delete))
    if profile.remix:
        table.append(route("POST", p, "/videos/{video_id}/remix", "remix", remix))
    return table


def _job(svc: Service, req: Request) -> Job:
    video_id = req.params["video_id"]
    decoded = decode_litellm_id(video_id)
    if decoded is not None:
        req.notes["model"] = decoded.get("model_id", "")  # the group LiteLLM routes the id to
    upstream = svc.profile.upstream_id(video_id)
    if upstream is None:
        # LiteLLM routes an id it did not make to the public OpenAI API; offline (as here, and
        # in any sealed network) that fails as a 500.
        raise ApiError(
            500,
            "litellm.InternalServerError: InternalServerError: OpenAIException - Cannot connect"
            " to host api.openai.com:443 ssl:default [Name or service not known]",
            type="internal_server_error",
            origin="proxy",
        )
    job = svc.jobs.get(upstream)
    if job is None:
        raise video_not_found(upstream)
    _note(svc, req, job)
    return job


def _note(svc: Service, req: Request, job: Job) -> None:
    req.notes["model"] = job.model
    req.notes["video_id"] = svc.profile.shown_id(job, poll=True)
    decoded = decode_litellm_id(req.notes["video_id"])
    req.notes["deployment"] = (decoded or {}).get("deployment_id", "")


def _render(svc: Service, job: Job, *, poll: bool = True) -> dict[str, Any]:
    return svc.profile.render(job, svc.jobs.view(job), poll=poll)


def create(svc: Service, req: Request) -> Response:
    form = parse_body(req.header("content-type"), req.body)
    req.notes["model"] = str(form.fields.get("model") or svc.profile.default_model)
    params = validate_create(svc.profile, form)
    job = _create_retried(
        svc,
        req,
        lambda: svc.create_job(
            "create",
            model=params.model,
            prompt=params.prompt,
            seconds=params.seconds,
            size=params.size,
            has_reference=params.has_reference,
        ),
    )
    return Response(svc.profile.create_status, _render(svc, job, poll=False))


def _create_retried(svc: Service, req: Request, make: Callable[[], Job]) -> Job:
    """``make()``, re-run as a proxy's router does (``profile.num_retries``) when it fails after
    reaching the server: each try that failed after creating a job leaves that job behind."""
    tries = 0
    while True:
        try:
            job = make()
        except (ApiError, DropConnection) as exc:
            failed_upstream = isinstance(exc, DropConnection) or exc.status >= 500
            if not failed_upstream or tries >= svc.profile.num_retries:
                raise
            tries += 1
            svc.log(f"proxy router: re-posting the create (retry {tries})")
            continue
        req.notes["attempted_retries"] = str(tries)
        _note(svc, req, job)
        req.notes["deployment"] = (decode_litellm_id(job.id) or {}).get("deployment_id", "")
        return job


def retrieve(svc: Service, req: Request) -> Response:
    job = _job(svc, req)
    headers = {}
    if svc.poll_hint_ms is not None:
        headers["openai-poll-after-ms"] = str(svc.poll_hint_ms)
    view = svc.jobs.view(job)
    status = svc.profile.failed_retrieve_status if view.phase == "failed" else 200
    return Response(status, _render(svc, job), headers)


def list_videos(svc: Service, req: Request) -> Response:
    if svc.profile.list_refusal is not None:
        raise ApiError(400, svc.profile.list_refusal, origin="proxy")
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
    job = _create_retried(
        svc,
        req,
        lambda: svc.create_job(
            "remix",
            model=source.model,
            prompt=prompt,
            seconds=source.seconds,
            size=source.size,
            # The upstream's id: LiteLLM passes remixed_from_video_id through unwrapped.
            remixed_from=source.upstream_id,
        ),
    )
    return Response(svc.profile.create_status, _render(svc, job, poll=False))


def content(svc: Service, req: Request) -> Response:
    job = _job(svc, req)
    return content_response(svc, req, job, _variant(svc.profile, req.query.get("variant")))


def _variant(profile: Profile, asked: str | None) -> str:
    if profile.variant_rule == "ignored":
        return "video"  # whatever was asked: the MP4 (LiteLLM does not even forward `variant`)
    if profile.variant_rule == "index":
        # SGLang reads `variant` as the index of an output; a job has one, the MP4.
        if asked is None or asked == "0":
            return "video"
        raise ApiError(404, f"Output {asked!r} not found: this job produced 1 output (index 0).")
    variant = asked if asked is not None else "video"
    if variant not in VARIANTS:
        raise invalid_value("variant", variant, VARIANTS)
    return variant


def content_response(svc: Service, req: Request, job: Job, variant: str) -> Response:
    """The bytes of a finished job, honouring Range and the `truncate` fault."""
    view = svc.jobs.view(job)
    if view.final and view.phase != "completed":
        raise ApiError(404, f"Video generation {view.phase}; there is no content to download.")
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
