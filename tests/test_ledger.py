"""The spend ledger: records, job states and money, reads, processes racing; then the JSON
Lines file itself (the lock, crashes, corruption, the index).

Tests taking ``backend`` run on both backends (the JSON Lines file, and a fresh PostgreSQL
database: conftest.py); those marked ``jsonl_only`` are about the file. VIDEO_GEN_HOME points at
a temp dir for every test (``isolated_home`` in conftest.py).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from fakekeys import fake_key

from video_gen import paths
from video_gen.errors import BudgetError, UsageError
from video_gen.ledger import AmbiguousIdError, BudgetLimits, Ledger, LedgerBackend, open_ledger
from video_gen.ledger import records as rec
from video_gen.types import Estimate, GenerationRequest

SECRET = fake_key("abc", "defghijklmnopqrstuvwxyz123")
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc)
ROOT = Path(__file__).resolve().parents[1]
LIMITS = BudgetLimits(monthly_usd=50.0)


def request(prompt: str = "a paper boat in the rain", **kw: object) -> GenerationRequest:
    values: dict[str, object] = {"model": "sora-2", "seconds": 4, "size": "720x1280"}
    values.update(kw)
    return GenerationRequest(prompt=prompt, **values)  # type: ignore[arg-type]


def reserve(
    ledger: LedgerBackend, usd: float = 0.4, *, now: datetime | None = NOW, **kw: object
) -> str:
    limits = kw.pop("limits", LIMITS)
    r = ledger.reserve(
        request(**kw),  # type: ignore[arg-type]
        Estimate(usd, 0.1, "test prices"),
        limits,  # type: ignore[arg-type]
        provider_kind="openai-videos",
        command="generate",
        now=now,
    )
    return r.local_id


def lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_bytes().splitlines()]


def records(ledger: LedgerBackend | None = None) -> list[dict[str, object]]:
    """Every record of the ledger, in order (what ``ledger export`` writes), on any backend."""
    return list((ledger or open_ledger()).records())


def seed(ledger: LedgerBackend, written: list[dict[str, object]]) -> None:
    """Records written by another tool, as they are (not through the ledger's rules)."""
    if isinstance(ledger, Ledger):
        ledger.path.parent.mkdir(parents=True, exist_ok=True)
        with ledger.path.open("ab") as fh:
            for record in written:
                fh.write(rec.encode(record))
    else:
        ledger.import_records(written)


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


# -- records -----------------------------------------------------------------------------------
def test_every_record_has_the_envelope_and_the_whole_life_is_recorded(
    tmp_path: Path, backend: str
) -> None:
    ledger = open_ledger()
    if backend == "jsonl":
        assert isinstance(ledger, Ledger) and ledger.path == paths.ledger_file()
    local_id = reserve(ledger)
    ledger.submitted(local_id, "video_abc", "queued")
    ledger.status(local_id, "in_progress", 40)
    ledger.completed(local_id, 0.35)
    ledger.downloaded(local_id, "video", tmp_path / "a.mp4", "ab" * 32, 1234)
    ledger.event(local_id, "note", detail="hello")

    written = records(ledger)
    assert [r["kind"] for r in written] == [
        "reserved",
        "submitted",
        "status",
        "completed",
        "downloaded",
        "note",
    ]
    for r in written:
        assert r["v"] == 1 and r["id"] == local_id
        assert isinstance(r["ts"], str) and r["ts"].endswith("Z")
        rec.parse_ts(r["ts"])
    assert written[0]["ts"] == "2026-11-21T12:00:00.000Z"
    assert written[0]["estimate_usd"] == 0.4 and written[0]["price_source"] == "test prices"
    assert written[3] == {**written[3], "actual_usd": 0.35, "charged_usd": 0.35}
    assert written[4]["path"] == str(tmp_path / "a.mp4") and written[4]["bytes"] == 1234

    job = ledger.get(local_id)
    assert (job.remote_id, job.status, job.progress) == ("video_abc", "completed", 100)
    assert (job.estimate_usd, job.actual_usd, job.charged_usd, job.in_flight) == (
        0.4,
        0.35,
        0.35,
        False,
    )
    assert job.files[0].path == tmp_path / "a.mp4" and job.files[0].bytes == 1234
    assert job.params["prompt"] == "a paper boat in the rain" and job.params["seconds"] == 4
    assert job.created_at == NOW and job.command == "generate"
    assert [e["kind"] for e in job.events][-1] == "note"


def test_local_ids_are_short_sortable_and_unique_even_in_the_same_millisecond() -> None:
    ids = [rec.new_local_id()]
    for _ in range(2000):
        ids.append(rec.new_local_id(after=ids[-1]))
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert all(len(i) == 15 and i.startswith("j") for i in ids)
    assert rec.new_local_id(after="jzzzzzzzzz00000") > "jzzzzzzzzz00000"


def test_money_is_summed_exactly_in_micro_dollars(backend: str) -> None:
    ledger = open_ledger()
    for _ in range(3):
        ledger.completed(reserve(ledger, 0.1), None)
    assert ledger.month("2026-11", limits=LIMITS, now=NOW).spent_usd == 0.3
    assert rec.usd_text(0.3) == "0.30" and rec.usd_text(0.125) == "0.125"


def test_bad_amounts_times_and_kinds_are_refused_before_writing(backend: str) -> None:
    ledger = open_ledger()
    with pytest.raises(ValueError):
        reserve(ledger, float("nan"))
    with pytest.raises(ValueError):
        reserve(ledger, -1.0)
    with pytest.raises(ValueError, match="timezone"):
        reserve(ledger, now=datetime(2026, 11, 21, 12, 0))
    local_id = reserve(ledger)
    with pytest.raises(ValueError, match="own Ledger method"):
        ledger.event(local_id, "completed")
    with pytest.raises(ValueError):
        ledger.event(local_id, "Not A Kind")
    with pytest.raises(ValueError, match="envelope"):
        ledger.event(local_id, "note", ts="now")
    assert len(records(ledger)) == 1


def test_a_nonsense_reported_cost_charges_the_estimate_and_keeps_the_completion(
    backend: str,
) -> None:
    ledger = open_ledger()
    local_id = reserve(ledger, 0.8)
    ledger.completed(local_id, float("nan"))
    record = records(ledger)[-1]
    assert record["actual_usd"] is None and record["reported_usd"] == "nan"
    assert ledger.get(local_id).charged_usd == 0.8


def test_secrets_in_prompts_and_messages_are_masked(backend: str) -> None:
    ledger = open_ledger()
    local_id = reserve(ledger, prompt=f"use key {SECRET} please")
    ledger.failed(local_id, "failed", "bad", f"echo {SECRET}")
    text = "".join(rec.encode(r).decode() for r in records(ledger))
    assert SECRET not in text and "sk-abc***" in text


# -- job states and money --------------------------------------------------------------------------
def test_failed_and_released_jobs_charge_nothing_and_free_their_reservation(backend: str) -> None:
    ledger = open_ledger()
    a, b, c = reserve(ledger), reserve(ledger), reserve(ledger)
    ledger.submitted(a, "video_a", "queued")
    ledger.failed(a, "cancelled", "moderation_blocked", "blocked")
    ledger.released(b, "create refused: 400 invalid size")
    month = ledger.month("2026-11", limits=LIMITS, now=NOW)
    assert (month.spent_usd, month.reserved_usd, month.in_flight) == (0.0, 0.4, 1)
    assert (month.failed, month.released) == (1, 1)

    job_a, job_b, job_c = ledger.get(a), ledger.get(b), ledger.get(c)
    assert (job_a.status, job_a.charged_usd, job_a.in_flight) == ("cancelled", 0.0, False)
    assert (job_a.error_code, job_a.error_message) == ("moderation_blocked", "blocked")
    assert (job_b.status, job_b.charged_usd) == ("released", 0.0)
    assert job_b.error_message == "create refused: 400 invalid size"
    assert (job_c.status, job_c.charged_usd, job_c.in_flight) == ("reserved", None, True)


def test_a_submitted_job_that_never_finished_stays_reserved(backend: str) -> None:
    ledger = open_ledger()
    local_id = reserve(ledger, 1.2)
    ledger.submitted(local_id, "video_x", "queued")
    ledger.event(local_id, "interrupted", remote_id="video_x")
    assert open_ledger().month("2026-11", limits=LIMITS, now=NOW).reserved_usd == 1.2
    assert open_ledger().get("video_x").in_flight


def test_the_first_final_record_wins_and_repeats_write_nothing(backend: str) -> None:
    ledger = open_ledger()
    local_id = reserve(ledger)
    ledger.completed(local_id, None)
    before = records(ledger)
    ledger.completed(local_id, 9.0)
    ledger.failed(local_id, "failed", None, None)
    ledger.released(local_id, "again")
    assert records(ledger) == before
    job = ledger.get(local_id)
    assert (job.status, job.charged_usd) == ("completed", 0.4)
    assert ledger.month("2026-11", limits=LIMITS, now=NOW).spent_usd == 0.4


def test_ending_a_job_the_ledger_never_saw_is_an_error(backend: str) -> None:
    ledger = open_ledger()
    reserve(ledger)
    with pytest.raises(UsageError, match="no job"):
        ledger.completed("jnothere000000", None)


def test_status_after_the_end_stays_in_the_timeline_only(backend: str) -> None:
    ledger = open_ledger()
    local_id = reserve(ledger)
    ledger.completed(local_id, None)
    ledger.status(local_id, "in_progress", 10)
    job = ledger.get(local_id)
    assert (job.status, job.progress) == ("completed", 100)
    assert job.events[-1]["kind"] == "status"


# -- reads -------------------------------------------------------------------------------------
def test_get_by_prefix_of_local_or_remote_id_and_ambiguity(backend: str) -> None:
    ledger = open_ledger()
    a, b = reserve(ledger), reserve(ledger)
    ledger.submitted(a, "video_68d7aaaa", "queued")
    ledger.submitted(b, "video_68d7aaaa2", "queued")
    unique = next(n for n in range(1, 16) if not b.startswith(a[:n]))
    assert ledger.get(a[:unique]).local_id == a
    assert ledger.get("video_68d7aaaa2").local_id == b
    assert ledger.get("video_68d7aaaa").local_id == a  # exact beats a longer id with that start
    with pytest.raises(AmbiguousIdError) as info:
        ledger.get("video_68d7")
    assert "ambiguous" in str(info.value) and a in str(info.value) and b in str(info.value)
    assert info.value.hint == "give more characters of the id"
    with pytest.raises(UsageError, match="no job"):
        ledger.get("video_zzz")
    with pytest.raises(UsageError):
        ledger.get("  ")
    assert ledger.find_remote("video_68d7aaaa2").local_id == b  # type: ignore[union-attr]
    assert ledger.find_remote("video_68d7") is None


def test_the_random_end_of_a_local_id_names_its_job(backend: str) -> None:
    """Jobs of one day share their first characters (the time); the last 5 name each one."""
    ledger = open_ledger()
    ids = [reserve(ledger) for _ in range(6)]
    assert len({i[:8] for i in ids}) < len(ids)  # the documented problem: shared long prefixes
    for local_id in ids:
        assert rec.short_id(local_id) == local_id[-5:]
        assert ledger.get(local_id[-5:]).local_id == local_id
        assert ledger.get(local_id[-5:].upper()).local_id == local_id
    assert ledger.get(ids[0][:-1][-6:] + ids[0][-1]).local_id == ids[0]  # any length >= 4
    with pytest.raises(UsageError, match="ending"):
        ledger.get("zzzzz")  # a tail that is nobody's
    assert ledger.get(ids[0]).local_id == ids[0]  # whole ids and prefixes keep working


def test_known_remote_ids_reach_back_to_since(backend: str) -> None:
    ledger = open_ledger()
    old = datetime.now(timezone.utc) - timedelta(days=30)
    seed(
        ledger,
        [
            rec.make(kind, "j0000000000old1", old, fields)
            for kind, fields in (
                ("reserved", {"provider": "openai", "model": "sora-2", "estimate_usd": 0.4}),
                ("submitted", {"remote_id": "video_old", "status": "queued"}),
            )
        ],
    )
    new = reserve(ledger, now=None)
    ledger.submitted(new, "video_new", "queued")
    ledger.event(new, "timeout", remote_id="video_new", after_s=10)
    since = datetime.now(timezone.utc) - timedelta(days=2)
    assert ledger.known_remote_ids(since=since) == frozenset({"video_new"})
    assert ledger.known_remote_ids(since=old) == frozenset({"video_new", "video_old"})


def test_jobs_are_newest_first_and_filtered(backend: str) -> None:
    ledger = open_ledger()
    ids = [
        reserve(ledger, now=NOW + timedelta(hours=i), prompt=f"Boat number {i}") for i in range(5)
    ]
    ledger.completed(ids[0], None)
    assert [j.local_id for j in ledger.jobs()] == ids[::-1]
    assert [j.local_id for j in ledger.jobs(limit=2)] == ids[::-1][:2]
    assert [j.local_id for j in ledger.jobs(status="completed")] == [ids[0]]
    assert len(ledger.jobs(status="in-flight", limit=None)) == 4
    assert [j.local_id for j in ledger.jobs(search="NUMBER 3")] == [ids[3]]
    assert [j.local_id for j in ledger.jobs(since=NOW + timedelta(hours=3))] == ids[:2:-1]
    assert [j.local_id for j in ledger.jobs(until=NOW + timedelta(hours=1))] == [ids[0]]
    assert ledger.jobs(limit=0) == []


def test_threads_sharing_one_ledger_never_overspend(backend: str) -> None:
    ledger = open_ledger()
    limits = BudgetLimits(monthly_usd=2.0)
    made: list[str] = []

    def worker() -> None:
        for _ in range(3):
            with contextlib.suppress(BudgetError):
                made.append(reserve(ledger, 0.4, limits=limits))

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(made) == 5 and len(set(made)) == 5
    assert open_ledger().month("2026-11", limits=limits, now=NOW).reserved_usd == 2.0


# -- processes ---------------------------------------------------------------------------------
RESERVER = r"""
import json, sys, time
from pathlib import Path
from video_gen.errors import BudgetError
from video_gen.ledger import BudgetLimits, open_ledger
from video_gen.types import Estimate, GenerationRequest

go, attempts = Path(sys.argv[1]), int(sys.argv[2])
ledger = open_ledger()
limits = BudgetLimits(monthly_usd=5.0)
while not go.exists():
    time.sleep(0.001)
made = []
for n in range(attempts):
    request = GenerationRequest(prompt="p" * 3000, model="sora-2", seconds=4, size="720x1280")
    try:
        r = ledger.reserve(request, Estimate(0.4, 0.1, "t"), limits,
                           provider_kind="openai-videos", command="test")
    except BudgetError:
        continue
    made.append(r.local_id)
    ledger.submitted(r.local_id, "video_" + r.local_id, "queued")
    if n % 2:
        ledger.completed(r.local_id, None)
print(json.dumps(made))
"""


def test_eight_processes_at_once_never_overspend_lose_or_interleave(
    tmp_path: Path, backend: str
) -> None:
    open_ledger().migrate()  # the children race to reserve, not to create the tables
    go = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", RESERVER, str(go), "4"],
            env=child_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(8)
    ]
    time.sleep(0.3)  # let them all import and wait at the start line
    go.touch()
    made: list[str] = []
    for p in procs:
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
        made += json.loads(out)

    # 5.00 USD holds exactly twelve 0.40 USD jobs: never a thirteenth.
    assert len(made) == 12 and len(set(made)) == 12
    if backend == "jsonl":
        lines(paths.ledger_file())  # every line is whole, valid JSON
    written = records()
    reserved = [r["id"] for r in written if r["kind"] == "reserved"]
    assert sorted(reserved) == sorted(made)
    assert reserved == sorted(reserved)  # ids increase along the ledger
    assert sorted(r["id"] for r in written if r["kind"] == "submitted") == sorted(made)
    month = open_ledger().month(limits=BudgetLimits(monthly_usd=5.0))
    assert rec.to_micro(month.spent_usd + month.reserved_usd) == 4_800_000
    assert month.spent_usd + month.reserved_usd <= 5.0
    if backend != "jsonl":
        return
    paths.ledger_file().with_name("ledger.index.json").unlink()  # rebuilt: same answer
    rebuilt = Ledger().month(limits=BudgetLimits(monthly_usd=5.0))
    assert (rebuilt.spent_usd, rebuilt.reserved_usd) == (month.spent_usd, month.reserved_usd)


APPENDER = r"""
import sys
from video_gen.ledger import open_ledger
ledger = open_ledger()
local_id, count = sys.argv[1], int(sys.argv[2])
payload = sys.argv[3] * 50_000
for n in range(count):
    ledger.event(local_id, "tick", n=n, payload=payload)
"""


def test_concurrent_appends_of_big_records_never_interleave(backend: str) -> None:
    ledger = open_ledger()
    local_id = reserve(ledger)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", APPENDER, local_id, "25", chr(97 + i)], env=child_env()
        )
        for i in range(8)
    ]
    for p in procs:
        assert p.wait(timeout=60) == 0
    ticks = [r for r in records(ledger) if r["kind"] == "tick"]
    assert len(ticks) == 200
    for r in ticks:
        payload = r["payload"]
        assert isinstance(payload, str) and len(set(payload)) == 1 and len(payload) == 50_000
    assert open_ledger().warnings() == []


LOOPER = r"""
import sys
from video_gen.ledger import Ledger
ledger = Ledger()
print("ready", flush=True)
payload = "x" * 400_000
while True:
    ledger.event(sys.argv[1], "tick", payload=payload)
"""


@pytest.mark.jsonl_only
def test_a_writer_killed_mid_append_leaves_a_readable_ledger(tmp_path: Path) -> None:
    ledger = Ledger()
    local_id = reserve(ledger)
    child = subprocess.Popen(
        [sys.executable, "-c", LOOPER, local_id],
        env=child_env(),
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None and child.stdout.readline().strip() == "ready"
    deadline = time.monotonic() + 20
    while ledger.path.stat().st_size < 4_000_000 and time.monotonic() < deadline:
        time.sleep(0.005)
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=10)

    data = ledger.path.read_bytes()
    complete = data[: data.rfind(b"\n") + 1]
    for line in complete.splitlines():
        json.loads(line)  # every complete line is a whole record
    torn = data[len(complete) :]
    warnings = Ledger().warnings()
    assert bool(torn) == any("torn last line" in w for w in warnings)

    # The lock died with its holder, and the next record starts on a line of its own.
    started = time.monotonic()
    again = Ledger()
    again.status(local_id, "in_progress", 50)
    assert time.monotonic() - started < 5
    assert json.loads(ledger.path.read_bytes().splitlines()[-1])["kind"] == "status"
    assert ledger.path.read_bytes().startswith(data)
    assert again.get(local_id).status == "in_progress"


# -- crash and corruption ----------------------------------------------------------------------
@pytest.mark.jsonl_only
def test_a_torn_last_line_is_reported_kept_and_the_next_record_starts_fresh() -> None:
    ledger = Ledger()
    first = reserve(ledger)
    ledger.completed(first, None)
    with ledger.path.open("ab") as fh:
        fh.write(b'{"v":1,"ts":"2026-11-21T12:00:01.000Z","kind":"reserved","id":"jtorn","prov')
    before = ledger.path.read_bytes()

    reader = Ledger()
    warnings = reader.warnings()
    assert len(warnings) == 1 and "line 3" in warnings[0] and "torn last line" in warnings[0]
    assert reader.month("2026-11", limits=LIMITS, now=NOW).spent_usd == 0.4
    assert [j.local_id for j in reader.jobs()] == [first]
    assert ledger.path.read_bytes() == before  # reading changed nothing

    second = reserve(Ledger())
    after = ledger.path.read_bytes()
    assert after.startswith(before + b"\n")  # the torn bytes are kept, then a newline
    assert json.loads(after.splitlines()[-1])["id"] == second
    warnings = Ledger().warnings()
    assert len(warnings) == 1 and "line 3" in warnings[0] and "not valid JSON" in warnings[0]
    assert [j.local_id for j in Ledger().jobs()] == [second, first]


@pytest.mark.jsonl_only
def test_a_corrupt_line_is_reported_by_number_and_never_rewritten() -> None:
    ledger = Ledger()
    a = reserve(ledger)
    ledger.completed(a, None)
    b = reserve(ledger, 1.2)
    raw = ledger.path.read_bytes().splitlines(keepends=True)
    raw.insert(1, b"}} garbage {{\n")
    raw.insert(
        3, json.dumps({"v": 2, "ts": "2026-11-21T12:00:00Z", "kind": "x", "id": a}).encode() + b"\n"
    )
    ledger.path.write_bytes(b"".join(raw))
    before = ledger.path.read_bytes()

    reader = Ledger()
    warnings = reader.warnings()
    assert len(warnings) == 2
    assert "line 2" in warnings[0] and "not valid JSON" in warnings[0]
    assert "line 4" in warnings[1] and "schema version 2" in warnings[1]
    month = reader.month("2026-11", limits=LIMITS, now=NOW)
    assert (month.spent_usd, month.reserved_usd) == (0.4, 1.2)
    assert [j.local_id for j in reader.jobs()] == [b, a]
    assert reader.get(a).charged_usd == 0.4
    assert ledger.path.read_bytes() == before

    reader.completed(b, 1.0)
    assert ledger.path.read_bytes().startswith(before)
    assert Ledger().month("2026-11", limits=LIMITS, now=NOW).spent_usd == 1.4


# -- the index ---------------------------------------------------------------------------------
def index_file() -> Path:
    return paths.ledger_file().with_name("ledger.index.json")


@pytest.mark.jsonl_only
def test_the_index_is_kept_current_and_rebuilt_when_missing_or_broken() -> None:
    ledger = Ledger()
    a = reserve(ledger)
    ledger.completed(a, None)
    reserve(ledger, 1.2)
    saved = json.loads(index_file().read_text())
    assert saved["ledger"]["offset"] == ledger.path.stat().st_size
    assert saved["days"] == {"2026-11-21": 400_000} and len(saved["open"]) == 1

    expected = ledger.month("2026-11", limits=LIMITS, now=NOW)
    index_file().unlink()
    assert Ledger().month("2026-11", limits=LIMITS, now=NOW) == expected
    index_file().write_text("{not json")
    assert Ledger().month("2026-11", limits=LIMITS, now=NOW) == expected
    assert json.loads(index_file().read_text())["ledger"]["offset"] == ledger.path.stat().st_size


@pytest.mark.jsonl_only
def test_lines_appended_behind_the_index_are_caught_up() -> None:
    ledger = Ledger()
    a = reserve(ledger)
    with ledger.path.open("ab") as fh:  # another tool appends, without touching the index
        fh.write(rec.encode(rec.make("completed", a, NOW, {"actual_usd": 0.25})))
    assert Ledger().month("2026-11", limits=LIMITS, now=NOW).spent_usd == 0.25


@pytest.mark.jsonl_only
def test_an_index_of_a_replaced_ledger_is_not_trusted(tmp_path: Path) -> None:
    ledger = Ledger()
    reserve(ledger, 3.0)
    Ledger().month(limits=LIMITS)  # index saved for this file
    other = Ledger(tmp_path / "other.jsonl")
    reserve(other, 0.5)
    os.replace(other.path, ledger.path)  # a restore from backup: another inode
    assert Ledger().month("2026-11", limits=LIMITS, now=NOW).reserved_usd == 0.5

    ledger.path.write_bytes(b"")  # truncated in place
    assert Ledger().month("2026-11", limits=LIMITS, now=NOW).reserved_usd == 0.0


@pytest.mark.jsonl_only
def test_reading_an_absent_ledger_creates_nothing() -> None:
    ledger = Ledger()
    assert ledger.jobs() == [] and ledger.warnings() == []
    assert ledger.month(limits=LIMITS).spent_usd == 0.0
    assert not ledger.path.parent.exists()
