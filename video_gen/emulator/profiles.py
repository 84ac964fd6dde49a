"""How each server that speaks the `/v1/videos` shape differs: one dataclass per server.

Every difference the emulator can play lives here as a field, so the routes read
``profile.remix`` rather than ``if profile.name == "vllm-omni"``. The facts were observed on the
real servers (the LiteLLM proxy 1.108.7 run locally in front of this emulator) or read from their
source (vLLM-Omni, SGLang); ``docs/emulator.md`` ("Profiles") says which is which.

A profile is frozen; ``get_profile(name, **options)`` returns a copy with some fields changed, so
a test (or a provider table) can switch on an optional behaviour such as ``restamp_ids``.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import uuid
from dataclasses import dataclass
from typing import Any, Literal

from video_gen.emulator.jobs import Job, JobView

LITELLM_VERSION = "1.108.7"  # the release whose behaviour the litellm profile reproduces
_LITELLM_PACKED = "litellm:custom_llm_provider:"


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    api_prefix: str = "/v1"
    shape: Literal["openai", "openrouter"] = "openai"
    # How answers are dressed (error bodies, identifying headers): see dialects.py.
    dialect: Literal["openai", "openrouter", "litellm", "fastapi"] = "openai"
    id_style: Literal["openai", "litellm", "uuid", "dashed", "vllm"] = "openai"
    default_model: str = "sora-2"
    # Only models from data/models.toml exist (OpenAI); otherwise any model is passed through and
    # checked against models.toml only when listed there.
    known_models_only: bool = True
    reject_unknown_fields: bool = True
    # "model": the model's allowed seconds; "positive": any positive integer string.
    seconds_rule: Literal["model", "positive"] = "model"
    running_status: str | None = "in_progress"  # None: the server never reports running
    reports_progress: bool = True
    # usage.duration_seconds on the create answer only (LiteLLM's cost tracking); null on polls.
    usage_on_create: bool = False
    runtime_fields: bool = False  # vLLM-Omni: inference_time_s, file_name, quality, media_type...
    dropped_fields: tuple[str, ...] = ()  # fields of the Video object the server never returns
    remix: bool = True
    delete_route: bool = True  # False: DELETE is not routed (405 from the framework)
    delete_running: Literal["reject", "abort"] = "reject"
    # None: GET /videos lists jobs; otherwise the message of the 400 the server answers instead.
    list_refusal: str | None = None
    multipart_needs_file: bool = False
    # "openai": video/thumbnail/spritesheet; "ignored": the MP4 whatever is asked;
    # "index": `variant` is an output index (0 is the MP4, anything else 404; absent is the MP4).
    variant_rule: Literal["openai", "ignored", "index"] = "openai"
    # The HTTP status of a retrieve of a failed job (vLLM-Omni answers 500 with the job body).
    failed_retrieve_status: int = 200
    create_status: int = 200
    # LiteLLM: a later poll can answer with a different id for the same job (a model alias that
    # differs from the upstream model, or a load-balanced group): off by default.
    restamp_ids: bool = False
    # LiteLLM's router `num_retries`: how often the proxy itself re-posts a create after an
    # upstream 5xx (its default is 2; the fix for video models is 0, which this profile plays).
    num_retries: int = 0

    # -- ids ----------------------------------------------------------------------------------

    def new_id(self, model: str) -> str:
        hex_id = uuid.uuid4().hex
        if self.id_style == "openai":
            return f"video_{hex_id}"
        if self.id_style == "litellm":
            return litellm_id(f"video_{hex_id}", model, deployment_id(model, 0))
        if self.id_style == "vllm":
            return f"video_gen_{hex_id}"
        if self.id_style == "dashed":
            return f"video-{uuid.uuid4()}"
        return hex_id

    def upstream_id(self, video_id: str) -> str | None:
        """The id a job is stored under: the one inside a LiteLLM id, else the id itself.

        None when this server cannot route the id at all (LiteLLM: an id it did not make).
        """
        if self.id_style != "litellm":
            return video_id
        decoded = decode_litellm_id(video_id)
        return None if decoded is None else decoded.get("video_id")

    def shown_id(self, job: Job, *, poll: bool) -> str:
        """The id a client sees; with ``restamp_ids`` a poll names another deployment."""
        if self.id_style != "litellm" or not (poll and self.restamp_ids):
            return job.id
        return litellm_id(job.upstream_id, job.model, deployment_id(job.model, 1))

    # -- the Video object ---------------------------------------------------------------------

    def status(self, view: JobView) -> str:
        if view.phase == "running":
            return self.running_status or "queued"
        return view.phase

    def render(self, job: Job, view: JobView, *, poll: bool = True) -> dict[str, Any]:
        """The Video object, as this server shows it (``poll``: a retrieve, not the create)."""
        status = self.status(view)
        data: dict[str, Any] = {
            "id": self.shown_id(job, poll=poll),
            "object": "video",
            "created_at": int(job.created_at),
            "status": status,
            "completed_at": view.completed_at,
            "error": (
                {"code": job.failure.code, "message": job.failure.message}
                if view.final and view.phase != "completed" and job.failure
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
        if self.usage_on_create:
            data["usage"] = None if poll else {"duration_seconds": float(job.seconds)}
        if self.runtime_fields:
            data["quality"] = "default"
            data["media_type"] = "video/mp4"
            data["inference_time_s"] = (
                round(job.run_seconds - min(job.queue_seconds, job.run_seconds), 3)
                if view.phase == "completed"
                else None
            )
            data["file_name"] = f"{job.id}.mp4"
            data["stage_durations"] = {}
            data["peak_memory_mb"] = 0.0
        for name in self.dropped_fields:
            data.pop(name, None)
        return data


# -- LiteLLM's ids ----------------------------------------------------------------------------


def deployment_id(model: str, n: int) -> str:
    """A stable 64-hex deployment id, as LiteLLM derives one per configured deployment."""
    return hashlib.sha256(f"emulator-deployment:{model}:{n}".encode()).hexdigest()


def litellm_id(upstream: str, model: str, deployment: str) -> str:
    """``video_`` + padded standard base64 of the routing, exactly as LiteLLM 1.108.7 packs it."""
    packed = (
        f"{_LITELLM_PACKED}openai;model_id:{model};video_id:{upstream};deployment_id:{deployment}"
    )
    return "video_" + base64.b64encode(packed.encode()).decode()


def decode_litellm_id(video_id: str) -> dict[str, str] | None:
    """The fields packed in a LiteLLM video id, or None for any other id.

    Padding is restored first, as LiteLLM does, so an id copied without its ``=`` still routes.
    """
    if not video_id.startswith("video_"):
        return None
    raw = video_id.removeprefix("video_")
    raw += "=" * (-len(raw) % 4)
    try:
        text = base64.b64decode(raw, validate=True).decode()
    except (binascii.Error, ValueError):
        return None
    if not text.startswith(_LITELLM_PACKED) or ";" not in text:
        return None
    fields = {}
    for part in text.removeprefix("litellm:").split(";"):
        key, _, value = part.partition(":")
        fields[key] = value
    return fields if "video_id" in fields else None


OPENAI = Profile(
    name="openai",
    description="OpenAI's Videos API (Sora 2), exactly as documented",
)
LITELLM = Profile(
    name="litellm",
    description="LiteLLM proxy 1.108.7 in front of an OpenAI-shaped upstream, as observed: padded"
    " base64 ids, no prompt in job objects, list 400, variant ignored, no DELETE, wrapped errors,"
    " x-litellm-* headers, llm_provider-retry-after",
    dialect="litellm",
    id_style="litellm",
    known_models_only=False,
    reject_unknown_fields=False,
    usage_on_create=True,
    dropped_fields=("prompt",),
    delete_route=False,
    list_refusal=(
        "litellm.BadRequestError: LLM Provider NOT provided. Pass in the LLM provider you are"
        " trying to call. You passed model=\n Pass model as E.g. For 'Huggingface' inference"
        " endpoints pass in `completion(model='huggingface/starcoder',..)` Learn more:"
        " https://docs.litellm.ai/docs/providers"
    ),
    variant_rule="ignored",
)
VLLM_OMNI = Profile(
    name="vllm-omni",
    description="vLLM-Omni serving an open-weight model: video_gen_ ids, any positive seconds,"
    " extra fields, a failed job retrieved as HTTP 500, variant ignored, no remix, DELETE aborts",
    dialect="fastapi",
    id_style="vllm",
    default_model="Wan-AI/Wan2.2-T2V-A14B-Diffusers",
    known_models_only=False,
    reject_unknown_fields=False,
    seconds_rule="positive",
    runtime_fields=True,
    remix=False,
    delete_running="abort",
    variant_rule="ignored",
    failed_retrieve_status=500,
)
SGLANG = Profile(
    name="sglang",
    description="SGLang diffusion: queued then completed (never in_progress), multipart create"
    " needs a file, `variant` read as an output index, no remix",
    dialect="fastapi",
    id_style="uuid",
    default_model="Wan-AI/Wan2.1-T2V-1.3B-Diffusers",
    known_models_only=False,
    reject_unknown_fields=False,
    seconds_rule="positive",
    running_status=None,
    multipart_needs_file=True,
    variant_rule="index",
    remix=False,
)
OPENROUTER = Profile(
    name="openrouter",
    description="OpenRouter's own video API under /api/v1 (JSON create, `pending`, usage.cost,"
    " 402 credits, 403 moderation, cancelled/expired jobs, /videos/models, /key)",
    api_prefix="/api/v1",
    shape="openrouter",
    dialect="openrouter",
    id_style="uuid",
    default_model="google/veo-3.1",
    known_models_only=False,
    reject_unknown_fields=False,
    remix=False,
    create_status=202,
)

PROFILES: dict[str, Profile] = {p.name: p for p in (OPENAI, LITELLM, VLLM_OMNI, SGLANG, OPENROUTER)}
# Fields a caller may change on a named profile (the rest define which server it is).
OPTIONS = ("restamp_ids", "num_retries", "running_status", "reports_progress")


def get_profile(name: str | Profile, **options: Any) -> Profile:
    """A profile by name, with ``options`` (see ``OPTIONS``) changed on a copy."""
    if isinstance(name, Profile):
        found = name
    else:
        try:
            found = PROFILES[name]
        except KeyError:
            raise ValueError(
                f"unknown emulator profile {name!r} (valid: {', '.join(PROFILES)})"
            ) from None
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise ValueError(f"unknown profile option {unknown[0]!r} (valid: {', '.join(OPTIONS)})")
    return dataclasses.replace(found, **options) if options else found
