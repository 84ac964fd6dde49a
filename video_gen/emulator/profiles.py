"""How each server that speaks the `/v1/videos` shape differs: one dataclass per server.

Every difference the emulator can play lives here as a field, so the routes read
``profile.remix`` rather than ``if profile.name == "vllm-omni"``. The facts come from
``docs/emulator.md`` (section "Profiles") and the project's API reference notes.
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from typing import Any, Literal

from video_gen.emulator.jobs import Job, JobView


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    api_prefix: str = "/v1"
    shape: Literal["openai", "openrouter", "gemini", "fal", "replicate"] = "openai"
    id_style: Literal["openai", "litellm", "uuid", "dashed"] = "openai"
    default_model: str = "sora-2"
    # Only models from data/models.toml exist (OpenAI); otherwise any model is passed through and
    # checked against models.toml only when listed there.
    known_models_only: bool = True
    reject_unknown_fields: bool = True
    # "model": the model's allowed seconds; "positive": any positive integer string.
    seconds_rule: Literal["model", "positive"] = "model"
    running_status: str | None = "in_progress"  # None: the server never reports running
    reports_progress: bool = True
    usage_duration: bool = False
    runtime_fields: bool = False  # inference_time_s, file_name
    remix: bool = True
    delete_running: Literal["reject", "abort"] = "reject"
    multipart_needs_file: bool = False
    variants: bool = True  # False: `variant` is ignored and the MP4 is always sent
    create_status: int = 200

    def new_id(self, model: str) -> str:
        hex_id = uuid.uuid4().hex
        if self.id_style == "openai":
            return f"video_{hex_id}"
        if self.id_style == "litellm":
            # LiteLLM packs the routing into the id so any proxy replica can serve the poll; the
            # result is long, opaque and full of base64: a client must store it as given.
            packed = f"litellm:custom_llm_provider:gemini;model_id:{model};video_id:{hex_id}"
            return "video_" + base64.urlsafe_b64encode(packed.encode()).decode().rstrip("=")
        if self.id_style == "dashed":
            return f"video-{uuid.uuid4()}"
        return hex_id

    def status(self, view: JobView) -> str:
        if view.phase == "running":
            return self.running_status or "queued"
        return view.phase

    def render(self, job: Job, view: JobView) -> dict[str, Any]:
        """The Video object, as this server shows it."""
        status = self.status(view)
        data: dict[str, Any] = {
            "id": job.id,
            "object": "video",
            "created_at": int(job.created_at),
            "status": status,
            "completed_at": view.completed_at,
            "error": (
                {"code": job.failure.code, "message": job.failure.message}
                if view.phase == "failed" and job.failure
                else None
            ),
            "expires_at": (
                view.completed_at + 3600
                if view.phase == "completed" and view.completed_at is not None
                else None
            ),
            "model": job.model,
            "progress": view.progress if status != "queued" else 0,
            "prompt": job.prompt,
            "remixed_from_video_id": job.remixed_from,
            "seconds": job.seconds,
            "size": job.size,
        }
        if not self.reports_progress:
            del data["progress"]
        if self.usage_duration:
            data["usage"] = {"duration_seconds": float(job.seconds)}
        if self.runtime_fields:
            data["inference_time_s"] = (
                round(job.run_seconds - min(job.queue_seconds, job.run_seconds), 3)
                if view.phase == "completed"
                else None
            )
            data["file_name"] = f"{job.id}.mp4"
        return data


OPENAI = Profile(
    name="openai",
    description="OpenAI's Videos API (Sora 2), exactly as documented",
)
LITELLM = Profile(
    name="litellm",
    description="LiteLLM proxy on a Gemini/Vertex route: long opaque ids, status `processing`,"
    " no progress, usage.duration_seconds",
    id_style="litellm",
    known_models_only=False,
    reject_unknown_fields=False,
    running_status="processing",
    reports_progress=False,
    usage_duration=True,
)
VLLM_OMNI = Profile(
    name="vllm-omni",
    description="vLLM-Omni serving an open-weight model: any positive seconds, extra fields,"
    " no remix, DELETE aborts a running job",
    id_style="dashed",
    default_model="Wan-AI/Wan2.2-T2V-A14B-Diffusers",
    known_models_only=False,
    reject_unknown_fields=False,
    seconds_rule="positive",
    runtime_fields=True,
    remix=False,
    delete_running="abort",
)
SGLANG = Profile(
    name="sglang",
    description="SGLang diffusion: queued then completed (never in_progress), multipart create"
    " needs a file, `variant` ignored",
    id_style="uuid",
    default_model="Wan-AI/Wan2.1-T2V-1.3B-Diffusers",
    known_models_only=False,
    reject_unknown_fields=False,
    seconds_rule="positive",
    running_status=None,
    multipart_needs_file=True,
    variants=False,
)
OPENROUTER = Profile(
    name="openrouter",
    description="OpenRouter's own video API under /api/v1 (JSON create, `pending`, usage.cost)",
    api_prefix="/api/v1",
    shape="openrouter",
    id_style="uuid",
    default_model="google/veo-3.1",
    known_models_only=False,
    reject_unknown_fields=False,
    remix=False,
    create_status=202,
)
# Native APIs (routes in gemini_api.py, fal_api.py, replicate_api.py): each checks its own key
# and shapes its own answers, so only the fields below apply to them.
GEMINI = Profile(
    name="gemini",
    description="the Gemini API's Interactions API (Gemini Omni Flash): x-goog-api-key,"
    " background interactions, inline or file (uri) delivery, refusals as text-only answers",
    api_prefix="/v1beta",
    shape="gemini",
    id_style="uuid",
    default_model="gemini-omni-1.1-flash",
    known_models_only=False,
    reject_unknown_fields=False,
)
FAL = Profile(
    name="fal",
    description="fal's queue: Authorization Key, IN_QUEUE/IN_PROGRESS/COMPLETED, input checked"
    " when the job runs, result video.url on a key-less CDN",
    api_prefix="",
    shape="fal",
    id_style="uuid",
    default_model="fal-ai/veo3.1/fast",
    known_models_only=False,
    reject_unknown_fields=False,
    remix=False,
)
REPLICATE = Profile(
    name="replicate",
    description="Replicate's API: Bearer, 201 predictions starting/processing/succeeded,"
    " a list of recent predictions, outputs on a key-less CDN, problem-details errors",
    api_prefix="/v1",
    shape="replicate",
    id_style="uuid",
    default_model="google/veo-3.1-fast",
    known_models_only=False,
    reject_unknown_fields=False,
    remix=False,
    create_status=201,
)

PROFILES: dict[str, Profile] = {
    p.name: p for p in (OPENAI, LITELLM, VLLM_OMNI, SGLANG, OPENROUTER, GEMINI, FAL, REPLICATE)
}


def get_profile(name: str | Profile) -> Profile:
    if isinstance(name, Profile):
        return name
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(
            f"unknown emulator profile {name!r} (valid: {', '.join(PROFILES)})"
        ) from None
