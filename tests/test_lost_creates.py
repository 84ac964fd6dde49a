"""A paid job is created once and never lost: the claim rule, in-doubt creates, `settle`,
polls that ride out failures, jobs the server forgets, and variants a server does not make.

End to end over loopback HTTP against the emulator (`remote`: the `openai` provider pointed at
it), counting creates on the server; on both ledger backends (``backend`` in conftest.py).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from video_gen import recovery
from video_gen.cli import app
from video_gen.emulator import EmulatorServer
from video_gen.exit_codes import ExitCode
from video_gen.ledger import BudgetLimits, LedgerBackend, open_ledger
from video_gen.types import Estimate, GenerationRequest

runner = CliRunner()
pytestmark = pytest.mark.usefixtures("backend")
PROMPT = "a paper boat sails down a rainy street"
LIMITS = BudgetLimits(monthly_usd=50.0)


def gen(*args: str) -> object:
    return runner.invoke(app, ["generate", PROMPT, *args])


def request(**kw: object) -> GenerationRequest:
    base: dict[str, object] = {
        "prompt": PROMPT,
        "model": "sora-2",
        "seconds": 4,
        "size": "720x1280",
        "provider": "openai",
    }
    base.update(kw)
    return GenerationRequest(**base)  # type: ignore[arg-type]


def reserve(ledger: LedgerBackend, **kw: object) -> str:
    return ledger.reserve(
        request(**kw),
        Estimate(0.4, 0.1, "test"),
        LIMITS,
        provider_kind="openai-videos",
        command="generate",
    ).local_id


SINCE = datetime.now(timezone.utc) - timedelta(minutes=1)


# -- the claim rule ---------------------------------------------------------------------------


def test_a_lone_unclaimed_match_is_claimed_and_recorded() -> None:
    ledger = open_ledger()
    mine = reserve(ledger)
    claim = ledger.claim(mine, request(), [("video_a", "queued")], since=SINCE)
    assert claim.remote_id == "video_a"
    job = ledger.get(mine)
    assert job.remote_id == "video_a" and job.events[-1].get("recovered") is True


def test_a_job_another_ledger_job_recorded_is_never_claimed() -> None:
    ledger = open_ledger()
    other = reserve(ledger)
    ledger.submitted(other, "video_theirs", "queued")
    mine = reserve(ledger)
    claim = ledger.claim(mine, request(), [("video_theirs", "queued")], since=SINCE)
    assert claim.remote_id is None and not claim.ambiguous
    assert ledger.get(mine).remote_id is None


def test_no_claim_while_another_create_with_the_same_parameters_awaits_its_answer() -> None:
    ledger = open_ledger()
    reserve(ledger)  # a concurrent create, still on the wire: the match may be its job
    reserve(ledger, prompt="something else")  # different parameters: not a rival
    mine = reserve(ledger)
    claim = ledger.claim(mine, request(), [("video_a", "queued")], since=SINCE)
    assert claim.remote_id is None and claim.ambiguous and claim.pending == 1


def test_two_equal_matches_are_ambiguous() -> None:
    ledger = open_ledger()
    mine = reserve(ledger)
    claim = ledger.claim(
        mine, request(), [("video_a", "queued"), ("video_b", "queued")], since=SINCE
    )
    assert claim.remote_id is None and claim.unclaimed == 2 and claim.pending == 0


# -- end to end -------------------------------------------------------------------------------


def test_a_5xx_before_the_job_existed_is_looked_for_then_sent_again(
    remote: EmulatorServer, sleeps: list[float]
) -> None:
    remote.faults.add("5xx", endpoint="create")  # fails on arrival: no job was made
    res = gen()
    assert res.exit_code == 0, res.stderr
    assert remote.stats.creates_received == 2 and remote.stats.jobs_created == 1
    assert "no job was made, so the create is sent again" in res.stderr


def test_a_create_that_made_a_job_is_followed_not_sent_again(remote: EmulatorServer) -> None:
    remote.faults.add("create-drop", endpoint="create")
    res = gen("--json")
    assert res.exit_code == 0, res.stderr
    assert remote.stats.creates_received == 1 and remote.stats.jobs_created == 1
    data = json.loads(res.stdout)
    assert data["job_id"] == next(iter(remote.jobs)).id
    assert "made job" in res.stderr and "nothing was posted again" in res.stderr


def test_a_rival_create_makes_a_lost_create_in_doubt_not_adopted(
    remote: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another create with the same prompt is still waiting for its answer: the job found may
    be its, so it is not adopted; after the wait the create is in doubt, never re-sent."""
    monkeypatch.setattr(recovery, "CLAIM_WAIT", 0.3)
    rival = reserve(open_ledger())
    remote.faults.add("create-500", endpoint="create")
    res = gen()
    assert res.exit_code == ExitCode.UNAVAILABLE, res.stderr
    assert "1 other create(s) with the same parameters are unresolved" in res.stderr
    assert remote.stats.creates_received == 1
    mine = next(j for j in open_ledger().jobs() if j.local_id != rival)
    assert mine.in_doubt and mine.remote_id is None
    # The rival's job arrives; settling ours with the one left is then unambiguous.
    (made,) = list(remote.jobs)
    done = runner.invoke(app, ["settle", mine.local_id, "--remote-id", made.id])
    assert done.exit_code == 0, done.stderr
    taken = runner.invoke(app, ["settle", rival, "--remote-id", made.id])
    assert taken.exit_code == ExitCode.USAGE and "already recorded" in taken.stderr


def test_polling_rides_out_a_long_run_of_5xx_and_drops(
    remote: EmulatorServer, sleeps: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    import time as real_time
    import types

    import video_gen.jobs

    waits: list[float] = []

    def short_sleep(seconds: float) -> None:  # the job layer's waits, recorded and shortened
        waits.append(seconds)
        real_time.sleep(min(seconds, 0.05))

    shim = types.SimpleNamespace(
        sleep=short_sleep, time=real_time.time, monotonic=real_time.monotonic
    )
    monkeypatch.setattr(video_gen.jobs, "time", shim)
    remote.faults.add("5xx", count=12, endpoint="retrieve")
    remote.faults.add("drop", count=4, endpoint="retrieve")
    res = gen()
    assert res.exit_code == 0, res.stderr
    assert "the job keeps running" in res.stderr and remote.stats.creates_received == 1
    assert {2.0, 4.0} <= set(waits)  # backed off between failed polls, then carried on


def test_a_job_the_server_forgot_is_settled_by_the_user(
    monkeypatch: pytest.MonkeyPatch, remote: EmulatorServer
) -> None:
    from video_gen import deadline

    monkeypatch.setattr(deadline, "MIN_TIMEOUT", 0.1)  # a deadline that passes at once
    with EmulatorServer(job_seconds=30) as slow:
        monkeypatch.setenv("OPENAI_BASE_URL", slow.base_url)
        assert gen("--timeout", "0.3", "--poll-interval", "0.1").exit_code == ExitCode.TIMEOUT
        job = open_ledger().jobs()[0]
        slow.jobs.delete(job.remote_id)  # expired or deleted elsewhere
        lost = runner.invoke(app, ["download", job.local_id])
    assert lost.exit_code == ExitCode.API_REJECTED
    assert "no longer knows" in lost.stderr and f"settle {job.local_id}" in lost.stderr
    assert open_ledger().month().reserved_usd == pytest.approx(0.40)  # kept until settled
    done = runner.invoke(app, ["settle", job.local_id, "--charged", "--reason", "on the bill"])
    assert done.exit_code == 0, done.stderr
    view = open_ledger().get(job.local_id)
    assert view.status == "settled" and view.charged_usd == pytest.approx(0.40)
    month = open_ledger().month()
    assert month.spent_usd == pytest.approx(0.40) and month.reserved_usd == 0
    assert month.settled == 1


@pytest.mark.parametrize(
    ("profile", "said"),
    [("litellm", "the server sent the video"), ("sglang", "not found")],
)
def test_a_variant_the_server_does_not_make_is_skipped_never_misnamed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, profile: str, said: str
) -> None:
    """LiteLLM (and vLLM-Omni) answer the MP4 whatever the variant; SGLang reads `variant` as an
    output index and answers 404 for a thumbnail."""
    with EmulatorServer(job_seconds=0.3, profile=profile) as srv:
        monkeypatch.setenv("OPENAI_BASE_URL", srv.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-000000000000")
        (tmp_path / "vg-home").mkdir(exist_ok=True)
        (tmp_path / "vg-home" / "config.toml").write_text(
            '[[prices]]\nmodel = "sora-2"\nusd_per_second = 0.1\n'
        )
        res = gen("--thumbnail", "--spritesheet", "--output-dir", "out", "--json")
    assert res.exit_code == 0, res.stderr
    files = sorted(p.name for p in Path("out").iterdir())
    assert len(files) == 1 and files[0].endswith(".mp4")
    assert "thumbnail skipped: " in res.stderr and said in res.stderr
    assert "spritesheet skipped" in res.stderr
    assert [f["variant"] for f in json.loads(res.stdout)["files"]] == ["video"]
