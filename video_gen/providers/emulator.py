"""Kind ``emulator``: the built-in emulator, started in-process on loopback, then spoken to
exactly as a real server is (real HTTP, no key, no cost), for demos, tests and users' CI.

A profile (``openai``, ``litellm``, ``vllm-omni``, ``sglang``, ``openrouter`` ...) makes the
emulator play one real server, quirks included, and the provider talks to it through that
server's own kind (looked up in the registry by the profile's shape). Only ``kind``, the server's
life and ``close`` are the emulator's own.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from video_gen.capabilities import ModelCapabilities
from video_gen.errors import ConfigError
from video_gen.providers import kinds
from video_gen.providers.base import ContentStream, Provider
from video_gen.providers.kinds import CheckResult, Connect, KindBase, RequestPreview
from video_gen.types import GenerationRequest, RemoteJob

if TYPE_CHECKING:
    from video_gen.emulator.profiles import Profile

EMULATOR_KEY = "emulator-key"
# A profile's shape names the kind it imitates; where the names differ, this says so.
_KIND_OF_SHAPE = {"openai": "openai-videos"}


def imitated_kind(profile: Profile) -> str:
    return _KIND_OF_SHAPE.get(profile.shape, profile.shape)


class EmulatorProvider:
    kind = "emulator"

    def __init__(self, spec: Any, connect: Connect) -> None:
        from video_gen.emulator import EmulatorServer

        options = spec.options
        job_seconds = options.get("job_seconds")
        if job_seconds is None:
            from video_gen.config import env_number

            job_seconds = env_number("VIDEO_GEN_EMULATOR_JOB_SECONDS", 3.0)
        faults = str(options.get("faults", "")) or os.environ.get("VIDEO_GEN_EMULATOR_FAULTS", "")
        try:
            self.server = EmulatorServer(
                job_seconds=float(job_seconds),
                faults=faults,
                profile=_profile(spec.name, options),
                state_file=state_file(spec.name),
            )
        except ValueError as exc:  # an unknown profile or a bad fault plan
            raise ConfigError(
                f"provider {spec.name!r}: {exc}",
                hint=f"fix [providers.{spec.name}] in the config (see docs/providers.md)",
            ) from None
        self.name = spec.name
        self.emulated = free(spec)
        self.free = True  # nothing is paid: a reported cost of 0 is believed (jobs._is_free)
        self.server.start()
        try:
            self.inner: Provider = kinds.get(imitated_kind(self.server.profile)).open(
                _inner_spec(spec, self.server), connect
            )
        except BaseException:
            self.server.stop()
            raise

    @property
    def api(self) -> str:
        return self.inner.api

    @property
    def profile(self) -> str:
        return self.server.profile.name

    def capabilities(self, model: str) -> ModelCapabilities | None:
        return self.inner.capabilities(model)

    def submit(self, request: GenerationRequest) -> RemoteJob:
        return self.inner.submit(request)

    def refresh(self, job_id: str) -> RemoteJob:
        return self.inner.refresh(job_id)

    def download(self, job_id: str, variant: str, *, offset: int = 0) -> ContentStream:
        return self.inner.download(job_id, variant, offset=offset)

    def cancel(self, job_id: str) -> None:
        self.inner.cancel(job_id)

    def find_recent(self, request: GenerationRequest, *, since: float) -> list[RemoteJob]:
        return self.inner.find_recent(request, since=since)

    def remix(self, job_id: str, prompt: str) -> RemoteJob:
        return self.inner.remix(job_id, prompt)

    def notices(self) -> list[str]:
        return self.inner.notices()

    def close(self) -> None:
        try:
            self.inner.close()
        finally:
            self.server.stop()
            self.server.jobs.save()  # a cancel or a fault may have changed a job since


def state_file(name: str) -> Path:
    """Where the in-process emulator of provider ``name`` keeps its jobs between processes:
    ``<data dir>/emulator/<name>.json`` (under VIDEO_GEN_HOME when set)."""
    from video_gen import paths

    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
    return paths.data_dir() / "emulator" / f"{safe}.json"


def free(spec: Any) -> bool:
    """No key, no cost: jobs are recorded at 0 USD unless the table asks to be priced as the
    API it plays (``priced = true``, to rehearse budgets: docs/emulator.md)."""
    return not bool(spec.options.get("priced", False))


def _inner_spec(spec: Any, server: Any) -> Any:
    """The spec the imitated kind gets: the emulator's address, its key, the profile's remix."""
    return replace(
        spec,
        kind=imitated_kind(server.profile),
        base_url=server.base_url,
        api_key=EMULATOR_KEY,
        options={**spec.options, "remix": server.profile.remix},
    )


def _profile(spec_name: str, options: Mapping[str, Any]) -> Profile:
    """The profile a ``[providers.NAME]`` table names, with its profile options (for example
    ``restamp_ids = true`` on ``litellm``: docs/emulator.md#profiles)."""
    from video_gen.emulator.profiles import OPTIONS, get_profile

    chosen = {k: v for k, v in options.items() if k in OPTIONS}
    try:
        return get_profile(str(options.get("profile", "openai")), **chosen)
    except (ValueError, TypeError) as exc:
        raise ConfigError(
            f"[providers.{spec_name}]: {exc}", hint="see docs/emulator.md#profiles"
        ) from None


class EmulatorKind(KindBase):
    table_keys: tuple[str, ...] | None = ("profile", "faults", "job_seconds", "priced")
    name = "emulator"
    description = "the built-in emulator (no key, no cost); `profile` picks the server it plays"
    default_base_url = "(in-process)"
    needs_key = False

    def _imitated(self, spec: Any) -> Any:
        return kinds.get(imitated_kind(_profile(spec.name, spec.options)))

    def api(self, spec: Any) -> str:
        return str(self._imitated(spec).api(spec))

    def open(self, spec: Any, connect: Connect) -> EmulatorProvider:
        return EmulatorProvider(spec, connect)

    def emulated(self, spec: Any) -> bool:
        return free(spec)

    def capabilities(self, spec: Any, model: str) -> ModelCapabilities | None:
        return self._imitated(spec).capabilities(spec, model)  # type: ignore[no-any-return]

    def catalog(self, spec: Any) -> list[str]:
        return list(self._imitated(spec).catalog(spec))

    def validate(self, request: GenerationRequest, caps: ModelCapabilities | None) -> None:
        return None  # the imitated kind's own checks run through its capabilities

    def preview(self, spec: Any, request: GenerationRequest) -> RequestPreview:
        return self._imitated(spec).preview(spec, request)  # type: ignore[no-any-return]

    def check(self, spec: Any, connect: Connect) -> CheckResult:
        provider = EmulatorProvider(spec, connect)
        try:
            inner = _inner_spec(spec, provider.server)
            found: CheckResult = kinds.get(inner.kind).check(inner, connect)
        finally:
            provider.close()
        return replace(found, name=spec.name, kind=spec.kind, key_accepted=None)

    def describe(self, spec: Any) -> dict[str, Any]:
        profile = str(spec.options.get("profile", "openai"))
        return {"profile": profile, "base_url": f"(in-process, profile {profile})"}

    def spec_defaults(self, name: str, table: Mapping[str, Any]) -> dict[str, Any]:
        """An emulator playing a server defaults to that server's model (Wan on vLLM-Omni ...);
        the openai profile serves Sora, which defaults.model already names."""
        if table.get("model") or not table.get("profile"):
            return {}
        found = _profile(name, table)
        return {} if found.default_model == "sora-2" else {"model": found.default_model}


KIND = EmulatorKind()
