"""What the native-API profiles (gemini, fal, replicate) share: their route tables, their own
key checks and error bodies, and output files served the way a CDN serves them.

Each of these APIs carries its key its own way (``x-goog-api-key``; ``Authorization: Key``;
Bearer) and shapes its errors its own way (Google's ``{"error": {code, message, status,
details}}``, FastAPI's ``{"detail"}``, problem details ``{title, detail, status}``), so their
routes skip the server's OpenAI-style key check (``public``) and each handler is wrapped to check
the key and dress its errors as the real API does (``guarded``). Faults act exactly as on the
other profiles: a job is made by ``Service.create_job``, so ``create-500``/``create-drop`` answer
badly after the job exists and ``fail``/``moderation-job`` mark the job.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Final

from video_gen.emulator.api_errors import ApiError
from video_gen.emulator.jobs import Failure, Job, JobView
from video_gen.emulator.wire import Handler, Request, Response, Route

if TYPE_CHECKING:
    from video_gen.emulator.profiles import Profile
    from video_gen.emulator.service import Service

KeyCheck = Callable[["Service", Request], None]
ErrorBody = Callable[[ApiError], Any]
CANCELLED: Final = "cancelled"


def guarded(handler: Handler, *, check_key: KeyCheck | None, body: ErrorBody) -> Handler:
    """``handler`` behind the API's own key check, its errors in the API's own body."""

    def run(svc: Service, req: Request) -> Response:
        try:
            if check_key is not None:
                check_key(svc, req)
            return handler(svc, req)
        except ApiError as exc:
            return Response(exc.status, body(exc), dict(exc.headers))

    return run


def json_body(req: Request) -> dict[str, Any]:
    if not req.body:
        return {}
    try:
        data = json.loads(req.body)
    except ValueError:
        raise ApiError(400, "Request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise ApiError(400, "Request body must be a JSON object.")
    return data


def cancel(svc: Service, job: Job) -> bool:
    """Stop a job that has not ended (False when it already had)."""
    if svc.jobs.view(job).final:
        return False
    job.failure = Failure(CANCELLED, "Cancelled by the client.", at="queue_end", status=CANCELLED)
    job.queue_seconds = 0.0  # the failure shows at once
    return True


def ended(view: JobView) -> str:
    """``completed``, ``cancelled``, ``failed`` or ``running``/``queued`` (these APIs have no
    expired jobs: one is a failure to them)."""
    return "failed" if view.phase == "expired" else view.phase


def model_table(name: str) -> Mapping[str, Mapping[str, Any]]:
    """A kind's packaged models (``data/models.toml``): what the emulated API serves."""
    from video_gen import data

    table = data.load("models.toml").get(name, {})
    return table if isinstance(table, Mapping) else {}


def output_url(svc: Service, job: Job) -> str:
    """Where a finished job's file is served (no key needed, like a CDN's signed URL)."""
    root = svc.base_url[: len(svc.base_url) - len(svc.profile.api_prefix)]
    return f"{root}/files/{job.id}/output.mp4"


def serve_output(svc: Service, req: Request) -> Response:
    from video_gen.emulator.videos_api import content_response

    job = svc.jobs.get(req.params["job_id"])
    if job is None:
        raise ApiError(404, "Not Found")
    return content_response(svc, req, job, "video")


def routes(profile: Profile) -> list[Route]:
    """The route table of a native-API profile (by its shape)."""
    from video_gen.emulator import fal_api, gemini_api, replicate_api

    tables: dict[str, Callable[[Profile], list[Route]]] = {
        "gemini": gemini_api.routes,
        "fal": fal_api.routes,
        "replicate": replicate_api.routes,
    }
    # `public`: the server's Bearer check is skipped; `guarded` checks the API's own key.
    return [replace(r, public=True) for r in tables[profile.shape](profile)]


SHAPES = ("gemini", "fal", "replicate")
