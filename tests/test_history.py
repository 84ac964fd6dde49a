"""`video-gen history` and `history show`, through CliRunner, on both ledger backends (the JSON
Lines file and PostgreSQL: ``backend`` in conftest.py) unless marked ``jsonl_only``."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from video_gen.cli import app
from video_gen.cli.history_cmd import CSV_COLUMNS, parse_when
from video_gen.exit_codes import ExitCode
from video_gen.ledger import BudgetLimits, Ledger, LedgerBackend, open_ledger
from video_gen.types import Estimate, GenerationRequest

runner = CliRunner()
pytestmark = pytest.mark.usefixtures("backend")
NOW = datetime.now(timezone.utc).replace(microsecond=0)
LIMITS = BudgetLimits(monthly_usd=1000.0)

JSON_KEYS = {
    "id",
    "remote_id",
    "remote_ids",
    "created_at",
    "updated_at",
    "status",
    "progress",
    "in_flight",
    "provider",
    "provider_kind",
    "emulated",
    "model",
    "seconds",
    "size",
    "prompt",
    "params",
    "estimate_usd",
    "actual_usd",
    "charged_usd",
    "batch_id",
    "item_key",
    "command",
    "error_code",
    "error_message",
    "host",
    "user",
    "ci",
    "files",
}


def add(
    ledger: LedgerBackend,
    prompt: str,
    *,
    ago: timedelta,
    model: str = "sora-2",
    provider: str = "openai",
    end: str | None = "completed",
    batch: str | None = None,
    remote: str | None = None,
) -> str:
    r = ledger.reserve(
        GenerationRequest(
            prompt=prompt, model=model, seconds=8, size="1280x720", provider=provider
        ),
        Estimate(0.8, 0.1, "test prices"),
        LIMITS,
        provider_kind="emulator" if provider == "emulator" else "openai-videos",
        command="batch" if batch else "generate",
        batch_id=batch,
        item_key="item-1" if batch else None,
        now=NOW - ago,
    )
    ledger.submitted(r.local_id, remote or f"video_{r.local_id}", "queued")
    if end == "completed":
        ledger.completed(r.local_id, None)
    elif end == "failed":
        ledger.failed(r.local_id, "failed", "moderation_blocked", "blocked by moderation")
    elif end == "released":
        ledger.released(r.local_id, "create refused")
    return r.local_id


@pytest.fixture
def jobs() -> dict[str, str]:
    """Five jobs over ten days, oldest first in the file (as a ledger is written)."""
    ledger = open_ledger()
    return {
        "old": add(ledger, "An old lighthouse", ago=timedelta(days=10)),
        "pro": add(ledger, "A red kite", ago=timedelta(days=5), model="sora-2-pro"),
        "failed": add(ledger, "A paper boat", ago=timedelta(days=2), end="failed"),
        "batch": add(
            ledger, "Paper BOAT two", ago=timedelta(hours=5), batch="b1", provider="emulator"
        ),
        "open": add(ledger, "A cat [bold]naps[/bold]", ago=timedelta(hours=1), end=None),
    }


def history(*args: str) -> list[str]:
    """Ids listed by `history --json ARGS`, newest first."""
    result = runner.invoke(app, ["history", "--json", *args])
    assert result.exit_code == 0, result.output
    return [job["id"] for job in json.loads(result.stdout)]


def test_table_newest_first(jobs: dict[str, str]) -> None:
    result = runner.invoke(app, ["history"], env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    out = result.stdout
    positions = [out.index(jobs[k]) for k in ("open", "batch", "failed", "pro", "old")]
    assert positions == sorted(positions)
    assert "~0.80" in out  # in flight: the reservation
    assert "[bold]naps[/bold]" in out  # prompts are text, never markup
    assert "openai/sora-2-pro" in out and "1280x720" in out
    assert result.stderr == ""


def test_narrow_table_keeps_ids_whole(jobs: dict[str, str]) -> None:
    result = runner.invoke(app, ["history"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    assert all(len(line) <= 80 for line in result.stdout.splitlines())
    for local_id in jobs.values():
        assert local_id in result.stdout
    assert "completed" in result.stdout and "0.80" in result.stdout


def test_table_says_when_more_may_exist(jobs: dict[str, str]) -> None:
    result = runner.invoke(app, ["history", "--limit", "2"])
    assert result.exit_code == 0
    assert jobs["open"] in result.stdout and jobs["failed"] not in result.stdout
    assert "--all" in result.stderr


def test_empty_history() -> None:
    result = runner.invoke(app, ["history"])
    assert result.exit_code == 0 and result.stdout == ""
    assert "no jobs recorded yet" in result.stderr


def test_limit_and_all(jobs: dict[str, str]) -> None:
    assert history("--limit", "2") == [jobs["open"], jobs["batch"]]
    assert len(history("--all")) == 5
    assert len(history("--all", "--limit", "1")) == 5


def test_since_and_until(jobs: dict[str, str]) -> None:
    assert history("--since", "3d") == [jobs["open"], jobs["batch"], jobs["failed"]]
    assert history("--since", "6h") == [jobs["open"], jobs["batch"]]
    assert history("--until", "4d") == [jobs["pro"], jobs["old"]]
    day = (NOW - timedelta(days=5)).date().isoformat()
    assert history("--since", day, "--until", day) == [jobs["pro"]]


def test_status_filters(jobs: dict[str, str]) -> None:
    assert history("--status", "failed") == [jobs["failed"]]
    assert history("--status", "in-flight") == [jobs["open"]]
    assert history("--status", "completed") == [jobs["batch"], jobs["pro"], jobs["old"]]
    assert history("--status", "queued,failed") == [jobs["open"], jobs["failed"]]
    assert history("--status", "released") == []


def test_model_provider_search_and_batch_filters(jobs: dict[str, str]) -> None:
    assert history("--model", "sora-2-pro") == [jobs["pro"]]
    assert history("--model", "SORA-2*") == [
        jobs["open"],
        jobs["batch"],
        jobs["failed"],
        jobs["pro"],
        jobs["old"],
    ]
    assert history("--provider", "emulator") == [jobs["batch"]]
    assert history("--provider", "openai-videos") == [
        jobs["open"],
        jobs["failed"],
        jobs["pro"],
        jobs["old"],
    ]
    assert history("--search", "paper boat") == [jobs["batch"], jobs["failed"]]
    assert history("--batch", "b1") == [jobs["batch"]]


def test_json_schema(jobs: dict[str, str]) -> None:
    result = runner.invoke(app, ["history", "--json", "--limit", "1", "--search", "lighthouse"])
    (job,) = json.loads(result.stdout)
    assert set(job) == JSON_KEYS
    assert job["id"] == jobs["old"] and job["remote_id"] == f"video_{jobs['old']}"
    assert (job["status"], job["charged_usd"], job["in_flight"]) == ("completed", 0.8, False)
    assert job["created_at"].endswith("Z") and job["seconds"] == 8 and job["size"] == "1280x720"
    assert job["files"] == []


def test_csv(jobs: dict[str, str]) -> None:
    result = runner.invoke(app, ["history", "--csv", "--all"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [r["id"] for r in rows] == [
        jobs["open"],
        jobs["batch"],
        jobs["failed"],
        jobs["pro"],
        jobs["old"],
    ]
    assert rows[0]["charged_usd"] == "" and rows[0]["in_flight"] == "true"
    assert rows[2]["charged_usd"] == "0.0" and rows[2]["status"] == "failed"
    assert rows[1]["batch_id"] == "b1" and rows[1]["prompt"] == "Paper BOAT two"


def test_json_and_csv_together_is_a_usage_error() -> None:
    result = runner.invoke(app, ["history", "--json", "--csv"])
    assert result.exit_code == ExitCode.USAGE, result.output


@pytest.mark.parametrize("value", ["yesterday", "7x", "2026-02-30"])
def test_bad_times_are_usage_errors(value: str) -> None:
    result = runner.invoke(app, ["history", "--since", value])
    assert result.exit_code == ExitCode.USAGE, result.output
    assert "--since" in result.stderr


def test_parse_when() -> None:
    now = datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc)
    utc = timezone.utc
    assert parse_when("7d", "--since", now=now) == now - timedelta(days=7)
    assert parse_when("12h", "--since", now=now) == now - timedelta(hours=12)
    assert parse_when("30m", "--since", now=now) == now - timedelta(minutes=30)
    assert parse_when("2w", "--since", now=now) == now - timedelta(weeks=2)
    assert parse_when("2026-11-01", "--since", now=now) == datetime(2026, 11, 1, tzinfo=utc)
    assert parse_when("2026-11-01", "--until", now=now, end=True) == datetime(
        2026, 11, 2, tzinfo=utc
    )
    assert parse_when("2026-11", "--since", now=now) == datetime(2026, 11, 1, tzinfo=utc)
    assert parse_when("2026-11", "--until", now=now, end=True) == datetime(2026, 12, 1, tzinfo=utc)
    assert parse_when("2026-11-01T10:00", "--since", now=now) == datetime(
        2026, 11, 1, 10, tzinfo=utc
    )
    assert parse_when("2026-11-01T10:00:00+02:00", "--since", now=now) == datetime(
        2026, 11, 1, 8, tzinfo=utc
    )
    assert parse_when("2026-11-01T10:00:00Z", "--since", now=now) == datetime(
        2026, 11, 1, 10, tzinfo=utc
    )


# -- history show ------------------------------------------------------------------------------
def test_show_by_local_prefix(jobs: dict[str, str]) -> None:
    others = [v for k, v in jobs.items() if k != "failed"]
    target = jobs["failed"]
    n = next(n for n in range(1, 16) if not any(o.startswith(target[:n]) for o in others))
    result = runner.invoke(app, ["history", "show", target[:n]])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert target in out and "A paper boat" in out
    assert "moderation_blocked: blocked by moderation" in out
    for kind in ("reserved", "submitted", "failed"):
        assert kind in out
    assert '"seconds": 8' in out  # the parameters


def test_show_by_remote_prefix_and_json(jobs: dict[str, str], tmp_path: Path) -> None:
    ledger = open_ledger()
    local_id = add(ledger, "With files", ago=timedelta(minutes=1), remote="video_unique123")
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"mp4 bytes")
    digest = hashlib.sha256(b"mp4 bytes").hexdigest()
    ledger.downloaded(local_id, "video", video, digest, 9)
    result = runner.invoke(app, ["history", "show", "video_uniq", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["id"] == local_id and data["remote_id"] == "video_unique123"
    assert [e["kind"] for e in data["events"]] == [
        "reserved",
        "submitted",
        "completed",
        "downloaded",
    ]
    assert data["files"] == [
        {
            "variant": "video",
            "path": str(video),
            "sha256": digest,
            "bytes": 9,
            "exists": True,
            "size_matches": True,
            "sha256_matches": None,
        }
    ]


def test_show_verify_files(tmp_path: Path) -> None:
    ledger = open_ledger()
    local_id = add(ledger, "Files", ago=timedelta(minutes=1))
    good, bad, gone = tmp_path / "good.mp4", tmp_path / "bad.webp", tmp_path / "gone.jpg"
    for path in (good, bad, gone):
        path.write_bytes(b"original")
        ledger.downloaded(
            local_id, path.suffix[1:], path, hashlib.sha256(b"original").hexdigest(), 8
        )
    bad.write_bytes(b"tampered")
    gone.unlink()
    result = runner.invoke(app, ["history", "show", local_id, "--verify"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "ok (hash matches)" in out and "changed (hash differs)" in out and "missing" in out
    data = json.loads(
        runner.invoke(app, ["history", "show", local_id, "--json", "--verify"]).stdout
    )
    assert [f["sha256_matches"] for f in data["files"]] == [True, False, None]
    assert [f["exists"] for f in data["files"]] == [True, True, False]


def test_show_ambiguous_and_unknown(jobs: dict[str, str]) -> None:
    result = runner.invoke(app, ["history", "show", "video_j"])
    assert result.exit_code == ExitCode.USAGE, result.output
    assert "ambiguous" in result.stderr and "matches 5 jobs" in result.stderr
    assert jobs["old"] in result.stderr
    result = runner.invoke(app, ["history", "show", "nothing-like-this"])
    assert result.exit_code == ExitCode.USAGE, result.output
    assert "no job" in result.stderr


@pytest.mark.jsonl_only
def test_history_reports_a_corrupt_line_on_stderr(jobs: dict[str, str]) -> None:
    path = Ledger().path
    data = path.read_bytes().splitlines(keepends=True)
    data.insert(2, b"{broken\n")
    path.write_bytes(b"".join(data))
    result = runner.invoke(app, ["history", "--json", "--all"])
    assert result.exit_code == 0
    assert len(json.loads(result.stdout)) == 5
    assert "warning:" in result.stderr and "line 3:" in result.stderr
