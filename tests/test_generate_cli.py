"""`video-gen generate`, `status`, `download` and `remix` end to end over loopback HTTP.

The `openai` provider is pointed at the emulator (as a user points it at LiteLLM), so every
fault injection shows the outcome a user would see: the exit code, stdout, stderr, the files on
disk, the ledger's records, and how many creates reached the server.
"""

from __future__ import annotations

import hashlib
import json
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


def gen(*args: str, input: str | None = None) -> object:
    return runner.invoke(app, ["generate", *args], input=input)


def kinds(local_id: str) -> list[str]:
    return [e["kind"] for e in Ledger().get(local_id).events]


def test_generate_saves_a_playable_named_video_and_records_every_stage(
    remote: EmulatorServer, tmp_path: Path
) -> None:
    res = gen(PROMPT, "--output-dir", "out", "--json", "--thumbnail", "--spritesheet")
    assert res.exit_code == 0, res.stderr
    data = json.loads(res.stdout)
    for key in ("job_id", "status", "file", "sha256", "cost_usd", "model", "seconds", "size"):
        assert key in data
    video = Path(data["file"])
    assert video.parent == (tmp_path / "out").resolve()
    assert video.name.endswith("-a-paper-boat-sails-down-a-rainy-street.mp4")
    assert video.read_bytes()[4:8] == b"ftyp"
    assert hashlib.sha256(video.read_bytes()).hexdigest() == data["sha256"]
    assert {Path(f["file"]).suffix for f in data["files"]} == {".mp4", ".webp", ".jpg"}
    assert data["status"] == "completed" and data["cost_usd"] == pytest.approx(0.40)
    assert remote.stats.creates_received == 1
    assert kinds(data["local_id"])[:2] == ["reserved", "submitted"]
    assert "completed" in kinds(data["local_id"])
    assert kinds(data["local_id"]).count("downloaded") == 3
    job = Ledger().get(data["job_id"][:12])
    assert job.remote_id == data["job_id"] and job.charged_usd == pytest.approx(0.40)
    assert KEY not in res.stderr and KEY not in Ledger().path.read_text()


def test_stdout_is_only_the_path_and_progress_is_plain_lines(remote: EmulatorServer) -> None:
    res = gen(PROMPT)
    assert res.exit_code == 0, res.stderr
    assert res.stdout.count("\n") == 1 and res.stdout.strip().endswith(".mp4")
    assert "estimated cost: 0.40 USD" in res.stderr
    assert "queued (created)" in res.stderr and "completed" in res.stderr


def test_quiet_prints_nothing_on_stderr(remote: EmulatorServer) -> None:
    res = gen(PROMPT, "--quiet")
    assert res.exit_code == 0 and res.stderr == ""


def test_prompt_from_stdin_and_file(remote: EmulatorServer, tmp_path: Path) -> None:
    assert gen("-", input="a fox in snow\n").exit_code == 0
    (tmp_path / "p.txt").write_text("an owl at night\n")
    assert gen("--prompt-file", "p.txt").exit_code == 0
    prompts = {j.prompt for j in Ledger().jobs(limit=None)}
    assert prompts == {"a fox in snow", "an owl at night"}


def test_never_overwrites_an_existing_file(remote: EmulatorServer) -> None:
    first = gen(PROMPT, "--name", "clip")
    second = gen(PROMPT, "--name", "clip")
    assert first.stdout.strip().endswith("clip.mp4")
    assert second.stdout.strip().endswith("clip-2.mp4")


def test_dry_run_sends_nothing_and_records_nothing(remote: EmulatorServer) -> None:
    res = gen(PROMPT, "--dry-run", "--seconds", "8", "--json")
    assert res.exit_code == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["request"]["body"]["seconds"] == "8"
    assert data["estimate_usd"] == pytest.approx(0.80)
    assert remote.stats.total_requests == 0
    assert not Ledger().path.exists() or Ledger().jobs() == []


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--seconds", "5"], "--seconds 4"),
        (["--size", "1792x1024"], "--size 720x1280"),
        (["--size", "big"], "WIDTHxHEIGHT"),
        (["--name", "{oops}"], "unknown field"),
    ],
)
def test_bad_parameters_exit_2_with_the_fix_before_any_call(
    remote: EmulatorServer, args: list[str], needle: str
) -> None:
    res = gen(PROMPT, *args)
    assert res.exit_code == ExitCode.USAGE
    assert needle in res.stderr and res.stderr.startswith("error: ")
    assert len(res.stderr.strip().splitlines()) == 1
    assert remote.stats.total_requests == 0


def test_reference_image_must_match_size(remote: EmulatorServer, tmp_path: Path) -> None:
    from PIL import Image

    Image.new("RGB", (640, 480), "white").save(tmp_path / "ref.png")
    res = gen(PROMPT, "--input-reference", "ref.png")
    assert (
        res.exit_code == ExitCode.USAGE
        and "640x480" in res.stderr
        and "scale=720:1280:force_original_aspect_ratio" in res.stderr
    )
    (tmp_path / "fake.png").write_text("not an image")
    assert "not a JPEG, PNG or WebP" in gen(PROMPT, "-i", "fake.png").stderr
    Image.new("RGB", (720, 1280), "white").save(tmp_path / "good.png")
    ok = gen(PROMPT, "-i", "good.png")
    assert ok.exit_code == 0, ok.stderr


def test_create_500_after_the_job_exists_creates_once(remote: EmulatorServer) -> None:
    remote.faults.add("create-500", endpoint="create")
    res = gen(PROMPT)
    assert res.exit_code == 0, res.stderr
    assert remote.stats.creates_received == 1 and remote.stats.jobs_created == 1


def test_5xx_and_429_bursts_are_ridden_out(remote: EmulatorServer, sleeps: list[float]) -> None:
    remote.faults.add("5xx", count=2, endpoint="retrieve")
    remote.faults.add("429", count=2, endpoint="content")
    res = gen(PROMPT)
    assert res.exit_code == 0, res.stderr
    assert "retrying" in res.stderr and sleeps.count(1.0) >= 2


def test_truncated_download_is_resumed(remote: EmulatorServer, sleeps: list[float]) -> None:
    remote.faults.add("truncate", endpoint="content")
    res = gen(PROMPT, "--json")
    assert res.exit_code == 0, res.stderr
    data = json.loads(res.stdout)
    assert hashlib.sha256(Path(data["file"]).read_bytes()).hexdigest() == data["sha256"]


def test_failed_job_exits_5_and_releases_the_reservation(remote: EmulatorServer) -> None:
    remote.faults.add("fail")
    res = gen(PROMPT)
    assert res.exit_code == ExitCode.JOB_FAILED and "failed" in res.stderr
    job = Ledger().jobs()[0]
    assert job.status == "failed" and job.charged_usd == 0 and not job.in_flight
    assert Ledger().month().reserved_usd == 0


def test_moderation_block_exits_4_and_releases(remote: EmulatorServer) -> None:
    remote.faults.add("moderation", endpoint="create")
    res = gen(PROMPT)
    assert res.exit_code == ExitCode.API_REJECTED and "moderation" in res.stderr
    assert "rephrase" in res.stderr
    assert Ledger().month().reserved_usd == 0 and Ledger().jobs()[0].charged_usd == 0


def test_moderation_as_a_failed_job(remote: EmulatorServer) -> None:
    remote.faults.add("moderation-job")
    res = gen(PROMPT)
    assert res.exit_code == ExitCode.JOB_FAILED and "moderation_blocked" in res.stderr


def test_timeout_exits_6_keeps_the_job_and_download_resumes_it(
    remote: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    with EmulatorServer(job_seconds=2.5) as slow:
        monkeypatch.setenv("OPENAI_BASE_URL", slow.base_url)
        res = gen(PROMPT, "--timeout", "0.5", "--poll-interval", "0.2")
        assert res.exit_code == ExitCode.TIMEOUT
        job = Ledger().jobs()[0]
        assert job.in_flight and "timeout" in [e["kind"] for e in job.events]
        assert f"video-gen download {job.remote_id}" in res.stderr
        done = runner.invoke(app, ["download", job.local_id, "--json"])
        assert done.exit_code == 0, done.stderr
        assert Path(json.loads(done.stdout)["file"]).exists()
        assert slow.stats.creates_received == 1
    after = Ledger().get(job.local_id)
    assert after.status == "completed" and not after.in_flight
    assert [e["kind"] for e in after.events].count("completed") == 1


def test_unavailable_server_exits_7(monkeypatch: pytest.MonkeyPatch, sleeps: list[float]) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    res = gen(PROMPT)
    assert res.exit_code == ExitCode.UNAVAILABLE and "cannot connect" in res.stderr
    assert Ledger().month().reserved_usd == 0  # the create never left: reservation released


def test_download_cut_forever_exits_8(remote: EmulatorServer, sleeps: list[float]) -> None:
    remote.faults.add("truncate", count=100, endpoint="content")
    res = gen(PROMPT, "--output-dir", "out")
    assert res.exit_code == ExitCode.DOWNLOAD_INCOMPLETE and "video-gen download" in res.stderr
    assert not any(Path("out").glob("*.mp4")) and not any(Path("out").glob(".*part"))


def test_bad_key_exits_3_without_echoing_it(monkeypatch: pytest.MonkeyPatch) -> None:
    with EmulatorServer(job_seconds=0.5, require_key="the-right-key-000") as srv:
        monkeypatch.setenv("OPENAI_BASE_URL", srv.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", KEY)
        res = gen(PROMPT)
    assert res.exit_code == ExitCode.CONFIG and KEY not in res.stderr + res.stdout
    assert "OPENAI_API_KEY" in res.stderr


def test_no_key_outside_a_terminal_fails_fast_with_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    res = gen(PROMPT)
    assert res.exit_code == ExitCode.CONFIG
    assert "export OPENAI_API_KEY" in res.stderr and "--provider emulator" in res.stderr


def test_sora_api_key_is_accepted(
    emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", emulator.base_url)
    monkeypatch.setenv("SORA_API_KEY", KEY)
    assert gen(PROMPT).exit_code == 0


def test_builtin_emulator_provider_needs_no_key() -> None:
    res = gen(PROMPT, "--provider", "emulator", "--json")
    assert res.exit_code == 0, res.stderr
    assert Path(json.loads(res.stdout)["file"]).read_bytes()[4:8] == b"ftyp"


def test_status_download_and_remix(remote: EmulatorServer) -> None:
    first = json.loads(gen(PROMPT, "--json").stdout)
    st = runner.invoke(app, ["status", first["job_id"], "--json"])
    assert st.exit_code == 0 and json.loads(st.stdout)["status"] == "completed"
    assert json.loads(st.stdout)["local_id"] == first["local_id"]
    human = runner.invoke(app, ["status", first["local_id"]])
    assert human.stdout.startswith(first["job_id"]) and "completed" in human.stdout
    again = runner.invoke(app, ["download", first["job_id"], "--variant", "thumbnail"])
    assert again.exit_code == 0 and again.stdout.strip().endswith(".webp")
    rem = runner.invoke(app, ["remix", first["job_id"], "same scene at night", "--json"])
    assert rem.exit_code == 0, rem.stderr
    remixed = json.loads(rem.stdout)
    assert remote.jobs.get(remixed["job_id"]).remixed_from == first["job_id"]
    assert Ledger().get(remixed["local_id"]).charged_usd == pytest.approx(0.40)
    assert remote.stats.creates_received == 1  # remix is its own endpoint


def test_unknown_job_is_rejected_with_exit_4(remote: EmulatorServer) -> None:
    res = runner.invoke(app, ["status", "video_doesnotexist"])
    assert res.exit_code == ExitCode.API_REJECTED and "404" in res.stderr


def test_generate_from_a_past_job_reuses_its_parameters(remote: EmulatorServer) -> None:
    first = json.loads(gen(PROMPT, "--seconds", "8", "--json").stdout)
    again = gen("--from", first["local_id"][:6], "--json")
    assert again.exit_code == 0, again.stderr
    data = json.loads(again.stdout)
    assert data["prompt"] == PROMPT and data["seconds"] == 8
    override = json.loads(gen("--from", first["job_id"], "--seconds", "4", "--json").stdout)
    assert override["seconds"] == 4 and override["prompt"] == PROMPT
