"""`video-gen generate` end to end against every emulator profile: each real server's quirk,
and how video-gen handles it, as a user would see it (exit code, stdout, stderr, ledger, files).

Each test names its provider in the config (`[providers.NAME]`) and points it at an
`EmulatorServer(profile=...)` on loopback, as a user points video-gen at a LiteLLM proxy, a
vLLM-Omni or SGLang server, or OpenRouter.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakekeys import fake_key
from typer.testing import CliRunner

from video_gen.cli import app
from video_gen.emulator import EmulatorServer
from video_gen.exit_codes import ExitCode
from video_gen.ledger import Ledger

runner = CliRunner()
PROMPT = "a paper boat sails down a rainy street"
KEY = fake_key("test")
WAN = "Wan-AI/Wan2.2-T2V-A14B-Diffusers"


def configure(home: Path, text: str) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(text, encoding="utf-8")


def gen(*args: str) -> object:
    return runner.invoke(app, ["generate", PROMPT, "--poll-interval", "0.15", *args])


def status_lines(stderr: str, job_id: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith(f"job {job_id}:")]


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[EmulatorServer]:
    with EmulatorServer(job_seconds=0.8, profile=request.param) as srv:
        yield srv


@pytest.fixture
def env_key(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("PROFILE_TEST_KEY", KEY)
    return KEY


def named(srv: EmulatorServer, kind: str = "openai-videos", extra: str = "") -> str:
    return f"""
[defaults]
provider = "x"

[providers.x]
kind = "{kind}"
base_url = "{srv.base_url}"
api_key_env = "PROFILE_TEST_KEY"
{extra}
"""


# -- LiteLLM proxy ---------------------------------------------------------------------------


@pytest.mark.parametrize("server", ["litellm"], indirect=True)
def test_litellm_long_padded_id_round_trips(
    server: EmulatorServer, isolated_home: Path, env_key: str
) -> None:
    configure(isolated_home, named(server))
    res = gen("--json")
    assert res.exit_code == 0, res.stderr
    data = json.loads(res.stdout)
    job_id = data["job_id"]
    assert len(job_id) > 200 and len(job_id) % 4 == 2  # "video_" + padded base64, kept as is
    assert server.jobs.get(job_id) is not None
    lines = status_lines(res.stderr, job_id)
    assert ": completed" in lines[-1]
    record = Ledger().get(data["local_id"])
    assert record.remote_id == job_id and record.provider == "x"
    assert record.status == "completed" and record.charged_usd == pytest.approx(0.40)
    st = runner.invoke(app, ["status", job_id, "--json"])
    assert st.exit_code == 0, st.stderr
    shown = json.loads(st.stdout)
    assert shown["id"] == job_id and shown["local_id"] == data["local_id"]
    assert "prompt" not in shown  # LiteLLM drops it from job objects
    again = runner.invoke(app, ["download", data["local_id"], "-o", "again"])
    assert again.exit_code == 0, again.stderr
    assert server.stats.creates_received == 1


@pytest.mark.parametrize("server", ["litellm"], indirect=True)
def test_litellm_through_openai_base_url(
    server: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    res = gen("--json")
    assert res.exit_code == 0, res.stderr
    job_id = json.loads(res.stdout)["job_id"]
    assert Ledger().get(job_id[:40]).remote_id == job_id
    assert runner.invoke(app, ["status", job_id[:40]]).stdout.startswith(job_id)


# -- vLLM-Omni -------------------------------------------------------------------------------

VLLM_EXTRA = f"""model = "{WAN}"
remix = false

[providers.x.models."{WAN}"]
seconds = "any"
sizes = ["832x480", "480x832", "1280x720", "720x1280"]

[[prices]]
provider = "openai-videos"
model = "Wan-AI/*"
usd_per_second = 0.0
source = "own GPU"
"""


@pytest.mark.parametrize("server", ["vllm-omni"], indirect=True)
def test_vllm_any_seconds_from_declared_capabilities_and_extra_fields(
    server: EmulatorServer, isolated_home: Path, env_key: str
) -> None:
    configure(isolated_home, named(server, extra=VLLM_EXTRA))
    res = gen("--seconds", "5", "--size", "832x480", "--json")
    assert res.exit_code == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["seconds"] == 5 and data["model"] == WAN
    job = server.jobs.get(data["job_id"])
    assert job is not None and job.seconds == "5" and job.size == "832x480"
    st = json.loads(runner.invoke(app, ["status", data["job_id"], "--json"]).stdout)
    assert st["inference_time_s"] is not None and st["file_name"].endswith(".mp4")
    # The declared sizes are checked before any call, naming the fix.
    bad = gen("--size", "1792x1024")
    assert bad.exit_code == ExitCode.USAGE and "832x480" in bad.stderr
    assert server.stats.creates_received == 1


@pytest.mark.parametrize("server", ["vllm-omni"], indirect=True)
def test_vllm_remix_is_refused_clearly_before_any_call(
    server: EmulatorServer, isolated_home: Path, env_key: str
) -> None:
    configure(isolated_home, named(server, extra=VLLM_EXTRA))
    first = json.loads(gen("--json").stdout)
    before = server.stats.total_requests
    res = runner.invoke(app, ["remix", first["job_id"], "the same at night"])
    assert res.exit_code == ExitCode.USAGE and "does not support remix" in res.stderr
    assert server.stats.requests[("POST", "remix")] == 0
    assert server.stats.total_requests - before <= 1  # at most a status look-up, never a create


def test_vllm_emulator_profile_refuses_remix_too(isolated_home: Path) -> None:
    configure(
        isolated_home,
        f"""
[providers.play]
kind = "emulator"
profile = "vllm-omni"
job_seconds = 0.5

[[prices]]
provider = "emulator"
model = "{WAN}"
usd_per_second = 0.0
""",
    )
    res = gen("--provider", "play", "--seconds", "7", "--size", "832x480", "--json")
    assert res.exit_code == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["model"] == WAN and data["seconds"] == 7  # the profile's model: any seconds
    rem = runner.invoke(app, ["remix", data["job_id"], "again", "--provider", "play"])
    assert rem.exit_code == ExitCode.USAGE and "does not support remix" in rem.stderr


# -- SGLang diffusion ------------------------------------------------------------------------


@pytest.mark.parametrize("server", ["sglang"], indirect=True)
def test_sglang_json_fallback_and_no_in_progress(
    server: EmulatorServer, isolated_home: Path, env_key: str, tmp_path: Path
) -> None:
    configure(
        isolated_home,
        named(
            server,
            extra=f'model = "{WAN}"\n\n[[prices]]\nmodel = "Wan-AI/*"\nusd_per_second = 0.01\n',
        ),
    )
    res = gen("--json")
    assert res.exit_code == 0, res.stderr
    data = json.loads(res.stdout)
    # A multipart create without a file is refused with 400 (no job); the same fields go as JSON.
    assert server.stats.creates_received == 2 and server.stats.jobs_created == 1
    assert len(Ledger().jobs()) == 1 and Ledger().get(data["local_id"]).status == "completed"
    lines = status_lines(res.stderr, data["job_id"])
    assert not any("in_progress" in line for line in lines)  # queued, then completed
    assert "completed" in lines[-1]
    from PIL import Image

    Image.new("RGB", (720, 1280), "white").save(tmp_path / "ref.png")
    with_file = gen("--input-reference", str(tmp_path / "ref.png"), "--json")
    assert with_file.exit_code == 0, with_file.stderr
    job = server.jobs.get(json.loads(with_file.stdout)["job_id"])
    assert job is not None and job.has_reference
    assert server.stats.creates_received == 3 and server.stats.jobs_created == 2


# -- OpenRouter (native) ---------------------------------------------------------------------

OR_EXTRA = 'model = "google/veo-3.1-fast"\n'


@pytest.mark.parametrize("server", ["openrouter"], indirect=True)
def test_openrouter_generate_records_the_actual_charge(
    server: EmulatorServer, isolated_home: Path, env_key: str, tmp_path: Path
) -> None:
    configure(
        isolated_home,
        named(server, "openrouter", OR_EXTRA)
        + '\n[[prices]]\nprovider = "openrouter"\nmodel = "google/veo-3.1-fast"\n'
        "usd_per_second = 0.125\n",
    )
    from PIL import Image

    Image.new("RGB", (300, 200), "white").save(tmp_path / "first.png")
    res = gen("--seconds", "6", "--size", "1920x1080", "-i", str(tmp_path / "first.png"), "--json")
    assert res.exit_code == 0, res.stderr
    data = json.loads(res.stdout)
    assert Path(data["file"]).read_bytes()[4:8] == b"ftyp"
    job = server.jobs.get(data["job_id"])
    assert job is not None and job.seconds == "6" and job.has_reference
    assert (job.extra["resolution"], job.extra["aspect_ratio"]) == ("1080p", "16:9")
    # Estimated at the config's 0.125/s; OpenRouter reported usage.cost = 6 x 0.10.
    assert data["estimate_usd"] == pytest.approx(0.75) and data["cost_usd"] == pytest.approx(0.60)
    record = Ledger().get(data["local_id"])
    assert record.estimate_usd == pytest.approx(0.75) and record.actual_usd == pytest.approx(0.60)
    assert record.charged_usd == pytest.approx(0.60) and record.provider_kind == "openrouter"
    assert Ledger().month().spent_usd == pytest.approx(0.60)
    lines = status_lines(res.stderr, data["job_id"])
    assert lines[0].endswith("pending (created)") and lines[-1].endswith("completed")
    st = runner.invoke(app, ["status", data["local_id"], "--json"])
    assert st.exit_code == 0 and json.loads(st.stdout)["usage"]["cost"] == pytest.approx(0.60)
    again = runner.invoke(app, ["download", data["job_id"], "-o", "again", "--json"])
    assert again.exit_code == 0, again.stderr
    assert server.stats.creates_received == 1


@pytest.mark.parametrize("server", ["openrouter"], indirect=True)
def test_openrouter_resolution_sizes_and_validation(
    server: EmulatorServer, isolated_home: Path, env_key: str
) -> None:
    configure(isolated_home, named(server, "openrouter", OR_EXTRA))
    ok = gen("--size", "720p@16:9", "--seconds", "4", "--json")
    assert ok.exit_code == 0, ok.stderr
    job = server.jobs.get(json.loads(ok.stdout)["job_id"])
    assert job is not None and job.extra["aspect_ratio"] == "16:9"
    bad = gen("--size", "720p@1:1")
    assert bad.exit_code == ExitCode.USAGE and "--size 720p@16:9" in bad.stderr
    sora = gen("--model", "sora-2")
    assert sora.exit_code == ExitCode.USAGE and "not an OpenRouter model id" in sora.stderr
    assert server.stats.creates_received == 1


@pytest.mark.parametrize("server", ["openrouter"], indirect=True)
def test_openrouter_ambiguous_create_is_recorded_in_doubt_never_re_sent(
    server: EmulatorServer, isolated_home: Path, env_key: str
) -> None:
    """OpenRouter has no job list: a create that may have made a job is never posted again;
    it is recorded in doubt with its reservation kept, and `settle` resolves it."""
    configure(isolated_home, named(server, "openrouter", OR_EXTRA))
    server.faults.add("create-500", endpoint="create")
    res = gen()
    assert res.exit_code == ExitCode.UNAVAILABLE
    assert "NOT sent again" in res.stderr and "in doubt" in res.stderr
    assert "video-gen settle" in res.stderr
    assert server.stats.creates_received == 1 and server.stats.jobs_created == 1
    job = Ledger().jobs()[0]
    assert job.in_doubt and job.in_flight and job.charged_usd is None
    assert job.estimate_usd > 0
    assert Ledger().month().reserved_usd == pytest.approx(job.estimate_usd)
    # The user finds the job on the provider and adopts it; it is then followed like any job.
    (made,) = list(server.jobs)
    adopted = runner.invoke(app, ["settle", job.local_id, "--remote-id", made.id])
    assert adopted.exit_code == 0, adopted.stderr
    assert "adopted" in adopted.stdout
    got = runner.invoke(app, ["download", job.local_id])
    assert got.exit_code == 0, got.stderr
    view = Ledger().get(job.local_id)
    assert view.remote_id == made.id and view.ended_by == "completed" and not view.in_flight
    assert server.stats.creates_received == 1


@pytest.mark.parametrize("server", ["openrouter"], indirect=True)
def test_in_doubt_create_settled_not_charged_frees_the_reservation(
    server: EmulatorServer, isolated_home: Path, env_key: str
) -> None:
    configure(isolated_home, named(server, "openrouter", OR_EXTRA))
    server.faults.add("5xx", endpoint="create")  # failed before any job: but who can tell?
    assert gen().exit_code == ExitCode.UNAVAILABLE
    job = Ledger().jobs()[0]
    assert job.in_doubt
    listed = runner.invoke(app, ["history", "--status", "in-doubt", "--json"])
    assert [j["id"] for j in json.loads(listed.stdout)] == [job.local_id]
    # Neither status nor download sends the local id to the server.
    status = runner.invoke(app, ["status", job.local_id])
    assert status.exit_code == ExitCode.USAGE and "no remote id" in status.stderr
    settled = runner.invoke(app, ["settle", job.local_id, "--not-charged", "--reason", "none"])
    assert settled.exit_code == 0, settled.stderr
    view = Ledger().get(job.local_id)
    assert not view.in_flight and view.charged_usd == 0 and view.status == "settled"
    assert Ledger().month().reserved_usd == 0
    again = runner.invoke(app, ["settle", job.local_id, "--charged"])
    assert again.exit_code == ExitCode.USAGE and "already ended" in again.stderr
    assert server.stats.creates_received == 1


@pytest.mark.parametrize("server", ["openrouter"], indirect=True)
def test_openrouter_failed_job_exits_5(
    server: EmulatorServer, isolated_home: Path, env_key: str
) -> None:
    configure(isolated_home, named(server, "openrouter", OR_EXTRA))
    server.faults.add("fail")
    res = gen()
    assert res.exit_code == ExitCode.JOB_FAILED and "failed" in res.stderr
    assert Ledger().jobs()[0].charged_usd == 0


def test_openrouter_emulator_profile_in_process(isolated_home: Path) -> None:
    # `priced = true`: the emulator rehearses the money of the API it plays.
    configure(
        isolated_home,
        '[providers.or-play]\nkind = "emulator"\nprofile = "openrouter"\njob_seconds = 0.5\n'
        "priced = true\n",
    )
    res = gen("--provider", "or-play", "--json")
    assert res.exit_code == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["model"] == "google/veo-3.1" and data["cost_usd"] == pytest.approx(1.60)
    record = Ledger().get(data["local_id"])
    assert record.provider == "or-play" and record.provider_kind == "emulator"
    assert record.actual_usd == pytest.approx(1.60)


def test_an_emulator_is_free_unless_priced(isolated_home: Path) -> None:
    # The server reports a charge (OpenRouter's usage.cost), but nothing was paid: 0 USD.
    configure(
        isolated_home,
        '[providers.or-play]\nkind = "emulator"\nprofile = "openrouter"\njob_seconds = 0.5\n',
    )
    res = gen("--provider", "or-play", "--json")
    assert res.exit_code == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["cost_usd"] == 0 and data["estimate_usd"] == 0
    record = Ledger().get(data["local_id"])
    assert record.charged_usd == 0 and record.emulated
    assert Ledger().month().spent_usd == 0


# -- money: no price, no spend ---------------------------------------------------------------


@pytest.mark.parametrize("server", ["vllm-omni"], indirect=True)
def test_model_without_price_on_a_named_provider_is_refused_exit_9(
    server: EmulatorServer, isolated_home: Path, env_key: str
) -> None:
    configure(isolated_home, named(server, extra=f'model = "{WAN}"\n'))
    res = gen("--seconds", "5")
    assert res.exit_code == ExitCode.BUDGET_REFUSED
    assert f"no known price for model {WAN!r}" in res.stderr and "set-price" in res.stderr
    assert server.stats.total_requests == 0 and Ledger().jobs() == []


@pytest.mark.parametrize("server", ["openrouter"], indirect=True)
def test_openrouter_model_without_price_is_refused_exit_9(
    server: EmulatorServer, isolated_home: Path, env_key: str
) -> None:
    configure(isolated_home, named(server, "openrouter", OR_EXTRA))
    res = gen("--model", "bytedance/seedance-2.0")
    assert res.exit_code == ExitCode.BUDGET_REFUSED and "bytedance/seedance-2.0" in res.stderr
    assert server.stats.total_requests == 0


# -- issue 9: each real server's quirk, through its emulator profile -------------------------


@pytest.mark.parametrize("server", ["litellm"], indirect=True)
def test_litellm_create_500_is_recorded_in_doubt_and_never_reposted(
    server: EmulatorServer, isolated_home: Path, env_key: str, sleeps: list[float]
) -> None:
    configure(isolated_home, named(server))
    server.faults.add("create-500", endpoint="create")
    res = gen()
    assert res.exit_code == ExitCode.UNAVAILABLE
    assert server.stats.jobs_created == 1 and "in doubt" in res.stderr.lower()
    assert Ledger().month().reserved_usd > 0


@pytest.mark.parametrize("server", ["litellm", "vllm-omni"], indirect=True)
def test_thumbnail_from_a_server_that_ignores_variant_is_skipped(
    server: EmulatorServer, isolated_home: Path, env_key: str, tmp_path: Path
) -> None:
    configure(
        isolated_home, named(server, extra=VLLM_EXTRA if server.profile.runtime_fields else "")
    )
    res = gen("--thumbnail", "--output-dir", "out")
    assert res.exit_code == 0, res.stderr
    assert not list((tmp_path / "out").glob("*.webp"))
    assert len(list((tmp_path / "out").glob("*.mp4"))) == 1
    warned = [x for x in res.stderr.splitlines() if x.startswith("warning:") and "thumbnail" in x]
    assert len(warned) == 1 and "skipped" in warned[0]


@pytest.mark.parametrize("server", ["vllm-omni"], indirect=True)
def test_vllm_failed_job_answered_500_is_a_failed_job(
    server: EmulatorServer, isolated_home: Path, env_key: str, sleeps: list[float]
) -> None:
    configure(isolated_home, named(server, extra=VLLM_EXTRA))
    server.faults.add("fail")
    res = gen("--seconds", "5", "--size", "832x480")
    assert res.exit_code == ExitCode.JOB_FAILED, res.stderr
    [job] = Ledger().jobs()
    assert job.status == "failed" and not job.in_flight and Ledger().month().reserved_usd == 0


def test_litellm_wrong_key_exits_3(isolated_home: Path, env_key: str) -> None:
    with EmulatorServer(job_seconds=0.5, profile="litellm", require_key="sk-other") as srv:
        configure(isolated_home, named(srv))
        res = gen()
        assert res.exit_code == ExitCode.CONFIG, res.stderr
        assert srv.stats.jobs_created == 0


@pytest.mark.parametrize("server", ["litellm"], indirect=True)
def test_litellm_renamed_retry_header_is_honoured(
    server: EmulatorServer, isolated_home: Path, env_key: str, sleeps: list[float]
) -> None:
    configure(isolated_home, named(server))
    server.faults.add("429", endpoint="retrieve", value=7)
    res = gen()
    assert res.exit_code == 0, res.stderr
    assert 7.0 in sleeps


def test_litellm_restamped_id_is_known_to_the_ledger(isolated_home: Path, env_key: str) -> None:
    from video_gen.emulator import get_profile

    profile = get_profile("litellm", restamp_ids=True)
    with EmulatorServer(job_seconds=0.5, profile=profile) as srv:
        configure(isolated_home, named(srv))
        res = gen("--json")
        assert res.exit_code == 0, res.stderr
        data = json.loads(res.stdout)
        job = srv.jobs.get(srv.profile.upstream_id(data["job_id"]) or "")
        assert job is not None
        created, restamped = job.id, srv.profile.shown_id(job, poll=True)
        assert created != restamped
        for any_id in (created, restamped):  # the create's id and the one polls answer
            shown = runner.invoke(app, ["history", "show", any_id])
            assert shown.exit_code == 0, (any_id, shown.stderr)


@pytest.mark.parametrize("server", ["openrouter"], indirect=True)
@pytest.mark.parametrize("fault", ["cancelled", "expired"])
def test_openrouter_cancelled_and_expired_exit_5(
    server: EmulatorServer, isolated_home: Path, env_key: str, fault: str
) -> None:
    configure(isolated_home, named(server, "openrouter", OR_EXTRA))
    server.faults.add(fault)
    res = gen()
    assert res.exit_code == ExitCode.JOB_FAILED, res.stderr
    assert fault in res.stderr and Ledger().jobs()[0].charged_usd == 0


@pytest.mark.parametrize("server", ["openrouter"], indirect=True)
def test_openrouter_403_is_a_block_not_a_bad_key(
    server: EmulatorServer, isolated_home: Path, env_key: str
) -> None:
    configure(isolated_home, named(server, "openrouter", OR_EXTRA))
    server.faults.add("blocked")
    res = gen()
    assert res.exit_code == ExitCode.API_REJECTED, res.stderr
    assert "moderation" in res.stderr.lower() and "OPENROUTER_API_KEY" not in res.stderr


@pytest.mark.parametrize("server", ["openrouter"], indirect=True)
def test_openrouter_402_names_the_credits_fix(
    server: EmulatorServer, isolated_home: Path, env_key: str
) -> None:
    configure(isolated_home, named(server, "openrouter", OR_EXTRA))
    server.faults.add("credits")
    res = gen()
    assert res.exit_code != 0 and "credits" in res.stderr.lower()
    assert "fix:" in res.stderr and "openrouter.ai/settings/credits" in res.stderr


@pytest.mark.parametrize("server", ["openrouter"], indirect=True)
def test_openrouter_audio_seed_and_last_frame(
    server: EmulatorServer, isolated_home: Path, env_key: str, tmp_path: Path
) -> None:
    from PIL import Image

    configure(isolated_home, named(server, "openrouter", 'model = "google/veo-3.1"\n'))
    Image.new("RGB", (64, 36), "white").save(tmp_path / "a.png")
    Image.new("RGB", (64, 36), "black").save(tmp_path / "b.png")
    res = gen(
        "--no-audio",
        "--seed",
        "42",
        "-i",
        str(tmp_path / "a.png"),
        "--last-frame",
        str(tmp_path / "b.png"),
        "--seconds",
        "8",
        "--json",
    )
    assert res.exit_code == 0, res.stderr
    job = server.jobs.get(json.loads(res.stdout)["job_id"])
    assert job is not None and job.extra["generate_audio"] is False and job.extra["seed"] == 42
    assert job.extra["frame_types"] == ["first_frame", "last_frame"]
    assert json.loads(res.stdout)["cost_usd"] == pytest.approx(8 * 0.20)


@pytest.mark.parametrize("server", ["litellm"], indirect=True)
def test_first_run_against_a_litellm_proxy_warns_once_with_the_fix(
    server: EmulatorServer, isolated_home: Path, env_key: str
) -> None:
    """LiteLLM's router re-posts failed creates by default: the first spending command against
    a proxy says so with the fix, once per proxy (remembered under the home)."""
    configure(isolated_home, named(server))
    first = gen()
    assert first.exit_code == 0, first.stderr
    warned = [x for x in first.stderr.splitlines() if "num_retries: 0" in x]
    assert len(warned) == 1 and warned[0].startswith("warning:") and "LiteLLM" in warned[0]
    second = gen()
    assert second.exit_code == 0 and "num_retries" not in second.stderr
