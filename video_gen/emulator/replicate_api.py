"""Replicate's HTTP API (``/v1``), played by the replicate profile.

As the replicate SDK 1.0 speaks it (``model.py``, ``prediction.py``, ``account.py``): ``POST
/models/{owner}/{name}/predictions`` ``{input}`` (or ``POST /predictions`` ``{version, input}``)
-> 201 prediction; ``GET /predictions/{id}``; ``POST /predictions/{id}/cancel``; ``GET
/predictions`` -> ``{previous, next, results}`` newest first (summaries without ``input``, so a
client must read a candidate to compare its prompt); ``GET /account``. The output of a
succeeded prediction is a file URL served without the token. Errors are problem details
``{title, detail, status}``; a bad input answers 422 at create.
"""

from __future__ import annotations

import time
from typing import Any

from video_gen.emulator import native
from video_gen.emulator.api_errors import ApiError
from video_gen.emulator.jobs import Job
from video_gen.emulator.profiles import Profile
from video_gen.emulator.service import Service
from video_gen.emulator.wire import Request, Response, Route, route

_STATUS = {"queued": "starting", "running": "processing", "completed": "succeeded"}
_TITLES = {
    401: "Unauthenticated",
    402: "Payment Required",
    404: "Not found",
    422: "Input validation failed",
    429: "Too Many Requests",
}


def error_body(err: ApiError) -> dict[str, Any]:
    title = _TITLES.get(err.status) or (
        "Internal Server Error" if err.status >= 500 else "Bad Request"
    )
    return {"title": title, "detail": err.message, "status": err.status}


def check_key(svc: Service, req: Request) -> None:
    scheme, _, token = (req.header("authorization") or "").strip().partition(" ")
    if scheme.lower() not in ("bearer", "token") or not token.strip():
        raise ApiError(401, "You did not pass an authentication token")
    if svc.require_key is not None and token.strip() != svc.require_key:
        raise ApiError(401, "You did not pass a valid authentication token")


def routes(profile: Profile) -> list[Route]:
    p = profile.api_prefix

    def wrap(handler: Any, key: bool = True) -> Any:
        return native.guarded(handler, check_key=check_key if key else None, body=error_body)

    return [
        route("POST", p, "/models/{owner}/{name}/predictions", "create", wrap(create_model)),
        route("POST", p, "/predictions", "create", wrap(create_version)),
        route("GET", p, "/predictions", "list", wrap(list_predictions)),
        route("GET", p, "/predictions/{pid}", "retrieve", wrap(retrieve)),
        route("POST", p, "/predictions/{pid}/cancel", "cancel", wrap(cancel), fault="delete"),
        route("GET", p, "/account", "account", wrap(account), fault="list"),
        # Output files live at the server root, like a CDN's.
        route("GET", "", "/files/{job_id}/output.mp4", "content", wrap(native.serve_output, False)),
    ]


def _invalid(field: str, message: str) -> ApiError:
    return ApiError(422, f"- input.{field}: {message}")


def _check_input(model: str, caps: dict[str, Any], input_: Any) -> dict[str, Any]:
    from video_gen.providers import kinds
    from video_gen.providers.hosted import InputMap

    if not isinstance(input_, dict):
        raise ApiError(422, "- input: Invalid type. Expected: object")
    names = InputMap.of(model, kinds.get("replicate"))
    prompt = input_.get(names.prompt)
    if not isinstance(prompt, str) or not prompt.strip():
        raise _invalid(names.prompt, f"{names.prompt} is required")
    if names.duration and names.duration in input_ and caps.get("seconds"):
        allowed = [names.duration_value(s) for s in caps["seconds"]]
        if input_[names.duration] not in allowed:
            raise _invalid(names.duration, f"must be one of {allowed}")
    for field, key in ((names.resolution, "resolutions"), (names.aspect_ratio, "aspect_ratios")):
        if field and field in input_ and caps.get(key) and input_[field] not in caps[key]:
            raise _invalid(field, f"must be one of {caps[key]}")
    return input_


def _create(svc: Service, model: str, version: str | None, input_: Any) -> Response:
    caps = native.model_table("replicate").get(model)
    if caps is None:
        raise ApiError(404, "The requested resource could not be found.")
    checked = _check_input(model, dict(caps), input_)
    job = svc.create_job(
        "create",
        model=model,
        prompt=str(checked.get("prompt", "")),
        seconds=str(checked.get("duration", "")),
        size=f"{checked.get('resolution', '')}@{checked.get('aspect_ratio', '')}",
        has_reference=bool(checked.get("image") or checked.get("start_image")),
        extra={"input": checked, "version": version or "emulator-" + model.replace("/", "-")},
    )
    return Response(201, render(svc, job))


def create_model(svc: Service, req: Request) -> Response:
    body = native.json_body(req)
    return _create(svc, f"{req.params['owner']}/{req.params['name']}", None, body.get("input"))


def create_version(svc: Service, req: Request) -> Response:
    body = native.json_body(req)
    version = body.get("version")
    for model in native.model_table("replicate"):
        if version == "emulator-" + model.replace("/", "-"):
            return _create(svc, model, str(version), body.get("input"))
    raise ApiError(422, "Invalid version or not permitted")


def _iso(unix: float | None) -> str | None:
    if unix is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(unix)) + f".{int(unix % 1 * 1e6):06d}Z"


def render(svc: Service, job: Job, *, summary: bool = False) -> dict[str, Any]:
    view = svc.jobs.view(job)
    state = native.ended(view)
    status = "canceled" if state == native.CANCELLED else _STATUS.get(state, state)
    url = f"{svc.base_url}/predictions/{job.id}"
    data: dict[str, Any] = {
        "id": job.id,
        "model": job.model,
        "version": job.extra.get("version"),
        "status": status,
        "source": "api",
        "created_at": _iso(job.created_at),
        "started_at": _iso(job.created_at + job.queue_seconds) if state != "queued" else None,
        "completed_at": _iso(view.completed_at) if view.final else None,
        "urls": {
            "get": url,
            "cancel": f"{url}/cancel",
            "web": f"https://replicate.com/p/{job.id}",
        },
    }
    if summary:
        return data
    data["input"] = job.extra.get("input", {})
    data["output"] = native.output_url(svc, job) if state == "completed" else None
    data["logs"] = "" if state == "queued" else "generating video...\n"
    data["error"] = None
    if state == "failed" and job.failure is not None:
        data["error"] = job.failure.message
    data["metrics"] = (
        {
            "predict_time": round(job.run_seconds - job.queue_seconds, 3),
            "total_time": job.run_seconds,
        }
        if state == "completed"
        else {}
    )
    return data


def _job(svc: Service, req: Request) -> Job:
    job = svc.jobs.get(req.params["pid"])
    if job is None:
        raise ApiError(404, "The requested resource could not be found.")
    return job


def retrieve(svc: Service, req: Request) -> Response:
    return Response(200, render(svc, _job(svc, req)))


def cancel(svc: Service, req: Request) -> Response:
    job = _job(svc, req)
    native.cancel(svc, job)
    return Response(200, render(svc, job))


def list_predictions(svc: Service, req: Request) -> Response:
    jobs = svc.jobs.ordered(descending=True)[:100]
    return Response(
        200,
        {"previous": None, "next": None, "results": [render(svc, j, summary=True) for j in jobs]},
    )


def account(svc: Service, req: Request) -> Response:
    return Response(
        200,
        {"type": "user", "username": "emulator", "name": "video-gen emulator", "github_url": None},
    )
