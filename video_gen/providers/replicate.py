"""Kind ``replicate``: video models on Replicate (Veo, Kling, Wan, MiniMax ...).

The model id is ``owner/name`` (an official model) or ``owner/name:version``; its input is built
from the model's ``input`` table in ``data/models.toml``. Replicate lists recent predictions, so
an ambiguous create is looked up there (by model, prompt and time) instead of being recorded in
doubt. Outputs are deleted an hour after a prediction ends: the job layer downloads the moment a
job succeeds. Replicate reports no charge per prediction, so the estimate is what is recorded.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from video_gen.capabilities import ModelCapabilities
from video_gen.client.replicate import ReplicateClient, parse_error
from video_gen.client.transport import bearer
from video_gen.errors import (
    APIError,
    LookupUnavailableError,
    UsageError,
)
from video_gen.providers.base import ContentStream
from video_gen.providers.hosted import HostedKind, HostedProvider, InputMap
from video_gen.providers.kinds import CheckResult, Connect, RequestPreview
from video_gen.types import GenerationRequest, RemoteJob

DEFAULT_MODEL = "google/veo-3.1-fast"
# A server clock a little behind ours must not hide the job a lost create made.
CLOCK_SLACK = 30.0


def output_url(output: Any) -> str | None:
    if isinstance(output, str):
        return output
    if isinstance(output, list) and output and isinstance(output[0], str):
        return str(output[0])
    if isinstance(output, Mapping):
        for value in output.values():
            if isinstance(value, str) and value.startswith(("http://", "https://")):
                return str(value)
    return None


def _unix(value: Any) -> int | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())
    except ValueError:
        return None


def job_of(data: Mapping[str, Any]) -> RemoteJob:
    error = data.get("error")
    status = str(data.get("status") or "unknown")
    model = data.get("model")
    return RemoteJob(
        id=str(data.get("id") or ""),
        status=status,
        model=model if isinstance(model, str) else None,
        created_at=_unix(data.get("created_at")),
        completed_at=_unix(data.get("completed_at")),
        error_code=status if error and status in ("failed", "canceled") else None,
        error_message=str(error) if error else None,
        raw=dict(data),
    )


class ReplicateProvider(HostedProvider):
    kind = "replicate"
    api = "replicate"
    label = "Replicate"
    client: ReplicateClient

    def submit(self, request: GenerationRequest) -> RemoteJob:
        body = InputMap.of(request.model, KIND).body(request)
        return self._learn(job_of(self.client.create(request.model, body)))

    def refresh(self, job_id: str) -> RemoteJob:
        return self._learn(job_of(self.client.get(job_id)))

    def _learn(self, job: RemoteJob) -> RemoteJob:
        url = output_url(job.raw.get("output"))
        if job.status == "succeeded":
            if url is None:
                return RemoteJob(
                    id=job.id,
                    status="failed",
                    error_code="no_video",
                    error_message="the prediction succeeded without an output file",
                    raw=job.raw,
                )
            self._outputs[job.id] = url
        return job

    def download(self, job_id: str, variant: str, *, offset: int = 0) -> ContentStream:
        self.video_only(variant)
        return self.output_stream(
            job_id, offset, gone="Replicate deletes outputs an hour after a prediction ends"
        )

    def cancel(self, job_id: str) -> None:
        self.client.cancel(job_id)

    def find_recent(self, request: GenerationRequest, *, since: float) -> list[RemoteJob]:
        """Predictions of this model started since ``since`` whose input has this prompt."""
        prompt_field = InputMap.of(request.model, KIND).prompt
        owner_name, _, version = request.model.partition(":")
        try:
            recent = self.client.recent()
        except APIError as exc:
            raise LookupUnavailableError(
                f"Replicate's list of predictions failed ({exc})"
            ) from None
        found = []
        for item in recent:
            created = _unix(item.get("created_at"))
            if created is None or created < since - CLOCK_SLACK:
                continue
            if version and item.get("version") != version:
                continue
            if not version and item.get("model") != owner_name:
                continue
            data = item
            if not isinstance(item.get("input"), Mapping):  # the list may leave the input out
                try:
                    data = self.client.get(str(item.get("id")))
                except APIError as exc:
                    raise LookupUnavailableError(
                        f"a recent prediction could not be read ({exc})"
                    ) from None
            input_ = data.get("input")
            if isinstance(input_, Mapping) and input_.get(prompt_field) == request.prompt:
                found.append(self._learn(job_of(data)))
        return found


class ReplicateKind(HostedKind):
    table_keys: tuple[str, ...] | None = ()
    name = "replicate"
    description = "Replicate: video models by owner/name (Veo, Kling, Wan, MiniMax ...)"
    default_base_url = "https://api.replicate.com/v1"
    default_key_env = "REPLICATE_API_TOKEN"
    models_table = "replicate"
    default_model = DEFAULT_MODEL

    auth = staticmethod(bearer)
    parse_error = staticmethod(parse_error)

    def _client(self, spec: Any, connect: Connect) -> ReplicateClient:
        return ReplicateClient(self.transport(spec, connect))

    def open(self, spec: Any, connect: Connect) -> ReplicateProvider:
        return ReplicateProvider(
            spec.name, self._client(spec, connect), models=spec.declared_models()
        )

    def validate(self, request: GenerationRequest, caps: ModelCapabilities | None) -> None:
        owner_name = request.model.partition(":")[0]
        if owner_name.count("/") != 1:
            raise UsageError(
                f"{request.model!r} is not a Replicate model id (owner/name[:version])",
                hint=f"pass --model {DEFAULT_MODEL}",
            )

    def preview(self, spec: Any, request: GenerationRequest) -> RequestPreview:
        base = spec.base_url.rstrip("/")
        body = InputMap.of(request.model, self).body(request, inline_images=False)
        owner_name, _, version = request.model.partition(":")
        if version:
            return RequestPreview(
                "POST", f"{base}/predictions", {"version": version, "input": body}
            )
        return RequestPreview("POST", f"{base}/models/{owner_name}/predictions", {"input": body})

    def check(self, spec: Any, connect: Connect) -> CheckResult:
        """``GET /account`` proves the token and spends nothing."""
        client = self._client(spec, connect)
        base = spec.base_url.rstrip("/")
        try:
            account = client.account()
        finally:
            client.close()
        who = account.get("username") or account.get("name")
        return CheckResult(
            spec.name,
            spec.kind,
            base,
            f"GET {base}/account",
            f"token of {who}" if who else "token accepted",
            job_list=True,
            server="Replicate",
            notes=("outputs are deleted an hour after a prediction ends",),
        )


KIND = ReplicateKind()
