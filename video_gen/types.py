"""Typed data shared by every layer: what a user asks for, and what a server says of a job."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

VARIANTS = ("video", "thumbnail", "spritesheet")
VARIANT_SUFFIX = {"video": ".mp4", "thumbnail": ".webp", "spritesheet": ".jpg"}

# Statuses that end a job. Anything else (queued, in_progress, processing, pending, running, ...)
# keeps polling: gateways invent statuses, and stopping early on one would orphan a paid job.
SUCCESS_STATUSES = frozenset({"completed", "succeeded", "success"})
FAILURE_STATUSES = frozenset({"failed", "cancelled", "canceled", "expired", "error"})


class Phase(str, Enum):
    """A server-independent view of a job's status."""

    PENDING = "pending"  # queued, pending
    RUNNING = "running"  # in_progress, processing, running, unknown non-final statuses
    SUCCEEDED = "succeeded"
    FAILED = "failed"

    @property
    def final(self) -> bool:
        return self in (Phase.SUCCEEDED, Phase.FAILED)


def phase_of(status: str) -> Phase:
    s = (status or "").strip().lower()
    if s in SUCCESS_STATUSES:
        return Phase.SUCCEEDED
    if s in FAILURE_STATUSES:
        return Phase.FAILED
    if s in ("queued", "pending", "submitted", "waiting"):
        return Phase.PENDING
    return Phase.RUNNING


@dataclass(frozen=True)
class GenerationRequest:
    """One video to make, with every parameter resolved (flags > env > config > defaults)."""

    prompt: str
    model: str
    seconds: int
    size: str
    input_reference: Path | None = None
    provider: str = "openai"
    extra: Mapping[str, str] = field(default_factory=dict)
    # Optional features (refused before any call by models that lack them): sound on or off
    # (None: the model's default), a seed, and a last-frame image.
    audio: bool | None = None
    seed: int | None = None
    last_frame: Path | None = None

    def params(self) -> dict[str, Any]:
        """The parameters as recorded in the ledger and shown by --dry-run."""
        out: dict[str, Any] = {
            "provider": self.provider,
            "model": self.model,
            "seconds": self.seconds,
            "size": self.size,
            "prompt": self.prompt,
        }
        if self.input_reference is not None:
            out["input_reference"] = str(self.input_reference)
        if self.audio is not None:
            out["audio"] = self.audio
        if self.seed is not None:
            out["seed"] = self.seed
        if self.last_frame is not None:
            out["last_frame"] = str(self.last_frame)
        if self.extra:
            out["extra"] = dict(self.extra)
        return out


@dataclass(frozen=True)
class RemoteJob:
    """A job as a server last described it. Ids are opaque: stored and sent back as given."""

    id: str
    status: str
    progress: int | None = None
    model: str | None = None
    prompt: str | None = None
    seconds: str | None = None
    size: str | None = None
    created_at: int | None = None
    completed_at: int | None = None
    expires_at: int | None = None
    remixed_from: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    cost_usd: float | None = None  # the actual charge, when the provider reports it
    poll_after_ms: int | None = None  # the server's polling hint, when it sends one
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def phase(self) -> Phase:
        return phase_of(self.status)

    @classmethod
    def from_api(cls, data: Mapping[str, Any], *, poll_after_ms: int | None = None) -> RemoteJob:
        """Build from a `/v1/videos` Video object, tolerating missing and extra fields."""
        error = data.get("error") or {}
        if not isinstance(error, Mapping):
            error = {"message": str(error)}
        progress = data.get("progress")
        usage = data.get("usage") if isinstance(data.get("usage"), Mapping) else {}
        cost = usage.get("cost") if usage else None
        seconds = data.get("seconds")
        return cls(
            id=str(data["id"]),
            status=str(data.get("status") or "unknown"),
            progress=int(progress) if isinstance(progress, (int, float)) else None,
            model=_opt_str(data.get("model")),
            prompt=_opt_str(data.get("prompt")),
            seconds=str(seconds) if seconds is not None else None,
            size=_opt_str(data.get("size")),
            created_at=_opt_int(data.get("created_at")),
            completed_at=_opt_int(data.get("completed_at")),
            expires_at=_opt_int(data.get("expires_at")),
            remixed_from=_opt_str(data.get("remixed_from_video_id")),
            error_code=_opt_str(error.get("code")),
            error_message=_opt_str(error.get("message")),
            cost_usd=float(cost) if isinstance(cost, (int, float)) else None,
            poll_after_ms=poll_after_ms,
            raw=dict(data),
        )


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


def _opt_int(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class Estimate:
    """What a request is expected to cost, and where the price came from."""

    usd: float
    usd_per_second: float
    source: str  # e.g. "packaged prices.toml (OpenAI model page, 2025-10)" or "config override"


@dataclass(frozen=True)
class DownloadResult:
    variant: str
    path: Path
    bytes: int
    sha256: str
    resumed: int = 0  # how many times the transfer was resumed after a cut


@dataclass(frozen=True)
class GenerationResult:
    """What `generate` prints with --json (a stable schema: keys are only ever added)."""

    job_id: str
    status: str
    model: str
    seconds: int
    size: str
    provider: str
    prompt: str
    file: Path | None
    sha256: str | None
    cost_usd: float | None
    estimate_usd: float | None
    local_id: str | None = None
    files: tuple[DownloadResult, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "job_id": self.job_id,
            "local_id": self.local_id,
            "status": self.status,
            "file": str(self.file) if self.file else None,
            "sha256": self.sha256,
            "cost_usd": self.cost_usd,
            "estimate_usd": self.estimate_usd,
            "provider": self.provider,
            "model": self.model,
            "seconds": self.seconds,
            "size": self.size,
            "prompt": self.prompt,
            "files": [
                {"variant": f.variant, "file": str(f.path), "bytes": f.bytes, "sha256": f.sha256}
                for f in self.files
            ],
        }
