"""`--provider emulator` jobs outlive the process (status, download, remix and the printed resume
command work later), cost nothing and never count against the budget; and `status` records the
end of a job that finished since it was last seen."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from video_gen.cli import app
from video_gen.emulator import JobStore
from video_gen.emulator.jobs import Failure, Job
from video_gen.exit_codes import ExitCode
from video_gen.ledger import Ledger

runner = CliRunner()


def later_process(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Another video-gen process (same home, same folder): nothing shared but the files."""
    return subprocess.run(
        [sys.executable, "-m", "video_gen", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_job_store_file_round_trips_jobs_and_their_life(tmp_path: Path) -> None:
    path = tmp_path / "jobs.json"
    store = JobStore(path=path)
    job = Job(
        id="video_1",
        model="sora-2",
        prompt="a kite",
        seconds="4",
        size="720x1280",
        created_at=1.0e9,
        started=store.clock() - 5.0,  # five seconds into its life
        run_seconds=3.0,
        queue_seconds=0.3,
        failure=Failure("internal_error", "boom"),
        extra={"input": {"a": 1, "image": "data:image/png;base64," + "A" * 100_000}},
    )
    store.add(job)
    assert path.stat().st_size < 10_000  # an echoed data URL is not kept whole
    other = JobStore(path=path)  # another process
    found = other.get("video_1")
    assert found is not None and found.failure == job.failure
    assert found.extra["input"]["a"] == 1
    assert other.view(found).phase == "failed"  # its clock carried over
    other.delete("video_1")
    assert JobStore(path=path).get("video_1") is None
    path.write_text("{not json")
    assert len(JobStore(path=path)) == 0  # a damaged file: an empty emulator, no crash


def test_emulator_jobs_survive_the_process(tmp_path: Path) -> None:
    res = runner.invoke(app, ["generate", "a kite", "--provider", "emulator", "--json"])
    assert res.exit_code == 0, res.stderr
    data = json.loads(res.stdout)
    job_id = data["job_id"]
    st = later_process("status", job_id, "--json")
    assert st.returncode == 0, st.stderr
    assert json.loads(st.stdout)["status"] == "completed"
    again = later_process("download", job_id, "--output-dir", "again")
    assert again.returncode == 0, again.stderr
    assert Path(again.stdout.strip()).read_bytes()[4:8] == b"ftyp"
    remixed = later_process("remix", job_id, "same, at night", "--json")
    assert remixed.returncode == 0, remixed.stderr
    assert json.loads(remixed.stdout)["cost_usd"] == 0


def test_the_printed_resume_command_works_in_a_later_process() -> None:
    slow = {"VIDEO_GEN_EMULATOR_JOB_SECONDS": "4"}
    first = later_process(
        "generate", "a kite", "--provider", "emulator", "--timeout", "0.5", **slow
    )
    assert first.returncode == ExitCode.TIMEOUT, first.stderr
    resume = first.stderr.split("video-gen download ", 1)[1].split()[0].rstrip(").;")
    done = later_process("download", resume, **slow)
    assert done.returncode == 0, done.stderr
    saved = Path(done.stdout.strip())
    assert saved.is_file() and saved.read_bytes()[4:8] == b"ftyp"


def test_emulated_jobs_cost_nothing_and_never_count_against_the_budget() -> None:
    assert runner.invoke(app, ["budget", "set", "--monthly", "0.10"]).exit_code == 0
    # 4 s of sora-2 would be 0.40 USD on the API the emulator plays: far over 0.10.
    res = runner.invoke(app, ["generate", "a kite", "--provider", "emulator", "--json"])
    assert res.exit_code == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["cost_usd"] == 0 and data["estimate_usd"] == 0
    job = Ledger().get(data["local_id"])
    assert job.emulated and job.charged_usd == 0 and job.estimate_usd == 0
    assert Ledger().month().spent_usd == 0
    history = runner.invoke(app, ["history", "--json"])
    assert json.loads(history.stdout)[0]["emulated"] is True


@pytest.mark.parametrize("fault", ["", "fail"])
def test_status_records_the_end_of_a_finished_job(fault: str) -> None:
    slow = {"VIDEO_GEN_EMULATOR_JOB_SECONDS": "1.5", "VIDEO_GEN_EMULATOR_FAULTS": fault}
    first = later_process(
        "generate", "a kite", "--provider", "emulator", "--timeout", "0.3", **slow
    )
    assert first.returncode == ExitCode.TIMEOUT, first.stderr
    (job,) = Ledger().jobs()
    assert job.in_flight
    import time

    time.sleep(1.6)  # the emulated job finishes meanwhile (no assertion on time)
    st = later_process("status", job.local_id, **slow)
    assert st.returncode == 0, st.stderr
    ended = Ledger().get(job.local_id)
    assert not ended.in_flight
    assert ended.ended_by == ("failed" if fault else "completed")
    assert ended.charged_usd == 0


def test_status_records_the_end_on_a_remote_server(remote: object) -> None:
    # The same for any server (here the openai provider on a loopback emulator): status alone.
    first = runner.invoke(app, ["generate", "a kite", "--timeout", "0.05"])
    assert first.exit_code == ExitCode.TIMEOUT, first.stderr
    (job,) = Ledger().jobs()
    assert job.in_flight
    import time

    time.sleep(0.8)  # the job (0.6 s) finishes meanwhile
    st = runner.invoke(app, ["status", job.local_id])
    assert st.exit_code == 0, st.stderr
    ended = Ledger().get(job.local_id)
    assert not ended.in_flight and ended.ended_by == "completed"
    assert ended.charged_usd == pytest.approx(0.40)
