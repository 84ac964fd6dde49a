"""The native kinds (`gemini`, `fal`, `replicate`) end to end, as a user runs them: a provider
table of each kind pointed at the emulator profile that plays the real API, with a key the
emulator requires, faults injected, and everything checked that money depends on (one job per
create, the ledger's cost, nothing left reserved after a failure, the key in no output)."""

from __future__ import annotations

import hashlib
import json
import time
import types
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakekeys import fake_key
from typer.testing import CliRunner

from video_gen.cli import app
from video_gen.emulator import EmulatorServer
from video_gen.emulator.content import make_body
from video_gen.exit_codes import ExitCode
from video_gen.ledger import Ledger

runner = CliRunner()
KEY = fake_key("native")
KINDS = ["gemini", "fal", "replicate"]
# What each kind's default model costs for 8 s at 720p (packaged prices.toml): Omni Flash
# 0.10/s; Veo 3.1 Fast with its default sound 0.15/s on fal and on Replicate.
COST_8S = {"gemini": 0.80, "fal": 1.20, "replicate": 1.20}
SAMPLE_SHA = hashlib.sha256(make_body("video").read_all()).hexdigest()


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GEMINI_API_KEY", "GOOGLE_API_KEY", "FAL_KEY", "REPLICATE_API_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    # The job layer's waits (poll backoff after a 5xx) are shortened, not skipped: the
    # emulator's jobs still need real time to finish.
    import video_gen.jobs

    real = time.sleep
    shim = types.SimpleNamespace(
        sleep=lambda s: real(min(s, 0.1)), time=time.time, monotonic=time.monotonic
    )
    monkeypatch.setattr(video_gen.jobs, "time", shim)


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[EmulatorServer]:
    with EmulatorServer(job_seconds=0.5, profile=request.param, require_key=KEY) as srv:
        srv.faults.retry_after = 0.05
        yield srv


def configure(home: Path, srv: EmulatorServer, kind: str, extra: str = "") -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(
        f'[defaults]\nprovider = "x"\n\n[providers.x]\nkind = "{kind}"\n'
        f'base_url = "{srv.base_url}"\napi_key_env = "NATIVE_KEY"\n{extra}',
        encoding="utf-8",
    )


@pytest.fixture
def native(
    server: EmulatorServer, isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> EmulatorServer:
    monkeypatch.setenv("NATIVE_KEY", KEY)
    configure(isolated_home, server, server.profile.name)
    return server


def gen(*args: str) -> object:
    return runner.invoke(
        app,
        [
            "generate",
            "a paper boat on a rainy street",
            "--seconds",
            "8",
            "--poll-interval",
            "0.1",
            "-o",
            "out",
            *args,
        ],
    )


def no_key(res: object) -> None:
    text = res.stdout + res.stderr  # type: ignore[attr-defined]
    assert KEY not in text and KEY[8:] not in text


@pytest.mark.parametrize("server", KINDS, indirect=True)
def test_generate_through_faults_one_job_intact_bytes_right_cost(
    native: EmulatorServer, tmp_path: Path
) -> None:
    native.faults.add("429", endpoint="create")
    native.faults.add("5xx", count=2, endpoint="retrieve")
    native.faults.add("truncate", endpoint="content")
    res = gen("--json", "--verbose")
    assert res.exit_code == 0, res.stderr
    no_key(res)
    out = json.loads(res.stdout)
    assert native.stats.jobs_created == 1  # the 429 made no job; the retry made one
    assert hashlib.sha256(Path(out["file"]).read_bytes()).hexdigest() == SAMPLE_SHA
    assert out["sha256"] == SAMPLE_SHA
    job = Ledger().jobs(limit=None)[0]
    assert job.status != "failed" and job.charged_usd == pytest.approx(COST_8S[native.profile.name])
    assert Ledger().month().reserved_usd == 0
    fired = native.faults.fired()
    assert fired.get("429") == 1 and fired.get("5xx") == 2
    if native.profile.name != "gemini":  # gemini's default delivery streams a file too
        assert fired.get("truncate") == 1


@pytest.mark.parametrize("server", KINDS, indirect=True)
def test_failed_job_exits_5_and_nothing_stays_reserved(native: EmulatorServer) -> None:
    native.faults.add("fail")
    res = gen()
    assert res.exit_code == ExitCode.JOB_FAILED, res.stderr
    no_key(res)
    assert Ledger().month().reserved_usd == 0
    assert Ledger().jobs(limit=None)[0].status == "failed"


@pytest.mark.parametrize("server", KINDS, indirect=True)
def test_batch_through_faults(native: EmulatorServer, tmp_path: Path) -> None:
    native.faults.add("429", endpoint="create")
    native.faults.add("5xx", count=2, endpoint="retrieve")
    (tmp_path / "prompts.txt").write_text("a red kite\na blue boat\n")
    res = runner.invoke(app, ["batch", "prompts.txt", "--seconds", "8", "-o", "clips"])
    assert res.exit_code == 0, res.stderr + res.stdout
    no_key(res)
    files = sorted((tmp_path / "clips").glob("*.mp4"))
    assert len(files) == 2 and native.stats.jobs_created == 2
    assert all(hashlib.sha256(f.read_bytes()).hexdigest() == SAMPLE_SHA for f in files)
    total = sum(j.charged_usd or 0 for j in Ledger().jobs(limit=None))
    assert total == pytest.approx(2 * COST_8S[native.profile.name])


@pytest.mark.parametrize("server", KINDS, indirect=True)
def test_prompt_from_repo_generate(native: EmulatorServer, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "app.py").write_text("class Cache:\n    def get(self, key):\n        return key\n")
    args = ["prompt-from-repo", str(repo), "--seconds", "8", "--generate", "--output-dir", "clips"]
    res = runner.invoke(app, [*args, "--no-cache"])
    assert res.exit_code == 0, res.stderr + res.stdout
    no_key(res)
    assert len(list((tmp_path / "clips").glob("*.mp4"))) == 1
    assert native.stats.jobs_created == 1


@pytest.mark.parametrize("server", ["gemini", "fal"], indirect=True)
def test_ambiguous_create_without_a_job_list_is_in_doubt_never_re_sent(
    native: EmulatorServer,
) -> None:
    native.faults.add("create-500")
    res = gen()
    assert res.exit_code == ExitCode.UNAVAILABLE and "in doubt" in res.stderr
    assert native.stats.creates_received == 1 and native.stats.jobs_created == 1
    assert Ledger().month().reserved_usd > 0  # kept until settled


@pytest.mark.parametrize("server", ["replicate"], indirect=True)
def test_replicate_ambiguous_create_is_found_in_the_prediction_list(
    native: EmulatorServer,
) -> None:
    native.faults.add("create-drop")
    res = gen("--json")
    assert res.exit_code == 0, res.stderr
    assert "made job" in res.stderr and "nothing was posted again" in res.stderr
    assert native.stats.creates_received == 1 and native.stats.jobs_created == 1
    assert json.loads(res.stdout)["sha256"] == SAMPLE_SHA


@pytest.mark.parametrize("server", KINDS, indirect=True)
def test_check_proves_the_key_and_a_wrong_key_exits_3(
    native: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    res = runner.invoke(app, ["providers", "check", "x"])
    assert res.exit_code == 0, res.stderr
    assert native.stats.jobs_created == 0
    monkeypatch.setenv("NATIVE_KEY", fake_key("wrong"))
    res = runner.invoke(app, ["providers", "check", "x"])
    assert res.exit_code == ExitCode.CONFIG, res.stderr
    assert "refused the key" in res.stderr
    assert fake_key("wrong") not in res.stderr + res.stdout


@pytest.mark.parametrize("server", KINDS, indirect=True)
def test_wrong_key_on_generate_exits_3_and_releases(
    native: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NATIVE_KEY", fake_key("wrong"))
    res = gen()
    assert res.exit_code == ExitCode.CONFIG, res.stderr
    assert native.stats.jobs_created == 0
    assert Ledger().month().reserved_usd == 0


@pytest.mark.parametrize("server", ["gemini"], indirect=True)
def test_gemini_refusal_is_text_only_exit_4_released(native: EmulatorServer) -> None:
    native.faults.add("moderation-job")
    res = gen()
    assert res.exit_code == ExitCode.API_REJECTED, res.stderr
    assert "can't generate" in res.stderr
    assert Ledger().month().reserved_usd == 0


@pytest.mark.parametrize("server", ["gemini"], indirect=True)
@pytest.mark.parametrize("delivery", ["inline", "uri"])
def test_gemini_both_deliveries(native: EmulatorServer, isolated_home: Path, delivery: str) -> None:
    configure(isolated_home, native, "gemini", f'delivery = "{delivery}"\n')
    res = gen("--json", "--size", "1080p@16:9")
    assert res.exit_code == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["sha256"] == SAMPLE_SHA and out["cost_usd"] == pytest.approx(8 * 0.15)
    job = native.jobs.ordered(descending=True)[0]
    assert job.extra["delivery"] == delivery and job.extra["resolution"] == "1080p"
    assert job.extra["background"] is True  # never a blocking, bill-at-once create


@pytest.mark.parametrize("server", ["gemini"], indirect=True)
def test_gemini_retired_veo_id_is_refused_naming_the_replacement(native: EmulatorServer) -> None:
    res = gen("--model", "veo-3.1-generate-preview")
    assert res.exit_code == ExitCode.USAGE
    assert "2026-10-22" in res.stderr and "gemini-omni-1.1-flash" in res.stderr
    assert native.stats.creates_received == 0


@pytest.mark.parametrize("server", ["gemini"], indirect=True)
def test_gemini_remix_continues_the_interaction(native: EmulatorServer) -> None:
    res = gen("--json")
    assert res.exit_code == 0, res.stderr
    first = json.loads(res.stdout)["job_id"]
    res = runner.invoke(
        app, ["remix", first, "make it snow", "--poll-interval", "0.1", "-o", "out", "--json"]
    )
    assert res.exit_code == 0, res.stderr
    remixed = native.jobs.get(json.loads(res.stdout)["job_id"])
    assert remixed is not None and remixed.remixed_from == first


@pytest.mark.parametrize("server", ["replicate"], indirect=True)
def test_replicate_per_video_price(native: EmulatorServer) -> None:
    res = gen("--model", "minimax/video-01", "--seconds", "6", "--size", "720p@16:9", "--json")
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout)["cost_usd"] == pytest.approx(0.50)


@pytest.mark.parametrize("server", ["fal"], indirect=True)
def test_fal_bad_input_fails_when_the_job_runs(native: EmulatorServer) -> None:
    # fal's queue takes any input and checks it when the job runs: --extra-free way to send a
    # value the model refuses is a declared capability that lies.
    configure(
        native_home := Path.cwd() / "vg-home",
        native,
        "fal",
        '[providers.x.models."fal-ai/veo3.1/fast"]\nseconds = [5]\n',
    )
    assert native_home.exists()
    res = gen("--seconds", "5")
    assert res.exit_code == ExitCode.JOB_FAILED, res.stderr
    assert "permitted" in res.stderr and native.stats.jobs_created == 1
    assert Ledger().month().reserved_usd == 0


@pytest.mark.parametrize("server", KINDS, indirect=True)
def test_cancel_on_interrupt_cancels_only_when_asked(native: EmulatorServer) -> None:
    from video_gen import pricing
    from video_gen.cli.runtime import connector
    from video_gen.config import Config
    from video_gen.errors import Interrupted
    from video_gen.jobs import JobRunner, RunOptions
    from video_gen.ledger import BudgetLimits
    from video_gen.providers import open_provider, spec_for
    from video_gen.types import GenerationRequest

    def interrupt(_: float) -> None:
        raise KeyboardInterrupt

    spec = spec_for(Config.load(), "x")
    ledger = Ledger()
    request = GenerationRequest("a kite", spec.model or "", 8, "720p@16:9", provider="x")
    for cancel in (False, True):
        provider = open_provider(spec, connector())
        run = JobRunner(
            provider, ledger, limits=BudgetLimits(50.0), price_table=pricing.rows(), sleep=interrupt
        )
        with pytest.raises(Interrupted) as caught:
            run.run(request, RunOptions(output_dir=Path("out"), cancel_on_interrupt=cancel))
        provider.close()
        job = native.jobs.ordered(descending=True)[0]
        state = native.jobs.view(job)
        if cancel:
            assert "cancelled" in str(caught.value)
            assert state.phase == "cancelled" and job.failure is not None
        else:
            assert "keeps running" in str(caught.value) and job.failure is None
    assert ledger.month().reserved_usd == pytest.approx(COST_8S[native.profile.name])


def test_gemini_file_is_waited_for_until_active(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A video delivered as a file is downloadable only once the file is ACTIVE, which comes a
    moment after the interaction completes (here 0.5 s: wide enough to be seen under load):
    until then the job is not final."""
    from video_gen.cli.runtime import connector
    from video_gen.config import Config
    from video_gen.providers import open_provider, spec_for
    from video_gen.types import GenerationRequest

    monkeypatch.setenv("NATIVE_KEY", KEY)
    srv = EmulatorServer(job_seconds=2.5, profile="gemini", require_key=KEY).start()
    configure(isolated_home, srv, "gemini")
    provider = open_provider(spec_for(Config.load(), "x"), connector())
    try:
        job = provider.submit(GenerationRequest("a kite", "gemini-omni-1.1-flash", 4, "720p"))
        seen = []
        while not job.phase.final:
            time.sleep(0.02)
            job = provider.refresh(job.id)
            seen.append(job.status)
        assert "processing_file" in seen and seen[-1] == "completed"
        stream = provider.download(job.id, "video")
        assert b"".join(stream.chunks) == make_body("video").read_all()
    finally:
        provider.close()
        srv.stop()


@pytest.mark.parametrize("server", KINDS, indirect=True)
def test_film_through_faults(native: EmulatorServer, tmp_path: Path) -> None:
    native.faults.add("429", endpoint="create")
    native.faults.add("5xx", count=2, endpoint="retrieve")
    native.faults.add("truncate", endpoint="content")
    (tmp_path / "story.jsonl").write_text(
        '{"prompt": "a red kite over the sea"}\n{"prompt": "a blue boat in the harbour"}\n'
    )
    res = runner.invoke(
        app, ["film", "story.jsonl", "--seconds", "8", "--output-dir", "clips", "--json"]
    )
    assert res.exit_code == 0, res.stderr + res.stdout
    no_key(res)
    assert native.stats.jobs_created == 2
    assert (tmp_path / "clips" / "story.film.mp4").stat().st_size > 0
    total = sum(j.charged_usd or 0 for j in Ledger().jobs(limit=None))
    assert total == pytest.approx(2 * COST_8S[native.profile.name])
