"""The ledger on a real PostgreSQL (tests/pgcluster.py): migrations, import and export, the same
output on both backends, who made each record, failing closed, secrets, faults (a server
restarted in the middle of a batch, a connection cut during a reserve, a commit whose answer is
lost, a statement timeout) and the team case: two runners, one database, a budget for five.

The behavioural suite of the ledger (test_ledger, test_budget, test_history) runs on PostgreSQL
too, through the ``backend`` fixture of conftest.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fakekeys import fake_key
from pgcluster import PASSWORD, PgCluster
from typer.testing import CliRunner

from video_gen.cli import app
from video_gen.emulator import EmulatorServer
from video_gen.errors import BudgetError, ConfigError
from video_gen.exit_codes import ExitCode
from video_gen.ledger import BudgetLimits, Ledger, LedgerBackend, open_ledger
from video_gen.ledger import records as rec
from video_gen.ledger.postgres import LedgerUnavailableError, PostgresLedger
from video_gen.ledger.postgres.schema import LATEST, RESERVE_LOCK
from video_gen.types import Estimate, GenerationRequest

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc)
LIMITS = BudgetLimits(monthly_usd=50.0)


def reserve(ledger: LedgerBackend, usd: float = 0.4, **kw: Any) -> str:
    r = ledger.reserve(
        GenerationRequest(prompt=kw.pop("prompt", "a paper boat"), model="sora-2", seconds=4,
                          size="720x1280"),
        Estimate(usd, 0.1, "test prices"),
        kw.pop("limits", LIMITS),
        provider_kind="openai-videos",
        command="generate",
        **kw,
    )  # fmt: skip
    return r.local_id


def cli(*args: str, env: dict[str, str] | None = None) -> Any:
    return runner.invoke(app, list(args), env={"COLUMNS": "160", **(env or {})})


def count(pg_url: str, sql: str) -> int:
    with psycopg.connect(pg_url) as conn:
        row = conn.execute(sql).fetchone()
        return int(row[0]) if row else 0


# -- a ledger of every kind of job ---------------------------------------------------------------
def populate(ledger: LedgerBackend, tmp_path: Path) -> dict[str, str]:
    """Jobs over two months: completed (actual and estimate), failed, released, in flight,
    interrupted, downloaded, a batch, several models and providers."""
    day = NOW.replace(hour=9)
    ids = {}
    ids["oct"] = reserve(ledger, 0.4, now=day.replace(month=10, day=31))
    ledger.submitted(ids["oct"], "video_oct", "queued")
    ledger.completed(ids["oct"], None)
    ids["actual"] = reserve(ledger, 0.4, now=day.replace(day=3), prompt="A red kite | pipes")
    ledger.submitted(ids["actual"], "video_actual", "queued")
    ledger.status(ids["actual"], "in_progress", 50)
    ledger.completed(ids["actual"], 0.35)
    video = tmp_path / "kite.mp4"
    video.write_bytes(b"kite")
    ledger.downloaded(ids["actual"], "video", video, "ab" * 32, 4)
    ids["failed"] = reserve(ledger, 1.2, now=day.replace(day=10))
    ledger.submitted(ids["failed"], "video_failed", "queued")
    ledger.failed(ids["failed"], "failed", "moderation_blocked", "blocked")
    ids["released"] = reserve(ledger, 0.8, now=day.replace(day=15))
    ledger.released(ids["released"], "create refused: 400")
    r = ledger.reserve(
        GenerationRequest(prompt="Item one", model="sora-2-pro", seconds=8, size="1280x720",
                          provider="emulator"),
        Estimate(2.4, 0.3, "test prices"), LIMITS, provider_kind="emulator", command="batch",
        batch_id="b1", item_key="item-1", now=day.replace(day=20),
    )  # fmt: skip
    ids["batch"] = r.local_id
    ledger.submitted(ids["batch"], "video_batch", "queued")
    ledger.completed(ids["batch"], None)
    ids["open"] = reserve(ledger, 0.8, now=day.replace(day=21))
    ledger.submitted(ids["open"], "video_open", "in_progress")
    ledger.event(ids["open"], "interrupted", remote_id="video_open")
    return ids


def outputs(ids: dict[str, str]) -> dict[str, str]:
    """What the commands print, for comparing backends (the generation time left out)."""
    out: dict[str, str] = {}
    for name, args in {
        "history": ["history", "--all"],
        "history-json": ["history", "--json", "--all"],
        "history-csv": ["history", "--csv", "--all"],
        "history-filtered": ["history", "--json", "--status", "completed,in-flight", "-n", "2"],
        "show": ["history", "show", ids["actual"]],
        "show-json": ["history", "show", "video_fail", "--json"],
        "budget": ["budget", "--month", "2026-11"],
        "budget-json": ["budget", "--month", "2026-11", "--json"],
        "report-csv": ["budget", "report", "--month", "2026-11", "--format", "csv"],
        "report-json": ["budget", "report", "--month", "2026-11", "--format", "json"],
    }.items():
        res = cli(*args)
        assert res.exit_code == 0, (name, res.output)
        text = res.stdout
        if name in ("budget-json", "report-json"):
            data = json.loads(text)
            data.pop("generated_at")
            text = json.dumps(data)
        out[name] = text
    return out


def test_history_and_budget_print_the_same_on_both_backends(
    tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    local = Ledger()
    ids = populate(local, tmp_path)
    on_file = outputs(ids)

    monkeypatch.setenv("VIDEO_GEN_LEDGER_URL", pg_url)
    res = cli("ledger", "import", str(local.path))
    assert res.exit_code == 0, res.output
    assert res.stdout.startswith("imported 19 records (6 jobs) into postgresql://vgtest:***@")
    assert PASSWORD not in res.output
    on_database = outputs(ids)
    for name in on_file:
        assert on_database[name] == on_file[name], name
    assert "A red kite | pipes" in on_file["history"] and "video_open" in on_file["history-json"]


def test_import_is_idempotent_and_export_gives_back_the_same_lines(
    tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    local = Ledger()
    populate(local, tmp_path)
    original = local.path.read_bytes()
    # Two identical records in one file (same job, same millisecond): both are kept.
    twin = rec.make("note", "j0000000000twin", NOW, {"text": "same"})
    with local.path.open("ab") as fh:
        fh.write(rec.encode(twin) * 2)
    original = local.path.read_bytes()

    monkeypatch.setenv("VIDEO_GEN_LEDGER_URL", pg_url)
    first = cli("ledger", "import", str(local.path))
    assert first.exit_code == 0, first.output
    assert "imported 21 records (7 jobs)" in first.stdout and "0 were there" in first.stdout
    summary = cli("budget", "--month", "2026-11", "--json").stdout
    again = cli("ledger", "import", str(local.path))
    assert again.exit_code == 0, again.output
    assert "imported 0 records (0 jobs)" in again.stdout and "21 were there" in again.stdout
    assert (
        cli("budget", "--month", "2026-11", "--json").stdout.split('"generated_at"')[0]
        == (summary.split('"generated_at"')[0])
    )
    assert count(pg_url, "SELECT count(*) FROM video_gen.records") == 21

    exported = cli("ledger", "export")
    assert exported.exit_code == 0, exported.output
    assert exported.stdout_bytes == original  # the very lines, in the same order
    out = tmp_path / "backup" / "ledger.jsonl"
    res = cli("ledger", "export", "--out", str(out))
    assert res.exit_code == 0 and res.stdout.strip() == str(out)
    assert out.read_bytes() == original and (out.stat().st_mode & 0o777) == 0o600
    assert "imported 0 records" in cli("ledger", "import", str(out)).stdout

    # New records after an import are kept by a second import of a longer file.
    extra = open_ledger()
    new = reserve(extra, now=NOW)
    longer = tmp_path / "longer.jsonl"
    longer.write_bytes(original + rec.encode(rec.make("note", new, NOW, {"x": 1})))
    assert "imported 1 records (1 jobs)" in cli("ledger", "import", str(longer)).stdout


def test_import_refuses_a_missing_file_and_a_jsonl_target(tmp_path: Path) -> None:
    res = cli("ledger", "import", str(tmp_path / "nope.jsonl"))
    assert res.exit_code == ExitCode.USAGE and "no ledger file" in res.stderr
    other = Ledger(tmp_path / "other.jsonl")
    reserve(other)
    res = cli("ledger", "import", str(other.path))
    assert res.exit_code == ExitCode.USAGE
    assert "VIDEO_GEN_LEDGER_URL=postgresql://" in res.stderr


# -- migrations --------------------------------------------------------------------------------
MIGRATOR = r"""
import sys
from video_gen.ledger import open_ledger
print(open_ledger(url=sys.argv[1]).migrate())
"""


def test_migrations_run_once_under_a_lock_even_when_runners_start_together(pg_url: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen([sys.executable, "-c", MIGRATOR, pg_url], env=env, text=True,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(4)
    ]  # fmt: skip
    said = []
    for p in procs:
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
        said.append(out)
    assert sum("migrated from version 0" in s for s in said) == 1
    assert sum("nothing to do" in s for s in said) == 3
    assert count(pg_url, "SELECT count(*) FROM video_gen.migrations") == LATEST
    assert PASSWORD not in "".join(said)


def test_ledger_migrate_command_and_a_schema_from_the_future(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VIDEO_GEN_LEDGER_URL", pg_url)
    res = cli("ledger", "migrate")
    assert res.exit_code == 0 and f"migrated from version 0 to {LATEST}" in res.stdout
    assert "nothing to do" in cli("ledger", "migrate").stdout
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("INSERT INTO video_gen.migrations (version, name) VALUES (999, 'future')")
    res = cli("history")
    assert res.exit_code == ExitCode.CONFIG
    assert "schema version 999" in res.stderr and "upgrade video-gen" in res.stderr


def test_the_jsonl_backend_has_nothing_to_migrate() -> None:
    res = cli("ledger", "migrate")
    assert res.exit_code == 0 and "nothing to migrate" in res.stdout


# -- who made each record ----------------------------------------------------------------------
def test_every_record_names_its_machine_user_and_ci_job_and_history_filters_on_them(
    backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import getpass
    import socket

    from video_gen.ledger import origin

    origin.stamp.cache_clear()
    monkeypatch.setenv("GITHUB_RUN_ID", "7212345678")
    monkeypatch.setenv("GITHUB_JOB", "render")
    ledger = open_ledger()
    from_ci = reserve(ledger)
    ledger.completed(from_ci, None)
    origin.stamp.cache_clear()
    monkeypatch.delenv("GITHUB_RUN_ID")
    monkeypatch.delenv("GITHUB_JOB")
    local = reserve(ledger)
    origin.stamp.cache_clear()

    host, user = socket.gethostname(), getpass.getuser()
    written = list(ledger.records())
    assert all(r["origin"]["host"] == host and r["origin"]["user"] == user for r in written)
    assert [r["origin"].get("ci") for r in written] == ["github:7212345678/render"] * 2 + [None]

    def listed(*args: str) -> list[str]:
        res = cli("history", "--json", *args)
        assert res.exit_code == 0, res.output
        return [j["id"] for j in json.loads(res.stdout)]

    assert listed("--ci", "github:7212345678*") == [from_ci]
    assert listed("--host", host.upper()) == [local, from_ci]
    assert listed("--host", host[:1] + "*", "--user", user) == [local, from_ci]
    assert listed("--user", "nobody-like-this") == []
    shown = cli("history", "show", from_ci)
    assert f"{user}@{host} (CI job github:7212345678/render)" in shown.stdout
    data = json.loads(cli("history", "show", from_ci, "--json").stdout)
    assert (data["host"], data["user"], data["ci"]) == (host, user, "github:7212345678/render")


def test_ci_job_ids_of_the_common_ci_systems() -> None:
    from video_gen.ledger.origin import ci_job

    assert ci_job({}) is None
    assert ci_job({"GITHUB_RUN_ID": "1", "GITHUB_JOB": "build"}) == "github:1/build"
    assert ci_job({"CI_JOB_ID": "77"}) == "gitlab:77"
    assert ci_job({"BUILDKITE_JOB_ID": "b-1"}) == "buildkite:b-1"
    assert ci_job({"BUILD_TAG": "jenkins-x-3"}) == "jenkins:jenkins-x-3"


# -- the shared budget -------------------------------------------------------------------------
def test_limits_live_in_the_database_and_every_home_shares_them(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VIDEO_GEN_LEDGER_URL", pg_url)
    monkeypatch.setenv("VIDEO_GEN_HOME", str(tmp_path / "runner-a"))
    assert cli("budget", "set", "--monthly", "7", "--per-video", "1").exit_code == 0
    monkeypatch.setenv("VIDEO_GEN_HOME", str(tmp_path / "runner-b"))
    data = json.loads(cli("budget", "--json").stdout)
    assert (data["limit_usd"], data["per_video_limit_usd"]) == (7.0, 1.0)
    with pytest.raises(BudgetError) as info:
        reserve(open_ledger(), 1.2, limits=open_ledger().limits())
    assert "per-video limit of 1.00 USD" in info.value.message
    assert count(pg_url, "SELECT monthly FROM video_gen.budget") == 7_000_000  # micro-USD


# -- failing closed, and secrets -----------------------------------------------------------------
def test_an_unreachable_database_fails_closed_with_exit_7_and_creates_nothing(
    remote: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens there once closed
    monkeypatch.setenv("VIDEO_GEN_LEDGER_URL", f"postgresql://vg:{PASSWORD}@127.0.0.1:{port}/vg")
    monkeypatch.setenv("VIDEO_GEN_LEDGER_RETRY_SECONDS", "1")
    started = time.monotonic()
    res = cli("generate", "a paper boat", "--output-dir", "out")
    assert res.exit_code == ExitCode.UNAVAILABLE == 7, res.output
    assert time.monotonic() - started < 20
    assert "could not be reached" in res.stderr and "nothing was created" in res.stderr
    assert f"postgresql://vg:***@127.0.0.1:{port}/vg" in res.stderr
    assert PASSWORD not in res.output
    assert remote.stats.total_requests == 0 and not Path("out").exists()


def test_a_wrong_password_is_a_config_error_that_never_shows_the_password(
    pg_cluster: PgCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong = "not-the-" + "password-123"
    monkeypatch.setenv("VIDEO_GEN_LEDGER_URL", pg_cluster.url(password=wrong))
    res = cli("budget")
    assert res.exit_code == ExitCode.CONFIG, res.output
    assert "refused the connection" in res.stderr and "vgtest:***@" in res.stderr
    assert wrong not in res.output


def test_config_show_masks_the_password_of_the_ledger_url(pg_url: str) -> None:
    assert cli("config", "set", "ledger.url", pg_url).exit_code == 0
    res = cli("config", "get", "ledger.url")
    assert res.exit_code == 0 and PASSWORD not in res.output and "vgtest:***@" in res.stdout
    assert PASSWORD not in cli("config", "show").output
    assert isinstance(open_ledger(), PostgresLedger)  # the config file's URL is used


def test_an_unknown_ledger_url_scheme_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIDEO_GEN_LEDGER_URL", "mysql://u:pw@h/db")
    with pytest.raises(ConfigError, match="unknown scheme 'mysql'"):
        open_ledger()


def test_psycopg_is_imported_only_for_a_database_ledger() -> None:
    code = (
        "import sys; from video_gen.ledger import open_ledger; open_ledger().jobs();"
        "print('psycopg' in sys.modules)"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr


# -- faults ----------------------------------------------------------------------------------------
def reserved(pg_url: str) -> int:
    return count(pg_url, "SELECT count(*) FROM video_gen.records WHERE kind = 'reserved'")


def wait_for(predicate: Any, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.02)


def test_a_connection_cut_during_a_reserve_reconnects_and_reserves_once(pg_url: str) -> None:
    ledger = PostgresLedger(pg_url, retry_seconds=30, statement_timeout=30)
    ledger.migrate()
    blocker = psycopg.connect(pg_url, autocommit=True)
    blocker.execute("SELECT pg_advisory_lock(%s)", (RESERVE_LOCK,))  # the reserve waits here
    result: list[str] = []
    worker = threading.Thread(target=lambda: result.append(reserve(ledger)))
    worker.start()

    def waiting_pid() -> int | None:
        row = blocker.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = 'video-gen'"
            " AND wait_event_type = 'Lock'"
        ).fetchone()
        return None if row is None else int(row[0])

    wait_for(lambda: waiting_pid() is not None)
    cut = waiting_pid()
    blocker.execute("SELECT pg_terminate_backend(%s)", (cut,))  # mid-transaction
    wait_for(lambda: waiting_pid() not in (None, cut))  # it reconnected and waits again
    blocker.execute("SELECT pg_advisory_unlock(%s)", (RESERVE_LOCK,))
    worker.join(timeout=30)
    blocker.close()
    assert len(result) == 1
    assert reserved(pg_url) == 1
    month = ledger.month(limits=LIMITS)
    assert (month.reserved_usd, month.in_flight) == (0.4, 1)
    assert ledger.get(result[0]).in_flight


def test_a_commit_whose_answer_is_lost_is_found_not_repeated(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger = PostgresLedger(pg_url, retry_seconds=30, statement_timeout=30)
    ledger.migrate()
    conn = ledger.db.connection()
    real_commit = conn.commit
    lost = []

    def commit_then_lose_the_answer() -> None:
        real_commit()  # the server has committed ...
        if not lost:
            lost.append(True)
            conn.close()  # ... and the connection dies before the client hears it
            raise psycopg.OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(conn, "commit", commit_then_lose_the_answer)
    local_id = reserve(ledger)
    assert lost and reserved(pg_url) == 1
    (only,) = [r for r in ledger.records() if r["kind"] == "reserved"]
    assert only["id"] == local_id
    ledger.submitted(local_id, "video_once", "queued")
    assert [r["kind"] for r in ledger.records()] == ["reserved", "submitted"]


def test_a_statement_timeout_is_retried_then_fails_closed_and_writes_nothing(
    pg_url: str,
) -> None:
    ledger = PostgresLedger(pg_url, retry_seconds=1.5, statement_timeout=0.3)
    ledger.migrate()
    blocker = psycopg.connect(pg_url)
    blocker.execute("LOCK TABLE video_gen.records IN ACCESS EXCLUSIVE MODE")
    started = time.monotonic()
    with pytest.raises(LedgerUnavailableError) as info:
        reserve(ledger)
    assert time.monotonic() - started < 10
    assert info.value.exit_code == ExitCode.UNAVAILABLE
    assert "timed out" in info.value.message and "nothing was created" in info.value.message
    blocker.rollback()
    assert reserved(pg_url) == 0 and count(pg_url, "SELECT count(*) FROM video_gen.jobs") == 0

    # A lock released while the retries go on: the reservation is made, once.
    patient = PostgresLedger(pg_url, retry_seconds=20, statement_timeout=0.3)
    blocker.execute("LOCK TABLE video_gen.records IN ACCESS EXCLUSIVE MODE")
    threading.Timer(1.0, blocker.rollback).start()
    local_id = reserve(patient)
    blocker.close()
    assert reserved(pg_url) == 1 and patient.get(local_id).in_flight


def test_the_server_restarted_in_the_middle_of_a_batch_loses_nothing_and_spends_once(
    pg_cluster: PgCluster, pg_url: str, tmp_path: Path
) -> None:
    items = 6
    open_ledger(url=pg_url).migrate()
    (tmp_path / "prompts.txt").write_text("".join(f"shot number {n}\n" for n in range(items)))
    with EmulatorServer(job_seconds=1.5) as server:
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "VIDEO_GEN_LEDGER_URL": pg_url,
            "OPENAI_BASE_URL": server.base_url,
            "OPENAI_API_KEY": fake_key("test"),
        }
        batch = subprocess.Popen(
            [sys.executable, "-m", "video_gen", "batch", "prompts.txt", "--concurrency", "2",
             "--poll-interval", "0.2", "--output-dir", "out"],
            env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            wait_for(lambda: count(pg_url, "SELECT count(*) FROM video_gen.remote_ids") >= 2, 60)
            pg_cluster.restart("fast", pause=1.0)  # every session is cut, for a second
            _, err = batch.communicate(timeout=120)
        finally:
            if batch.poll() is None:
                batch.kill()
        assert batch.returncode == 0, err
        assert server.stats.creates_received == items
    ledger = open_ledger(url=pg_url)
    jobs = ledger.jobs(limit=None)
    assert len(jobs) == items and all(j.status == "completed" and j.files for j in jobs)
    assert len({j.remote_id for j in jobs}) == items
    kinds = [r["kind"] for r in ledger.records()]
    assert kinds.count("reserved") == kinds.count("submitted") == kinds.count("completed") == items
    month = ledger.month(limits=LIMITS)
    assert (month.spent_usd, month.reserved_usd) == (round(0.4 * items, 2), 0.0)


# -- done means: two runners, one database, a budget for exactly five ---------------------------
def test_two_runners_eight_generates_one_budget_for_five(
    pg_url: str, tmp_path: Path, remote: EmulatorServer
) -> None:
    homes = [tmp_path / "runner-a", tmp_path / "runner-b"]
    base = {**os.environ, "PYTHONPATH": str(ROOT), "VIDEO_GEN_LEDGER_URL": pg_url}
    base.pop("VIDEO_GEN_HOME", None)

    def env(home: Path) -> dict[str, str]:
        return {**base, "VIDEO_GEN_HOME": str(home)}

    def run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "video_gen", *args]
        return subprocess.run(
            command, env=env(home), cwd=home.parent, capture_output=True, text=True, timeout=120
        )

    for home in homes:
        home.mkdir()
    done = run(homes[0], "budget", "set", "--monthly", "2")  # 5 x 0.40 USD, shared
    assert done.returncode == 0, done.stderr
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "video_gen", "generate", f"shot {n}", "--seconds", "4",
             "--output-dir", f"out-{n}", "--poll-interval", "0.1"],
            env=env(homes[n % 2]), cwd=homes[n % 2], stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True,
        )
        for n in range(8)
    ]  # fmt: skip
    codes = []
    for p in procs:
        _, err = p.communicate(timeout=120)
        codes.append(p.returncode)
        assert p.returncode in (0, ExitCode.BUDGET_REFUSED), err
    assert sorted(codes) == [0] * 5 + [ExitCode.BUDGET_REFUSED] * 3
    assert remote.stats.creates_received == 5

    histories = []
    budgets = []
    for home in homes:
        listed = run(home, "history", "--json", "--all")
        assert listed.returncode == 0, listed.stderr
        histories.append(json.loads(listed.stdout))
        spent = run(home, "budget", "--json")
        budgets.append(json.loads(spent.stdout))
    assert histories[0] == histories[1]
    assert len(histories[0]) == 5 and all(j["status"] == "completed" for j in histories[0])
    assert {j["prompt"] for j in histories[0]} <= {f"shot {n}" for n in range(8)}
    assert [b["spent_usd"] for b in budgets] == [2.0, 2.0]
    assert [b["reserved_usd"] for b in budgets] == [0.0, 0.0]
    assert budgets[0]["limit_usd"] == budgets[1]["limit_usd"] == 2.0
    assert not (homes[1] / "config.toml").exists()  # the limit came from the database
    assert not any((h / "data" / "ledger.jsonl").exists() for h in homes)


def test_a_created_job_whose_id_cannot_be_recorded_keeps_its_reservation(
    pg_url: str, remote: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A create that answered, with the ledger gone before its id was recorded: the job layer
    keeps the reservation (the money may be spent) and names the job to settle later."""
    from video_gen import pricing
    from video_gen.cli import runtime
    from video_gen.cli.ui import UI
    from video_gen.errors import JobNotRecordedError
    from video_gen.jobs import JobRunner, RunOptions

    ledger = PostgresLedger(pg_url, retry_seconds=0.5, statement_timeout=1)
    ledger.migrate()
    rt = runtime.load(UI(quiet=True), "openai")
    real_submit = rt.provider.submit

    def submit_then_lose_the_database(*args: Any, **kwargs: Any) -> Any:
        job = real_submit(*args, **kwargs)
        monkeypatch.setattr(ledger.db, "url", "postgresql://vgtest@127.0.0.1:1/gone")
        ledger.db.close()  # the database becomes unreachable right after the create
        return job

    monkeypatch.setattr(rt.provider, "submit", submit_then_lose_the_database)
    jobs = JobRunner(rt.provider, ledger, limits=LIMITS, price_table=pricing.rows())
    request = GenerationRequest(prompt="x", model="sora-2", seconds=4, size="720x1280")
    with pytest.raises(JobNotRecordedError) as info:
        jobs.start(request, RunOptions(output_dir=Path("out")))
    rt.close()
    assert info.value.exit_code == ExitCode.UNAVAILABLE
    remote_id = info.value.remote_id
    assert remote.stats.creates_received == 1 and remote_id.startswith("video_")
    assert f"video-gen settle {info.value.local_id} --remote-id {remote_id}" in (
        info.value.hint or ""
    )
    monkeypatch.setattr(ledger.db, "url", pg_url)
    ledger.db.close()
    month = ledger.month(limits=LIMITS)
    assert (month.reserved_usd, month.in_flight) == (0.4, 1)  # still held, never released
    assert [r["kind"] for r in ledger.records()] == ["reserved"]


def test_history_at_an_old_date_reads_only_what_it_needs(backend: str) -> None:
    ledger = open_ledger()
    old = reserve(ledger, now=NOW - timedelta(days=40))
    new = reserve(ledger, now=NOW)
    assert [j.local_id for j in ledger.jobs(since=NOW - timedelta(days=1))] == [new]
    assert [j.local_id for j in ledger.jobs(until=NOW - timedelta(days=1))] == [old]
    assert [j.local_id for j in ledger.jobs(model="SORA-?", limit=1)] == [new]
    assert [j.local_id for j in ledger.jobs(model="sora-[2]")] == [new, old]
    assert ledger.jobs(search="100%_sure") == []
