"""Every paid job accounted for (issue 10): concurrent lost creates never adopt another's job,
a create killed on the wire is recovered (`video-gen recover`), polls ride out failures until
the deadline, every exit after a create names the job, `--timeout` is a deadline, SIGTERM is
handled like Ctrl-C.

The races run real ``python -m video_gen`` subprocesses against an emulator in this process, so
its job store is the server's truth: every job on it must be on exactly one ledger job.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fakekeys import fake_key
from typer.testing import CliRunner

from video_gen.cli import app
from video_gen.emulator import EmulatorServer
from video_gen.exit_codes import ExitCode
from video_gen.ledger import open_ledger

pytestmark = [
    pytest.mark.usefixtures("backend"),
    pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and processes"),
]
PROMPT = "a paper boat sails down a rainy street"
runner = CliRunner()


@dataclass(frozen=True)
class Audit:
    """The server's jobs against the ledger's (what bench/adversarial.py counts too)."""

    creates: int  # jobs on the server
    ledger_ids: int  # distinct remote ids recorded in the ledger
    in_doubt: int  # creates recorded in doubt (may have made a job nobody can name)
    orphans: int  # server jobs no ledger job names
    double: int  # remote ids recorded on two ledger jobs or more
    stuck: int  # reservations with no remote id, not in doubt, not ended


def audit(server: EmulatorServer) -> Audit:
    jobs = open_ledger().jobs(limit=None)
    owners: Counter[str] = Counter()
    for job in jobs:
        for rid in set(job.remote_ids) | ({job.remote_id} if job.remote_id else set()):
            owners[rid] += 1
    on_server = {j.id for j in server.jobs}
    return Audit(
        creates=len(on_server),
        ledger_ids=len(owners),
        in_doubt=sum(1 for j in jobs if j.in_doubt),
        orphans=len(on_server - set(owners)),
        double=sum(1 for n in owners.values() if n > 1),
        stuck=sum(1 for j in jobs if j.in_flight and j.remote_id is None and not j.in_doubt),
    )


def cli(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "video_gen", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(os.environ),
    )


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> EmulatorServer:
    with EmulatorServer(job_seconds=0.6) as srv:
        monkeypatch.setenv("OPENAI_BASE_URL", srv.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", fake_key("test"))
        yield srv  # type: ignore[misc]


def assert_accounted(found: Audit) -> None:
    """After a run: nothing double, nothing stuck, every server job named or its create in
    doubt (the claim rule could not tell which was whose)."""
    assert found.double == 0, found
    assert found.stuck == 0, found
    assert found.creates == found.ledger_ids + found.in_doubt, found
    assert found.orphans <= found.in_doubt, found


def recover_all() -> Audit:
    res = subprocess.run(
        [sys.executable, "-m", "video_gen", "recover", "--json"],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=60,
    )
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)  # type: ignore[no-any-return]


def assert_all_named(found: Audit) -> None:
    assert found == Audit(found.creates, found.creates, 0, 0, 0, 0), found


# -- 1. another process's job is never adopted ------------------------------------------------


def test_eight_concurrent_generates_with_lost_creates_adopt_no_one_elses_job(
    server: EmulatorServer, tmp_path: Path
) -> None:
    server.faults.add("create-500", count=8, endpoint="create")
    procs = [
        cli("generate", PROMPT, "--output-dir", str(tmp_path / "out"), "--poll-interval", "0.2")
        for _ in range(8)
    ]
    for p in procs:
        p.communicate(timeout=120)
    found = audit(server)
    assert server.stats.creates_received == 8
    assert_accounted(found)
    files = list((tmp_path / "out").glob("*.mp4")) if (tmp_path / "out").exists() else []
    assert len(files) == found.ledger_ids  # one file per adopted job, never one job twice
    # The creates left in doubt are the same paid job: `recover` shares the jobs out.
    recover_all()
    assert_all_named(audit(server))


def test_a_batch_of_ten_identical_lines_with_lost_creates_orphans_nothing(
    server: EmulatorServer, tmp_path: Path
) -> None:
    (tmp_path / "prompts.txt").write_text(f"{PROMPT}\n" * 10)
    server.faults.add("create-500", count=10, endpoint="create")
    proc = cli(
        "batch",
        str(tmp_path / "prompts.txt"),
        "--concurrency",
        "4",
        "--poll-interval",
        "0.2",
        "--output-dir",
        str(tmp_path / "out"),
    )
    proc.communicate(timeout=180)
    assert_accounted(audit(server))
    recover_all()
    assert_all_named(audit(server))


def reserve_in_a_process_that_exits() -> str:
    """A create with PROMPT's parameters reserved by another process, which then dies."""
    code = (
        "from video_gen.ledger import open_ledger, BudgetLimits\n"
        "from video_gen.types import Estimate, GenerationRequest\n"
        f"r = GenerationRequest(prompt={PROMPT!r}, model='sora-2', seconds=4, size='720x1280')\n"
        "print(open_ledger().reserve(r, Estimate(0.4, 0.1, 't'), BudgetLimits(monthly_usd=50.0),"
        " provider_kind='openai-videos', command='generate').local_id)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def reserve_here(ledger: Any, provider: str = "openai") -> tuple[Any, str]:
    """Reserve PROMPT's job in this process: (its request, its local id)."""
    from video_gen.ledger import BudgetLimits
    from video_gen.types import Estimate, GenerationRequest

    request = GenerationRequest(
        prompt=PROMPT, model="sora-2", seconds=4, size="720x1280", provider=provider
    )
    local_id = ledger.reserve(
        request,
        Estimate(0.4, 0.1, "t"),
        BudgetLimits(monthly_usd=50.0),
        provider_kind="openai-videos",
        command="generate",
    ).local_id
    return request, local_id


def test_a_rival_left_by_a_dead_process_does_not_block_a_claim() -> None:
    """A create with the same parameters left without an id by a process that exited is not
    on the wire: the lost create claims the one job found (before: ambiguous, waited for
    CLAIM_WAIT, then in doubt)."""
    from datetime import datetime, timedelta, timezone

    reserve_in_a_process_that_exits()
    ledger = open_ledger()
    request, mine = reserve_here(ledger)
    since = datetime.now(timezone.utc) - timedelta(minutes=1)
    claim = ledger.claim(mine, request, [("video_a", "queued")], since=since)
    assert claim.remote_id == "video_a" and claim.pending == 0


def test_open_jobs_are_the_in_flight_jobs_oldest_first_by_provider() -> None:
    """What every spending command reads first (the JSON Lines file: from its index, not a
    whole-file scan; bench: 4 s -> 1 ms at 100,000 jobs)."""
    ledger = open_ledger()
    a, b, c, d = (reserve_here(ledger, p)[1] for p in ("openai", "other", "openai", "openai"))
    ledger.submitted(c, "video_c", "queued")
    ledger.released(d, "refused")
    assert [v.local_id for v in ledger.open_jobs("openai")] == [a, c]
    assert [v.local_id for v in ledger.open_jobs()] == [a, b, c]
    assert ledger.open_jobs("openai")[1].remote_id == "video_c"


def test_a_create_left_by_a_dead_process_is_released_when_the_server_has_no_job(
    server: EmulatorServer,
) -> None:
    dead = reserve_in_a_process_that_exits()
    res = runner.invoke(app, ["generate", PROMPT, "--json"])  # the cheap part runs first
    assert res.exit_code == 0, res.stderr
    assert "1 released" in res.stderr
    assert open_ledger().get(dead).status == "released"
    assert server.stats.creates_received == 1
    assert_all_named(audit(server))


# -- 2. killed while the create is on the wire ------------------------------------------------


def kill_mid_create(server: EmulatorServer, tmp_path: Path) -> str:
    """A generate SIGKILLed while its (slow) create is on the wire; the server makes the job
    anyway. Returns the local id left reserved without a remote id."""
    server.faults.slow_seconds = 1.5
    server.faults.add("slow", endpoint="create")
    proc = cli("generate", PROMPT, "--output-dir", str(tmp_path / "out"))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and server.stats.creates_received == 0:
        time.sleep(0.02)
    assert server.stats.creates_received == 1
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    while time.monotonic() < deadline and len(server.jobs) == 0:
        time.sleep(0.05)
    assert len(server.jobs) == 1  # paid for, and its id never reached the ledger
    (job,) = open_ledger().jobs()
    assert job.remote_id is None and job.in_flight
    return job.local_id


def test_a_create_killed_on_the_wire_is_recovered_then_downloaded(
    server: EmulatorServer, tmp_path: Path
) -> None:
    local_id = kill_mid_create(server, tmp_path)
    asked = server.stats.requests[("GET", "retrieve")]
    for command in ("status", "download"):
        res = runner.invoke(app, [command, local_id])
        assert res.exit_code == ExitCode.USAGE, res.stderr
        assert "has no remote id" in res.stderr and "video-gen recover" in res.stderr
    assert server.stats.requests[("GET", "retrieve")] == asked  # the local id was never sent
    looked = runner.invoke(app, ["recover", "--dry-run", "--json"])
    assert looked.exit_code == 0, looked.stderr
    (would,) = json.loads(looked.stdout)["jobs"]
    assert would["action"] == "adopted" and "dry run" in would["detail"]
    assert open_ledger().get(local_id).remote_id is None  # nothing recorded
    res = runner.invoke(app, ["recover", "--json"])
    assert res.exit_code == 0, res.stderr
    (outcome,) = json.loads(res.stdout)["jobs"]
    (made,) = list(server.jobs)
    assert outcome["action"] == "adopted" and outcome["remote_id"] == made.id
    got = runner.invoke(app, ["download", local_id, "--output-dir", str(tmp_path / "got")])
    assert got.exit_code == 0, got.stderr
    assert list((tmp_path / "got").glob("*.mp4"))
    assert_all_named(audit(server))


def test_a_rerun_after_a_kill_follows_the_killed_runs_job_instead_of_paying_again(
    server: EmulatorServer, tmp_path: Path
) -> None:
    local_id = kill_mid_create(server, tmp_path)
    res = runner.invoke(app, ["generate", PROMPT, "--output-dir", str(tmp_path / "out"), "--json"])
    assert res.exit_code == 0, res.stderr
    assert server.stats.creates_received == 1  # nothing posted again
    assert len([line for line in res.stderr.splitlines() if "recovered" in line]) == 1
    assert json.loads(res.stdout)["local_id"] == local_id
    assert_all_named(audit(server))


def test_every_spending_command_first_recovers_in_one_line(
    server: EmulatorServer, tmp_path: Path
) -> None:
    local_id = kill_mid_create(server, tmp_path)
    (tmp_path / "other.txt").write_text("an owl at night\n")
    res = runner.invoke(app, ["batch", str(tmp_path / "other.txt"), "-o", str(tmp_path / "b")])
    assert res.exit_code == 0, res.stderr
    said = [line for line in res.stderr.splitlines() if "left by a stopped run" in line]
    assert len(said) == 1 and "1 adopted" in said[0] and local_id in said[0]
    assert open_ledger().get(local_id).remote_id == next(
        j.id for j in server.jobs if j.prompt == PROMPT
    )
    again = runner.invoke(app, ["batch", str(tmp_path / "other.txt"), "-o", str(tmp_path / "b")])
    assert "left by a stopped run" not in again.stderr  # nothing found: nothing said


@pytest.mark.jsonl_only
def test_recover_settles_a_job_the_server_no_longer_knows(
    server: EmulatorServer, short_floor: None
) -> None:
    with EmulatorServer(job_seconds=30) as slow:
        env_url = slow.base_url
        res = runner.invoke(
            app,
            ["generate", PROMPT, "--timeout", "1.5", "--poll-interval", "0.2"],
            env={"OPENAI_BASE_URL": env_url},
        )
        assert res.exit_code == ExitCode.TIMEOUT, res.stderr
        (job,) = open_ledger().jobs()
        slow.jobs.delete(job.remote_id)  # expired or deleted on the server
        done = runner.invoke(app, ["recover", "--json"], env={"OPENAI_BASE_URL": env_url})
    assert done.exit_code == 0, done.stderr
    (outcome,) = json.loads(done.stdout)["jobs"]
    assert outcome["action"] == "forgotten" and outcome["local_id"] == job.local_id
    view = open_ledger().get(job.local_id)
    assert view.status == "settled" and view.charged_usd == pytest.approx(view.estimate_usd)


# -- 3. polls after a create: ride out failures until the deadline, and name the job ---------


@pytest.fixture
def short_floor(monkeypatch: pytest.MonkeyPatch) -> None:
    """Deadlines below the 10 s floor, for tests that wait for one to pass."""
    from video_gen import deadline

    monkeypatch.setattr(deadline, "MIN_TIMEOUT", 1.0)


@pytest.mark.jsonl_only
@pytest.mark.timeout(60)
def test_persistent_poll_failures_are_ridden_out_until_the_deadline_then_exit_6_naming_the_job(
    server: EmulatorServer,
) -> None:
    server.faults.add("5xx", count=100_000, endpoint="retrieve")
    res = runner.invoke(app, ["generate", PROMPT, "-q", "--timeout", "10"])
    assert res.exit_code == ExitCode.TIMEOUT, res.stderr  # not 7 ("retry later") before it
    (job,) = open_ledger().jobs()
    assert job.remote_id and job.in_flight
    assert server.stats.requests[("GET", "retrieve")] >= 2  # it kept asking
    errors = [line for line in res.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and job.remote_id in errors[0]
    assert f"video-gen download {job.remote_id}" in errors[0]


@pytest.mark.jsonl_only
@pytest.mark.timeout(60)
def test_a_hanging_poll_is_cut_at_the_deadline_and_json_names_the_job(
    server: EmulatorServer, short_floor: None
) -> None:
    """Each call's read timeout is no longer than the time left: a poll that hangs for 30 s
    cannot hold a `--timeout 3` run (before: one read timeout of 60 s, then exit 7)."""
    server.faults.slow_seconds = 30
    server.faults.add("slow", count=100, endpoint="retrieve")
    res = runner.invoke(app, ["generate", PROMPT, "--json", "--timeout", "3"])
    assert res.exit_code == ExitCode.TIMEOUT, res.stderr
    (job,) = open_ledger().jobs()
    error = json.loads(res.stdout)["error"]
    assert error["job_id"] == job.remote_id and error["local_id"] == job.local_id
    assert error["resume"] == f"video-gen download {job.remote_id}"
    assert error["exit_code"] == ExitCode.TIMEOUT


@pytest.mark.jsonl_only
def test_a_job_that_fails_after_its_create_is_named_in_json(server: EmulatorServer) -> None:
    server.faults.add("fail")
    res = runner.invoke(app, ["generate", PROMPT, "--json", "-q"])
    assert res.exit_code == ExitCode.JOB_FAILED
    (job,) = open_ledger().jobs()
    error = json.loads(res.stdout)["error"]
    assert error["job_id"] == job.remote_id and error["resume"].startswith("video-gen status")


# -- 4. --timeout is a deadline: values that cannot be met are refused before the create -----


@pytest.mark.jsonl_only
@pytest.mark.parametrize("value", ["0", "-1", "0.001", "nan", "inf", "9"])
def test_a_timeout_that_cannot_be_met_is_refused_before_anything_is_paid(
    server: EmulatorServer, value: str
) -> None:
    for args in (["generate", PROMPT], ["remix", "video_x", "at night"]):
        res = runner.invoke(app, [*args, f"--timeout={value}"])
        assert res.exit_code == ExitCode.USAGE, res.stderr
        assert "--timeout" in res.stderr and "fix:" in res.stderr
    Path("prompts.txt").write_text(f"{PROMPT}\n")
    res = runner.invoke(app, ["batch", "prompts.txt", f"--timeout={value}"])
    assert res.exit_code == ExitCode.USAGE, res.stderr
    assert server.stats.creates_received == 0
    assert open_ledger().jobs() == []


@pytest.mark.jsonl_only
@pytest.mark.parametrize(("value", "code"), [("0", ExitCode.USAGE), ("nan", ExitCode.USAGE)])
def test_the_free_emulator_takes_any_positive_deadline_only(value: str, code: int) -> None:
    res = runner.invoke(app, ["generate", PROMPT, "--provider", "emulator", f"--timeout={value}"])
    assert res.exit_code == code, res.stderr
    assert open_ledger().jobs() == []


# -- 5. SIGTERM is handled like Ctrl-C; stale .part files are cleaned ------------------------


def wait_for(check: object, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting")


@pytest.mark.jsonl_only
def test_sigterm_while_waiting_exits_130_with_the_resume_hint(tmp_path: Path) -> None:
    with EmulatorServer(job_seconds=60) as slow:
        env = {**os.environ, "OPENAI_BASE_URL": slow.base_url, "OPENAI_API_KEY": fake_key("t")}
        proc = subprocess.Popen(
            [sys.executable, "-m", "video_gen", "generate", PROMPT, "-q", "--poll-interval", "0.2"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        wait_for(lambda: any(j.remote_id for j in open_ledger().jobs()))
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == ExitCode.INTERRUPTED, err
    (job,) = open_ledger().jobs()
    assert job.in_flight and "interrupted" in [e["kind"] for e in job.events]
    assert f"resume with: video-gen download {job.remote_id}" in err.decode()


@pytest.mark.jsonl_only
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_a_download_stopped_by_a_signal_leaves_no_part_file_once_downloaded_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sig: signal.Signals
) -> None:
    import video_gen.download

    out = tmp_path / "out"
    with EmulatorServer(job_seconds=0.3) as srv:
        srv.faults.slow_seconds = 20
        srv.faults.add("slow", endpoint="content")
        env = {**os.environ, "OPENAI_BASE_URL": srv.base_url, "OPENAI_API_KEY": fake_key("t")}
        proc = subprocess.Popen(
            [sys.executable, "-m", "video_gen", "generate", PROMPT, "-o", str(out)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        wait_for(lambda: out.exists() and list(out.glob(".*.part")))
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=30)
        if sig == signal.SIGTERM:
            assert proc.returncode == ExitCode.INTERRUPTED, err
            assert not list(out.glob(".*.part"))  # removed on the way out
        else:
            assert list(out.glob(".*.part"))  # a killed run cannot clean up
        monkeypatch.setenv("OPENAI_BASE_URL", srv.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", fake_key("t"))
        monkeypatch.setattr(video_gen.download, "STALE_PART_SECONDS", 0.0)
        (job,) = open_ledger().jobs()
        res = runner.invoke(app, ["download", job.local_id, "-o", str(out)])
        assert res.exit_code == 0, res.stderr
    assert not list(out.glob(".*.part")) and list(out.glob("*.mp4"))


@pytest.mark.jsonl_only
def test_sigterm_during_the_create_is_held_back_until_the_id_is_recorded(
    server: EmulatorServer,
) -> None:
    server.faults.slow_seconds = 1.5
    server.faults.add("slow", endpoint="create")
    proc = cli("generate", PROMPT, "-q")
    wait_for(lambda: server.stats.creates_received == 1)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == ExitCode.INTERRUPTED, err
    (job,) = open_ledger().jobs()
    (made,) = list(server.jobs)
    assert job.remote_id == made.id and job.in_flight  # recorded, not lost
    assert f"resume with: video-gen download {made.id}" in err.decode()


@pytest.mark.jsonl_only
@pytest.mark.timeout(60)
def test_a_download_that_hangs_past_the_deadline_exits_6_naming_the_job(
    server: EmulatorServer, short_floor: None, tmp_path: Path
) -> None:
    """--timeout runs from create to download: a content answer that hangs for 30 s is cut at
    the deadline (before: waited for it, or exit 8 after the resumes)."""
    server.faults.slow_seconds = 30
    server.faults.add("slow", count=20, endpoint="content")
    out = tmp_path / "out"
    res = runner.invoke(app, ["generate", PROMPT, "-o", str(out), "--timeout", "3"])
    assert res.exit_code == ExitCode.TIMEOUT, res.stderr
    (job,) = open_ledger().jobs()
    assert f"video-gen download {job.remote_id}" in res.stderr
    assert not list(out.glob(".*.part"))


def test_an_owner_is_dead_only_when_its_lock_can_be_seen_free() -> None:
    from datetime import datetime, timedelta, timezone

    from video_gen import owner
    from video_gen.ledger.origin import stamp

    host, now = stamp()["host"], datetime.now(timezone.utc)
    mine = owner.token()
    assert mine is not None and owner.alive(mine, host, now)
    here = mine.split("-")[0]
    assert not owner.alive(f"{here}-abcdef-1", host, now)  # this home, no lock file: exited
    assert owner.alive("ffffffff-abcdef-1", host, now)  # another home: cannot be seen
    assert owner.alive(f"{here}-abcdef-1", "another-host", now)  # another machine
    old = now - owner.STALE_AFTER - timedelta(minutes=1)
    assert not owner.alive("ffffffff-abcdef-1", "another-host", old)  # no create lasts that long
    assert owner.alive(None, host, now) and not owner.alive(None, host, old)


@pytest.mark.jsonl_only
def test_a_full_disk_when_the_id_is_recorded_never_releases_the_paid_job(
    server: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    from video_gen.ledger.jsonl import JsonlLedger

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as patched:
        patched.setattr(JsonlLedger, "submitted", full)
        res = runner.invoke(app, ["generate", PROMPT])
    (made,) = list(server.jobs)
    assert res.exit_code != 0 and made.id in res.stderr and "settle" in res.stderr
    (job,) = open_ledger().jobs()
    assert job.in_flight and job.status != "released"  # its reservation is kept
