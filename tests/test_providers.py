"""Named providers: the registry, declared capabilities, OpenRouter's shape and its client, and
the `providers`, `providers check` and `models` commands.

The OpenRouter client runs against the emulator's `openrouter` profile on loopback: real HTTP,
fault injection, and the server's own counters to assert that a paid create was sent once.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakekeys import fake_key
from typer.testing import CliRunner

from video_gen import capabilities
from video_gen.capabilities import ModelCapabilities, parse_resolution_size
from video_gen.cli import app
from video_gen.client.openrouter import OpenRouterClient
from video_gen.client.retry import RetryPolicy
from video_gen.client.transport import Transport
from video_gen.config import Config
from video_gen.emulator import EmulatorServer
from video_gen.errors import (
    AmbiguousCreateError,
    APIConnectionError,
    AuthenticationError,
    ConfigError,
    LookupUnavailableError,
    RateLimitError,
    ServerError,
    UnsupportedOperationError,
    UsageError,
)
from video_gen.exit_codes import ExitCode
from video_gen.providers import (
    ProviderSpec,
    capabilities_for,
    kinds,
    models_of,
    open_provider,
    spec_for,
    specs,
    validate_request,
)
from video_gen.providers.emulator import EmulatorProvider
from video_gen.providers.openai_videos import OpenAIVideosProvider
from video_gen.providers.openrouter import OpenRouterProvider, request_body
from video_gen.types import GenerationRequest

runner = CliRunner()
KEY = fake_key("or-v1", "abcdefghijklmnopqrstuvwxyz0123456789")


def write_config(home: Path, text: str) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(text, encoding="utf-8")


factory = functools.partial(Transport, retry=RetryPolicy(max_retries=2))
OPENROUTER = kinds.get("openrouter")


@pytest.fixture
def no_openrouter_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENROUTER_API_KEY", raising=False)


@pytest.fixture
def openrouter() -> Iterator[EmulatorServer]:
    with EmulatorServer(job_seconds=0.4, profile="openrouter") as srv:
        yield srv


@pytest.fixture
def naps(sleeps: list[float]) -> list[float]:
    """Retry sleeps, recorded not slept (the transport's, which OpenRouter's creates use too)."""
    return sleeps


def req(**kw: object) -> GenerationRequest:
    base: dict[str, object] = {
        "prompt": "a lighthouse in a storm",
        "model": "google/veo-3.1-fast",
        "seconds": 4,
        "size": "720x1280",
        "provider": "or",
    }
    base.update(kw)
    return GenerationRequest(**base)  # type: ignore[arg-type]


# -- the registry ---------------------------------------------------------------------------


def test_named_providers_from_the_config(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch, no_openrouter_key: None
) -> None:
    write_config(
        isolated_home,
        """
[providers.lite]
base_url = "http://localhost:4000/v1"
api_key_env = "LITELLM_KEY"
model = "veo-3.1-fast"
headers = { "X-Team" = "video" }

[providers.or]
kind = "openrouter"

[providers.or2]
kind = "openrouter"
api_key = "sk-or-from-file"

[providers.play]
kind = "emulator"
profile = "vllm-omni"
""",
    )
    monkeypatch.setenv("LITELLM_KEY", "sk-lite")
    all_specs = specs(Config.load())
    assert set(all_specs) == {"openai", "emulator", "lite", "or", "or2", "play"}
    lite = all_specs["lite"]
    assert (lite.kind, lite.api_key, lite.key_source) == (
        "openai-videos",
        "sk-lite",
        "env LITELLM_KEY",
    )
    assert lite.headers == {"X-Team": "video"} and lite.model == "veo-3.1-fast"
    orr = all_specs["or"]
    assert orr.base_url == "https://openrouter.ai/api/v1" and orr.api_key is None
    assert orr.key_hint == "export OPENROUTER_API_KEY=..."
    monkeypatch.setenv("OPENROUTER_API_KEY", KEY)
    orr = spec_for(Config.load(), "or")
    assert orr.api_key == KEY and orr.key_source == "env OPENROUTER_API_KEY"
    assert spec_for(Config.load(), "or2").key_source == "config file"
    play = all_specs["play"]
    assert play.model == "Wan-AI/Wan2.2-T2V-A14B-Diffusers" and not play.needs_key
    assert play.api == "openai-videos" and orr.api == "openrouter"
    assert "sk-lite" not in repr(lite)


@pytest.mark.parametrize(
    ("table", "needle"),
    [
        ('kind = "sora"', "unknown provider kind 'sora'"),
        ('kind = "emulator"\nprofile = "nope"', "unknown emulator profile"),
        ('headers = "x"', "headers must be a table"),
    ],
)
def test_bad_provider_tables_are_config_errors(
    isolated_home: Path, table: str, needle: str
) -> None:
    write_config(isolated_home, f"[providers.x]\n{table}\n")
    with pytest.raises(ConfigError, match=needle):
        specs(Config.load())


def test_unknown_provider_name_names_the_known_ones() -> None:
    with pytest.raises(UsageError) as err:
        spec_for(Config.load(), "nope")
    assert "emulator, openai" in (err.value.hint or "")


# -- declared capabilities ------------------------------------------------------------------


def spec(kind: str = "openai-videos", **options: object) -> ProviderSpec:
    return ProviderSpec(name="x", kind=kind, base_url="http://h/v1", options=options)


def test_declared_capabilities_win_over_sora_lists() -> None:
    s = spec(
        models={"sora-2": {"seconds": "any"}, "wan": {"seconds": [5, 10], "sizes": ["832x480"]}}
    )
    sora = capabilities_for(s, "sora-2")
    assert sora is not None and sora.seconds is None and sora.sizes is None
    capabilities.validate(req(model="sora-2", seconds=7, provider="x"), sora)
    wan = capabilities_for(s, "wan")
    assert wan is not None and wan.seconds == (5, 10) and wan.sizes == ("832x480",)
    with pytest.raises(UsageError, match="5, 10 seconds"):
        capabilities.validate(req(model="wan", seconds=7, size="832x480"), wan)
    with pytest.raises(UsageError, match="832x480"):
        capabilities.validate(req(model="wan", seconds=5, size="720x1280"), wan)
    packaged = capabilities_for(spec(), "sora-2")
    assert packaged is not None and packaged.seconds == (4, 8, 12)
    assert capabilities_for(spec(), "wan") is None  # unknown: the server decides


@pytest.mark.parametrize("bad", [{"seconds": "5"}, {"seconds": [0]}, {"sizes": "720x1280"}])
def test_bad_declared_capabilities_are_config_errors(bad: dict[str, object]) -> None:
    with pytest.raises(ConfigError, match="capabilities of 'm'"):
        capabilities_for(spec(models={"m": bad}), "m")


def test_openrouter_capabilities_packaged_declared_and_unknown() -> None:
    veo = capabilities_for(spec("openrouter"), "google/veo-3.1")
    assert veo is not None and veo.size_style == "resolution" and veo.seconds == (4, 6, 8)
    assert veo.resolutions == ("720p", "1080p") and not veo.remix
    assert veo.audio and veo.audio_default and veo.seed and veo.last_frame
    unknown = capabilities_for(spec("openrouter"), "kwaivgi/kling-3.0")
    assert unknown is not None and unknown.size_style == "resolution"
    assert unknown.resolutions is None
    declared = capabilities_for(
        spec("openrouter", models={"kwaivgi/kling-3.0": {"seconds": [5, 10]}}), "kwaivgi/kling-3.0"
    )
    assert declared is not None and declared.size_style == "resolution"
    assert declared.seconds == (5, 10) and not declared.remix
    emu = capabilities_for(spec("emulator", profile="openrouter"), "google/veo-3.1")
    assert emu is not None and emu.size_style == "resolution"


@pytest.mark.parametrize(
    ("size", "resolution", "ratio"),
    [
        ("720x1280", "720p", "9:16"),
        ("1280x720", "720p", "16:9"),
        ("1920x1080", "1080p", "16:9"),
        ("1080x1920", "1080p", "9:16"),
        ("854x480", "480p", "16:9"),
        ("1080x1080", "1080p", "1:1"),
        ("720p", "720p", None),
        ("1080P@16:9", "1080p", "16:9"),
        ("480p@1:1", "480p", "1:1"),
    ],
)
def test_sizes_map_to_resolution_and_aspect_ratio(
    size: str, resolution: str, ratio: str | None
) -> None:
    parsed = parse_resolution_size(size)
    assert (parsed.resolution, parsed.aspect_ratio) == (resolution, ratio)


def test_resolution_sizes_are_accepted_only_for_openrouter() -> None:
    veo = capabilities.packaged("google/veo-3.1", OPENROUTER)
    capabilities.validate(req(size="1080p@16:9", model="google/veo-3.1"), veo)
    capabilities.validate(req(size="720p", model="google/veo-3.1"), veo)
    with pytest.raises(UsageError, match="not 1:1") as err:
        capabilities.validate(req(size="720p@1:1", model="google/veo-3.1"), veo)
    assert err.value.hint == "use --size 720p@16:9"
    with pytest.raises(UsageError, match="not 480p") as err:
        capabilities.validate(req(size="854x480", model="google/veo-3.1"), veo)
    assert err.value.hint == "use --size 720p@16:9"
    with pytest.raises(UsageError, match="4, 6, 8 seconds"):
        capabilities.validate(req(seconds=5, model="google/veo-3.1"), veo)
    with pytest.raises(UsageError, match="not an OpenRouter model id"):
        validate_request("openrouter", req(model="sora-2"), veo)
    with pytest.raises(UsageError, match="neither WIDTHxHEIGHT nor a resolution"):
        capabilities.validate(req(size="big", model="google/veo-3.1"), veo)
    # Everyone else keeps WIDTHxHEIGHT.
    sora = capabilities.packaged("sora-2", kinds.get("openai-videos"))
    with pytest.raises(UsageError, match="is not WIDTHxHEIGHT"):
        capabilities.validate(req(model="sora-2", size="720p"), sora)
    with pytest.raises(UsageError, match="is not WIDTHxHEIGHT"):
        capabilities.validate(req(model="wan", size="720p"), None)


def test_openrouter_reference_image_needs_a_format_not_a_size(tmp_path: Path) -> None:
    from PIL import Image

    Image.new("RGB", (640, 480), "white").save(tmp_path / "ref.png")
    (tmp_path / "fake.png").write_text("not an image")
    veo = capabilities.packaged("google/veo-3.1", OPENROUTER)
    capabilities.validate(req(model="google/veo-3.1", input_reference=tmp_path / "ref.png"), veo)
    with pytest.raises(UsageError, match="not a JPEG, PNG or WebP"):
        capabilities.validate(
            req(model="google/veo-3.1", input_reference=tmp_path / "fake.png"), veo
        )


def test_request_body_maps_seconds_size_and_first_frame(tmp_path: Path) -> None:
    from PIL import Image

    Image.new("RGB", (32, 32), "white").save(tmp_path / "ref.png")
    body = request_body(req(seconds=6, size="1280x720", input_reference=tmp_path / "ref.png"))
    assert body["duration"] == 6 and isinstance(body["duration"], int)
    assert (body["resolution"], body["aspect_ratio"]) == ("720p", "16:9")
    assert "seconds" not in body and "size" not in body
    (frame,) = body["frame_images"]
    assert frame["frame_type"] == "first_frame" and frame["type"] == "image_url"
    assert frame["image_url"]["url"].startswith("data:image/png;base64,iVBOR")
    assert "aspect_ratio" not in request_body(req(size="1080p"))


# -- the OpenRouter client and provider, over loopback --------------------------------------


def or_provider(srv: EmulatorServer, **kw: str) -> OpenRouterProvider:
    client = OpenRouterClient.connect(srv.base_url, KEY, retry=RetryPolicy(max_retries=2), **kw)
    return OpenRouterProvider("or", client)


def test_openrouter_create_poll_download_and_usage_cost(
    openrouter: EmulatorServer, tmp_path: Path
) -> None:
    from PIL import Image

    Image.new("RGB", (64, 64), "white").save(tmp_path / "ref.png")
    p = or_provider(openrouter)
    job = p.submit(req(size="1080p@16:9", seconds=6, input_reference=tmp_path / "ref.png"))
    assert job.status == "pending" and job.phase.value == "pending"
    seen = openrouter.jobs.get(job.id)
    assert seen is not None and seen.has_reference and seen.seconds == "6"
    assert seen.extra["resolution"] == "1080p" and seen.extra["aspect_ratio"] == "16:9"
    import time

    deadline = time.monotonic() + 10
    while not job.phase.final and time.monotonic() < deadline:
        time.sleep(0.1)
        job = p.refresh(job.id)
    assert job.status == "completed" and job.cost_usd == pytest.approx(0.60)
    stream = p.download(job.id, "video")
    data = b"".join(stream.chunks)
    assert data[4:8] == b"ftyp" and stream.total == len(data)
    partial = p.download(job.id, "video", offset=100)
    assert partial.offset == 100 and b"".join(partial.chunks) == data[100:]
    with pytest.raises(UnsupportedOperationError, match="thumbnail"):
        p.download(job.id, "thumbnail")
    with pytest.raises(UnsupportedOperationError, match="remix"):
        p.remix(job.id, "again")
    assert openrouter.stats.creates_received == 1
    p.close()


def test_ambiguous_create_is_never_sent_twice(
    openrouter: EmulatorServer, naps: list[float]
) -> None:
    """No job list exists to look in: a create that may have reached the server is raised as
    ambiguous, never re-sent, and the provider says it cannot be looked up (the job layer then
    records it in doubt: tests/test_profiles.py)."""
    openrouter.faults.add("create-500", endpoint="create")
    with pytest.raises(AmbiguousCreateError) as err:
        or_provider(openrouter).submit(req())
    assert isinstance(err.value.cause, ServerError)
    assert openrouter.stats.creates_received == 1 and openrouter.stats.jobs_created == 1
    openrouter.faults.add("5xx", endpoint="create")
    with pytest.raises(AmbiguousCreateError):
        or_provider(openrouter).submit(req())
    openrouter.faults.add("drop", endpoint="create")
    with pytest.raises(AmbiguousCreateError) as err:
        or_provider(openrouter).submit(req())
    assert isinstance(err.value.cause, APIConnectionError)
    assert openrouter.stats.creates_received == 3 and naps == []
    with pytest.raises(LookupUnavailableError, match="no list of video jobs"):
        or_provider(openrouter).find_recent(req(), since=0)


def test_create_refused_before_the_job_store_is_retried(
    openrouter: EmulatorServer, naps: list[float]
) -> None:
    openrouter.faults.add("429", count=2, endpoint="create")
    job = or_provider(openrouter).submit(req())
    assert job.status == "pending" and naps == [1.0, 1.0]
    assert openrouter.stats.creates_received == 3 and openrouter.stats.jobs_created == 1
    openrouter.faults.add("429", count=5, endpoint="create")
    with pytest.raises(RateLimitError):
        or_provider(openrouter).submit(req())


def test_unreachable_create_is_retried_then_exit_7(naps: list[float]) -> None:
    client = OpenRouterClient.connect("http://127.0.0.1:9/api/v1", KEY, retry=RetryPolicy(2))
    with pytest.raises(APIConnectionError, match="cannot connect") as err:
        OpenRouterProvider("or", client).submit(req())
    assert err.value.exit_code == ExitCode.UNAVAILABLE and len(naps) == 2
    assert "video-gen providers" in (err.value.hint or "")


def test_polls_ride_out_5xx_and_errors_read_cleanly(
    openrouter: EmulatorServer, sleeps: list[float]
) -> None:
    p = or_provider(openrouter)
    job = p.submit(req())
    openrouter.faults.add("5xx", count=2, endpoint="retrieve")
    assert p.refresh(job.id).id == job.id and len(sleeps) == 2
    with pytest.raises(Exception) as err:
        p.refresh("does-not-exist")
    assert "HTTP 404)" in str(err.value) and "404 404" not in str(err.value)


def test_refused_key_says_how_to_set_an_openrouter_key() -> None:
    with (
        EmulatorServer(profile="openrouter", require_key="the-right-key-0000") as srv,
        pytest.raises(AuthenticationError) as err,
    ):
        or_provider(srv, auth_hint="export OR_KEY=...").submit(req())
    assert err.value.exit_code == ExitCode.CONFIG
    assert err.value.hint == "set a valid OpenRouter key: export OR_KEY=..."
    assert KEY not in str(err.value)


def test_open_provider_builds_each_kind(openrouter: EmulatorServer) -> None:
    orr = ProviderSpec(name="or", kind="openrouter", base_url=openrouter.base_url, api_key=KEY)
    p = open_provider(orr, factory)
    assert isinstance(p, OpenRouterProvider) and p.kind == "openrouter"
    p.close()
    with pytest.raises(ConfigError, match="no API key"):
        open_provider(ProviderSpec(name="or", kind="openrouter", base_url="x"), factory)
    vllm = open_provider(spec("emulator", profile="vllm-omni", job_seconds=0.2), factory)
    try:
        assert isinstance(vllm, EmulatorProvider) and vllm.kind == "emulator"
        assert isinstance(vllm.inner, OpenAIVideosProvider)
        with pytest.raises(UnsupportedOperationError, match="remix"):
            vllm.remix("video-x", "again")
    finally:
        vllm.close()
    emu = open_provider(spec("emulator", profile="openrouter", job_seconds=0.2), factory)
    try:
        assert isinstance(emu, EmulatorProvider) and isinstance(emu.inner, OpenRouterProvider)
        assert emu.capabilities("google/veo-3.1") == capabilities.packaged(
            "google/veo-3.1", OPENROUTER
        )
        assert emu.submit(req()).status == "pending"
    finally:
        emu.close()


def test_declared_capabilities_reach_the_opened_provider() -> None:
    s = spec("openai-videos", models={"sora-2": {"seconds": "any"}})
    p = open_provider(dataclasses.replace(s, api_key="k"), factory)
    caps = p.capabilities("sora-2")
    assert isinstance(caps, ModelCapabilities) and caps.seconds is None
    p.close()


# -- `video-gen providers`, `providers check`, `models` -------------------------------------


def test_providers_lists_names_kinds_urls_models_and_key_sources_never_keys(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch, no_openrouter_key: None
) -> None:
    write_config(
        isolated_home,
        """
[defaults]
provider = "or"

[providers.or]
kind = "openrouter"
model = "google/veo-3.1-fast"

[providers.lite]
base_url = "http://localhost:4000/v1"
api_key = "sk-stored-in-file-12"
headers = { "Authorization-Extra" = "secret-header-value" }

[providers.play]
kind = "emulator"
profile = "litellm"
""",
    )
    monkeypatch.setenv("OPENAI_API_KEY", fake_key("from-env", "abcdefghijklmnop"))
    res = runner.invoke(app, ["providers"])
    assert res.exit_code == 0, res.stderr
    lines = {
        line.split()[1] if line.startswith("*") else line.split()[0]: line
        for line in res.stdout.splitlines()
    }
    assert lines["or"].startswith("*") and "https://openrouter.ai/api/v1" in lines["or"]
    assert "missing: export OPENROUTER_API_KEY=..." in lines["or"]
    assert (
        "present (config file)" in lines["lite"]
        and "present (env OPENAI_API_KEY)" in lines["openai"]
    )
    assert "profile litellm" in lines["play"] and "not needed" in lines["play"]
    data = json.loads(runner.invoke(app, ["providers", "--json"]).stdout)
    assert data["default"] == "or"
    by_name = {p["name"]: p for p in data["providers"]}
    assert by_name["or"]["key"] == {
        "needed": True,
        "present": False,
        "source": None,
        "hint": "export OPENROUTER_API_KEY=...",
    }
    assert by_name["lite"]["headers"] == ["Authorization-Extra"]
    everything = res.stdout + res.stderr + json.dumps(data)
    for secret in ("sk-stored-in-file", "sk-from-env", "secret-header-value"):
        assert secret not in everything


def test_providers_check_reports_what_works(
    isolated_home: Path, openrouter: EmulatorServer, remote: EmulatorServer
) -> None:
    write_config(
        isolated_home,
        f"""
[providers.or]
kind = "openrouter"
base_url = "{openrouter.base_url}"
api_key = "{KEY}"
model = "google/veo-3.1-fast"

[providers.or-emu]
kind = "emulator"
profile = "openrouter"
""",
    )
    res = runner.invoke(app, ["providers", "check", "or"])
    assert res.exit_code == 0, res.stderr
    assert "reachable, key accepted" in res.stdout and "GET " in res.stdout
    assert "/api/v1/key answered OK" in res.stdout  # the models listing needs no key
    assert "video models listed" in res.stdout and "job list: no" in res.stdout
    data = json.loads(runner.invoke(app, ["providers", "check", "or", "--json"]).stdout)
    assert data["key_accepted"] is True and "google/veo-3.1-fast" in data["models"]
    openai = runner.invoke(app, ["providers", "check", "openai"])
    assert openai.exit_code == 0 and "/v1/videos?limit=1" in openai.stdout
    emu = runner.invoke(app, ["providers", "check", "or-emu"])
    assert emu.exit_code == 0 and "no key needed" in emu.stdout
    assert openrouter.stats.creates_received == 0 and remote.stats.creates_received == 0


def test_providers_check_exit_codes(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch, sleeps: list[float]
) -> None:
    with EmulatorServer(profile="openrouter", require_key="the-right-key-0000") as srv:
        write_config(
            isolated_home,
            f"""
[providers.wrong]
kind = "openrouter"
base_url = "{srv.base_url}"
api_key_env = "OR_TEST_KEY"

[providers.down]
kind = "openrouter"
base_url = "http://127.0.0.1:9/api/v1"
api_key_env = "OR_TEST_KEY"

[providers.nokey]
kind = "openrouter"
api_key_env = "OR_UNSET_KEY"
""",
        )
        monkeypatch.setenv("OR_TEST_KEY", KEY)
        refused = runner.invoke(app, ["providers", "check", "wrong"])
    assert refused.exit_code == ExitCode.CONFIG
    assert "reachable but refused the key" in refused.stderr and KEY not in refused.stderr
    assert "export OR_TEST_KEY=..." in refused.stderr
    down = runner.invoke(app, ["providers", "check", "down"])
    assert down.exit_code == ExitCode.UNAVAILABLE and "unreachable" in down.stderr
    missing = runner.invoke(app, ["providers", "check", "nokey"])
    assert missing.exit_code == ExitCode.CONFIG and "export OR_UNSET_KEY" in missing.stderr
    unknown = runner.invoke(app, ["providers", "check", "nope"])
    assert unknown.exit_code == ExitCode.USAGE


def test_models_lists_capabilities_and_prices_and_marks_the_unpriced(
    isolated_home: Path,
) -> None:
    write_config(
        isolated_home,
        """
[providers.or]
kind = "openrouter"
api_key = "x"

[providers.gpu]
base_url = "http://gpu:8000/v1"
api_key = "x"
model = "Wan-AI/Wan2.2-T2V-A14B-Diffusers"

[providers.gpu.models."Wan-AI/Wan2.2-T2V-A14B-Diffusers"]
seconds = "any"
sizes = ["832x480", "480x832"]

[[prices]]
provider = "openrouter"
model = "google/veo-3.1-fast"
usd_per_second = 0.12
source = "my invoice"
""",
    )
    res = runner.invoke(app, ["models", "--provider", "or", "--json"])
    assert res.exit_code == 0, res.stderr
    rows = {r["model"]: r for r in json.loads(res.stdout)["models"]}
    assert set(rows) == {"google/veo-3.1", "google/veo-3.1-fast", "alibaba/wan-2.7"}
    veo = rows["google/veo-3.1"]
    assert veo["seconds"] == [4, 6, 8] and veo["resolutions"] == ["720p", "1080p"]
    assert veo["prices"][0]["usd_per_second"] == pytest.approx(0.40) and veo["priced"]
    fast = rows["google/veo-3.1-fast"]["prices"][0]
    assert fast["usd_per_second"] == pytest.approx(0.12) and fast["origin"] == "config"
    assert rows["alibaba/wan-2.7"]["seconds"] is None
    gpu = runner.invoke(app, ["models", "--provider", "gpu"])
    assert gpu.exit_code == 0
    (line,) = [x for x in gpu.stdout.splitlines() if x.startswith("gpu")]
    assert "any" in line and "832x480, 480x832" in line and "NO PRICE" in line
    assert "sora-2" not in gpu.stdout  # Sora's list means nothing to a vLLM server
    assert "refused (exit 9)" in gpu.stderr
    everything = runner.invoke(app, ["models"])
    assert everything.exit_code == 0
    assert "sora-2-pro" in everything.stdout and "0.30 (720x1280, 1280x720)" in everything.stdout


def test_models_of_includes_the_default_model() -> None:
    s = ProviderSpec(name="x", kind="openai-videos", base_url="h", model="my-model")
    assert models_of(s) == {"my-model": None}
    builtin = ProviderSpec(name="openai", kind="openai-videos", base_url="h")
    assert "sora-2-pro" in models_of(builtin)
