"""A batch killed (SIGKILL) or interrupted (Ctrl-C) and run again never pays twice for a line.

The batch runs as a real subprocess (``python -m video_gen batch``) against an emulator in this
test process, so the emulator's counters see every create across both runs.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from fakekeys import fake_key
from typer.testing import CliRunner

from video_gen.cli import app
from video_gen.emulator import EmulatorServer
from video_gen.exit_codes import ExitCode
from video_gen.ledger import Ledger

KEY = fake_key("test")
PROMPTS = "a paper boat\nan owl at night\na fox in snow\na hen on a bike\n"
ARGS = ("prompts.txt", "--concurrency", "2", "--poll-interval", "0.2", "--output-dir", "out")

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


@pytest.fixture
def slow(monkeypatch: pytest.MonkeyPatch) -> Any:
    with EmulatorServer(job_seconds=2.5) as srv:
        monkeypatch.setenv("OPENAI_BASE_URL", srv.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", KEY)
        Path("prompts.txt").write_text(PROMPTS)
        yield srv


def start(tmp_path: Path) -> subprocess.Popen[bytes]:
    err = open(tmp_path / "batch.stderr", "wb")  # noqa: SIM115 - the child owns it
    return subprocess.Popen(
        [sys.executable, "-m", "video_gen", "batch", *ARGS],
        stdout=subprocess.DEVNULL,
        stderr=err,
        env=dict(os.environ),
    )


def wait_for_submitted(count: int, timeout: float = 15.0) -> None:
    """Until the ledger holds ``count`` answered creates (their remote ids recorded)."""
    ledger = Ledger().path
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ledger.exists() and ledger.read_text().count('"kind":"submitted"') >= count:
            return
        time.sleep(0.05)
    raise AssertionError(f"no {count} submitted records within {timeout}s")


def rerun() -> dict[str, Any]:
    res = CliRunner().invoke(app, ["batch", *ARGS, "--json"])
    assert res.exit_code == 0, res.stderr
    data: dict[str, Any] = json.loads(res.stdout)
    return data


def assert_one_job_per_item(data: dict[str, Any]) -> None:
    jobs = Ledger().jobs(batch=data["batch_id"], limit=None)
    per_item = Counter(j.item_key for j in jobs)
    assert len(per_item) == 4 and set(per_item.values()) == {1}
    for item in data["items"]:
        assert item["status"] in ("done", "already_done") and Path(item["file"]).exists()


def test_sigkill_then_rerun_reattaches_and_never_creates_twice(
    slow: EmulatorServer, tmp_path: Path
) -> None:
    proc = start(tmp_path)
    try:
        wait_for_submitted(2)
    finally:
        proc.kill()
        proc.wait()
    assert slow.stats.creates_received == 2
    data = rerun()
    assert slow.stats.creates_received == 4  # 2 re-attached, 2 created: one create per item
    assert slow.stats.jobs_created == 4
    assert_one_job_per_item(data)


def test_ctrl_c_stops_submitting_waits_for_jobs_in_flight_and_says_how_to_resume(
    slow: EmulatorServer, tmp_path: Path
) -> None:
    proc = start(tmp_path)
    wait_for_submitted(2)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=20) == ExitCode.INTERRUPTED
    stderr = (tmp_path / "batch.stderr").read_text()
    assert "stopping: no new jobs will start (2 not started); waiting for 2 in flight" in stderr
    assert "resume later with: video-gen batch prompts.txt --output-dir out" in stderr
    assert slow.stats.creates_received == 2
    statuses = [
        i["status"] for i in json.loads(Path("out/prompts.manifest.json").read_text())["items"]
    ]
    assert sorted(statuses) == ["done", "done", "pending", "pending"]
    data = rerun()
    assert slow.stats.creates_received == 4
    assert_one_job_per_item(data)


def test_a_second_ctrl_c_exits_at_once_leaving_jobs_to_reattach(
    slow: EmulatorServer, tmp_path: Path
) -> None:
    proc = start(tmp_path)
    wait_for_submitted(2)
    proc.send_signal(signal.SIGINT)
    time.sleep(0.3)
    began = time.monotonic()
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=10) == ExitCode.INTERRUPTED
    assert time.monotonic() - began < 2.0  # not the 2.5 s the jobs still needed
    stderr = (tmp_path / "batch.stderr").read_text()
    assert "left running" in stderr and "resume later with: video-gen batch prompts.txt" in stderr
    interrupted = [
        j for j in Ledger().jobs(limit=None) if "interrupted" in [e["kind"] for e in j.events]
    ]
    assert len(interrupted) == 2 and all(j.in_flight for j in interrupted)
    data = rerun()
    assert slow.stats.creates_received == 4
    assert_one_job_per_item(data)


def test_an_orphaned_reservation_adopts_the_job_its_create_made(remote: EmulatorServer) -> None:
    """Killed while a create was on the wire: the ledger has the reservation, not the id."""
    from video_gen.batch.state import ORPHAN_RELEASE
    from video_gen.client.videos import VideosClient
    from video_gen.ledger import BudgetLimits
    from video_gen.types import Estimate, GenerationRequest

    Path("prompts.txt").write_text("a boat\nan owl\n")
    runner = CliRunner()
    plan = json.loads(runner.invoke(app, ["batch", *ARGS, "--dry-run", "--json"]).stdout)
    for item in plan["items"]:
        request = GenerationRequest(item["prompt"], item["model"], item["seconds"], item["size"])
        Ledger().reserve(
            request,
            Estimate(0.4, 0.1, "test"),
            BudgetLimits(monthly_usd=50),
            provider_kind="openai-videos",
            command="batch",
            batch_id=plan["batch_id"],
            item_key=item["key"],
        )
    # The first item's create reached the server before the kill; the second's never did.
    made = VideosClient.connect(remote.base_url, KEY).create(
        prompt="a boat", model="sora-2", seconds="4", size="720x1280"
    )
    res = runner.invoke(app, ["batch", *ARGS, "--json"])
    assert res.exit_code == 0, res.stderr
    assert remote.stats.creates_received == 2  # the orphan's own, and one for "an owl"
    assert f"found job {made['id']}" in res.stderr
    jobs = Ledger().jobs(batch=plan["batch_id"], limit=None)
    boat = [j for j in jobs if j.prompt == "a boat"]
    owl = [j for j in jobs if j.prompt == "an owl"]
    assert [j.remote_id for j in boat] == [made["id"]] and boat[0].status == "completed"
    assert sorted(j.status for j in owl) == ["completed", "released"]
    assert any((j.error_message or "").startswith(ORPHAN_RELEASE) for j in owl)
    assert Ledger().month().reserved_usd == 0
