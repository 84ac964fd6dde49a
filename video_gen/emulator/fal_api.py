"""fal's queue (``queue.fal.run``), played by the fal profile.

As fal-client 1.0 speaks it (``client.py``): ``POST /{owner}/{app}[/{path}]`` with the model's
input -> ``{request_id, response_url, status_url, cancel_url, queue_position}``; ``GET
/{owner}/{app}/requests/{id}/status`` -> ``IN_QUEUE`` (``queue_position``), ``IN_PROGRESS``
(``logs``), ``COMPLETED`` (``logs``, ``metrics``, and ``error``/``error_type`` when the run
failed); ``GET /{owner}/{app}/requests/{id}`` -> the result ``{video: {url, ...}}`` or the run's
error (FastAPI ``{"detail"}``, header ``X-Fal-Error-Type``); ``PUT .../cancel``. The queue takes
any JSON and checks it against the model only when the job runs: a bad input is a job whose
result answers 422. ``GET /v1/models/pricing`` plays fal's platform API (prices, key needed).
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from video_gen.emulator import native
from video_gen.emulator.api_errors import ApiError
from video_gen.emulator.content import make_body
from video_gen.emulator.jobs import Failure, Job
from video_gen.emulator.profiles import Profile
from video_gen.emulator.service import Service
from video_gen.emulator.wire import Request, Response, Route, route

_FAILED = "run_failed"


def error_body(err: ApiError) -> dict[str, Any]:
    return {"detail": err.message}


def check_key(svc: Service, req: Request) -> None:
    scheme, _, key = (req.header("authorization") or "").strip().partition(" ")
    if scheme.lower() != "key" or not key.strip():
        raise ApiError(401, "Missing or malformed Authorization header: use 'Key <FAL_KEY>'.")
    if svc.require_key is not None and key.strip() != svc.require_key:
        raise ApiError(401, "Invalid API key (fal.ai/dashboard/keys).")


def _app(owner: str, app: str) -> str:
    return f"{owner}/{app}"


def routes(profile: Profile) -> list[Route]:
    p = profile.api_prefix

    def wrap(handler: Any, key: bool = True) -> Any:
        return native.guarded(handler, check_key=check_key if key else None, body=error_body)

    submit = route("POST", p, "/{endpoint}", "create", wrap(create))
    # A model id has any number of segments: fal-ai/kling-video/v2.1/master/text-to-video.
    submit = Route(
        submit.method,
        re.compile(re.escape(p) + r"/(?P<endpoint>[^?]+)"),
        "create",
        submit.handler,
        "create",
    )
    return [
        route("GET", p, "/files/{job_id}/output.mp4", "content", wrap(native.serve_output, False)),
        route("GET", p, "/v1/models/pricing", "pricing", wrap(pricing), fault="list"),
        route("GET", p, "/{owner}/{app}/requests/{rid}/status", "retrieve", wrap(status)),
        route("GET", p, "/{owner}/{app}/requests/{rid}", "result", wrap(result), fault="retrieve"),
        route(
            "PUT", p, "/{owner}/{app}/requests/{rid}/cancel", "cancel", wrap(cancel), fault="delete"
        ),
        submit,
    ]


def _known(endpoint: str) -> dict[str, Any] | None:
    table = native.model_table("fal")
    found = table.get(endpoint)
    return dict(found) if found is not None else None


def _input_error(endpoint: str, caps: dict[str, Any], body: dict[str, Any]) -> str | None:
    """What the model would refuse when it runs (checked at run time, as fal does)."""
    from video_gen.providers import kinds
    from video_gen.providers.hosted import InputMap

    names = InputMap.of(endpoint, kinds.get("fal"))
    prompt = body.get(names.prompt)
    if not isinstance(prompt, str) or not prompt.strip():
        return f"{names.prompt}: field required"
    if names.duration and names.duration in body:
        allowed = [names.duration_value(s) for s in caps.get("seconds", [])]
        if allowed and body[names.duration] not in allowed:
            return f"{names.duration}: unexpected value; permitted: {allowed}"
    for field, key in ((names.resolution, "resolutions"), (names.aspect_ratio, "aspect_ratios")):
        if field and field in body and caps.get(key) and body[field] not in caps[key]:
            return f"{field}: unexpected value; permitted: {caps[key]}"
    return None


def create(svc: Service, req: Request) -> Response:
    endpoint = req.params["endpoint"].strip("/")
    parts = endpoint.split("/")
    if len(parts) < 2:
        raise ApiError(404, f"Application '{endpoint}' not found.")
    caps = _known(endpoint)
    apps = {"/".join(k.split("/")[:2]) for k in native.model_table("fal")}
    if caps is None and "/".join(parts[:2]) not in apps:
        raise ApiError(404, f"Application '{'/'.join(parts[:2])}' not found.")
    body = native.json_body(req)
    problem = _input_error(endpoint, caps or {}, body)
    prompt = body.get("prompt")
    job = svc.create_job(
        "create",
        model=endpoint,
        prompt=prompt if isinstance(prompt, str) else "",
        seconds=str(body.get("duration", "")),
        size=f"{body.get('resolution', '')}@{body.get('aspect_ratio', '')}",
        has_reference=bool(body.get("image_url")),
        extra={"app": "/".join(parts[:2]), "input": body},
    )
    if problem is not None and job.failure is None:
        job.failure = Failure("validation", problem, at="queue_end")
    app = job.extra["app"]
    base = f"{svc.base_url}/{app}/requests/{job.id}"
    return Response(
        200,
        {
            "request_id": job.id,
            "gateway_request_id": job.id,
            "response_url": base,
            "status_url": f"{base}/status",
            "cancel_url": f"{base}/cancel",
            "queue_position": 0,
        },
        {"x-fal-request-id": job.id},
    )


def _job(svc: Service, req: Request) -> Job:
    job = svc.jobs.get(req.params["rid"])
    app = _app(req.params["owner"], req.params["app"])
    if job is None or job.extra.get("app") != app:
        raise ApiError(404, f"Request {req.params['rid']} not found.")
    return job


def status(svc: Service, req: Request) -> Response:
    job = _job(svc, req)
    view = svc.jobs.view(job)
    state = native.ended(view)
    base = f"{svc.base_url}/{job.extra['app']}/requests/{job.id}"
    data: dict[str, Any] = {
        "request_id": job.id,
        "response_url": base,
        "status_url": f"{base}/status",
    }
    if state == "queued":
        data.update(status="IN_QUEUE", queue_position=0)
    elif state == "running":
        data.update(status="IN_PROGRESS", logs=None)
    else:
        data.update(status="COMPLETED", logs=None, metrics={"inference_time": job.run_seconds})
        if state == native.CANCELLED:
            data.update(error="Request was cancelled.", error_type="request_cancelled")
        elif state == "failed" and job.failure is not None and job.failure.code != "validation":
            data.update(error=job.failure.message, error_type=_FAILED)
    return Response(200, data)


def result(svc: Service, req: Request) -> Response:
    job = _job(svc, req)
    view = svc.jobs.view(job)
    state = native.ended(view)
    if not view.final:
        raise ApiError(400, "Request is still in progress.")
    failure = job.failure
    if state == native.CANCELLED:
        raise ApiError(
            400, "Request was cancelled.", headers={"x-fal-error-type": "request_cancelled"}
        )
    if state == "failed" and failure is not None:
        if failure.code == "validation":
            field, _, msg = failure.message.partition(": ")
            return Response(
                422,
                {"detail": [{"loc": ["body", field], "msg": msg, "type": "value_error"}]},
                {"x-fal-error-type": "validation_error"},
            )
        raise ApiError(500, failure.message, headers={"x-fal-error-type": _FAILED})
    size = make_body("video", svc.video_bytes, job).size
    return Response(
        200,
        {
            "video": {
                "url": native.output_url(svc, job),
                "content_type": "video/mp4",
                "file_name": "output.mp4",
                "file_size": size,
            },
            "seed": uuid.UUID(job.id).int % 2**31 if len(job.id) == 32 else 0,
        },
    )


def cancel(svc: Service, req: Request) -> Response:
    job = _job(svc, req)
    if not native.cancel(svc, job):
        return Response(400, {"status": "ALREADY_COMPLETED"})
    return Response(202, {"status": "CANCELLATION_REQUESTED"})


def pricing(svc: Service, req: Request) -> Response:
    from video_gen import pricing as prices

    endpoint = req.query.get("endpoint_id", "")
    out = []
    for row in prices.packaged_rows():
        if row.provider == "fal" and row.model == endpoint:
            per_video = bool(row.usd_per_video)
            out.append(
                {
                    "endpoint_id": endpoint,
                    "unit_price": row.usd_per_video if per_video else row.usd_per_second,
                    "unit": "video" if per_video else "second",
                    "currency": "USD",
                }
            )
            break
    return Response(200, {"prices": out, "next_cursor": None, "has_more": False})
