"""`video-gen batch` end to end over loopback HTTP: formats, dry run, JSON, failures, 429s,
budgets, invalid input, and re-runs that never pay twice.

The `openai` provider is pointed at the emulator, so the assertions are what a user sees: the
exit code, stdout, stderr, the files and the manifest, the ledger, and what reached the server.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from video_gen.cli import app
from video_gen.emulator import EmulatorServer
from video_gen.exit_codes import ExitCode
from video_gen.ledger import Ledger

runner = CliRunner()
FAST = ("--poll-interval", "0.1", "--output-dir", "out")


def batch(*args: str, input: str | None = None) -> Any:
    return runner.invoke(app, ["batch", *args], input=input)


def manifest(name: str = "prompts") -> dict[str, Any]:
    data: dict[str, Any] = json.loads(Path("out", f"{name}.manifest.json").read_text())
    return data


def write(name: str, text: str) -> Path:
    path = Path(name)
    path.write_text(text, encoding="utf-8")
    return path


def sha(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def test_txt_batch_makes_every_video_with_a_manifest_and_plain_progress(
    remote: EmulatorServer,
) -> None:
    write("prompts.txt", "# storyboard\na paper boat in the rain\n\nan owl at night\na fox\n")
    res = batch("prompts.txt", "--concurrency", "2", *FAST)
    assert res.exit_code == 0, res.stderr
    names = sorted(p.name for p in Path("out").glob("*.mp4"))
    assert names == ["002-a-paper-boat-in-the-rain.mp4", "004-an-owl-at-night.mp4", "005-a-fox.mp4"]
    assert remote.stats.creates_received == 3
    data = manifest()
    assert [(i["line"], i["status"]) for i in data["items"]] == [
        (2, "done"),
        (4, "done"),
        (5, "done"),
    ]
    for item in data["items"]:
        assert sha(item["file"]) == item["sha256"] and item["job_id"].startswith("video_")
        assert item["cost_usd"] == pytest.approx(0.40)
    assert data["finished"] is True and data["totals"]["done"] == 3
    # one plain line per state change, each prefixed with the item's line
    assert (
        "[2] created video_" in res.stderr and "[4] saved out/004-an-owl-at-night.mp4" in res.stderr
    )
    assert "1.20 USD estimated" in res.stderr
    # the summary table is the result: stdout
    assert "3 items: 3 done; spent 1.20 USD this run" in res.stdout
    jobs = Ledger().jobs(batch=data["batch_id"], limit=None)
    assert len(jobs) == 3 and all(j.command == "batch" and j.item_key for j in jobs)


def test_jsonl_with_names_fields_and_a_reference_image_relative_to_the_file(
    remote: EmulatorServer, tmp_path: Path
) -> None:
    from PIL import Image

    (tmp_path / "in").mkdir()
    Image.new("RGB", (1280, 720), "white").save(tmp_path / "in" / "first.png")
    write(
        "in/story.jsonl",
        "\n".join(
            [
                json.dumps(
                    {
                        "prompt": "opening shot",
                        "name": "intro",
                        "seconds": 8,
                        "size": "1280x720",
                        "input_reference": "first.png",
                    }
                ),
                json.dumps({"prompt": "the end", "name": "outro"}),
            ]
        ),
    )
    res = batch("in/story.jsonl", "--seconds", "12", *FAST)
    assert res.exit_code == 0, res.stderr
    assert sorted(p.name for p in Path("out").glob("*.mp4")) == ["intro.mp4", "outro.mp4"]
    by_name = {i["name"]: i for i in manifest("story")["items"]}
    assert by_name["intro"]["seconds"] == 8 and by_name["intro"]["size"] == "1280x720"
    assert by_name["outro"]["seconds"] == 12  # the command line's default
    assert by_name["intro"]["key"] == "name:intro"
    assert by_name["intro"]["cost_usd"] == pytest.approx(0.80)


def test_csv_and_stdin(remote: EmulatorServer) -> None:
    write("shots.csv", 'prompt,name,seconds\n"a boat, in rain",boat,4\nan owl,,8\n')
    res = batch("shots.csv", *FAST)
    assert res.exit_code == 0, res.stderr
    assert sorted(p.name for p in Path("out").glob("*.mp4")) == ["003-an-owl.mp4", "boat.mp4"]
    piped = batch("-", *FAST, input="a cat on a skateboard\na dog\n")
    assert piped.exit_code == 0, piped.stderr
    sniffed = batch("-", *FAST, input='{"prompt": "a hen", "name": "hen"}\n')
    assert sniffed.exit_code == 0, sniffed.stderr
    assert Path("out/hen.mp4").exists() and Path("out/001-a-cat-on-a-skateboard.mp4").exists()
    assert remote.stats.creates_received == 5
    # the same stdin text is the same batch: a re-run is free
    again = batch("-", *FAST, input="a cat on a skateboard\na dog\n")
    assert again.exit_code == 0 and remote.stats.creates_received == 5
    assert "2 already done" in again.stdout


def test_dry_run_shows_each_item_and_the_total_and_sends_nothing(remote: EmulatorServer) -> None:
    write("prompts.txt", "a boat\nan owl\n")
    res = batch("prompts.txt", "--dry-run", "--seconds", "8", *FAST)
    assert res.exit_code == 0, res.stderr
    assert "submit" in res.stdout and "a boat" in res.stdout and "0.80" in res.stdout
    assert "total: 2 new videos, 1.60 USD estimated" in res.stdout
    assert "this batch fits" in res.stdout and "nothing was sent" in res.stdout
    js = batch("prompts.txt", "--dry-run", "--json", *FAST)
    data = json.loads(js.stdout)
    assert data["dry_run"] and data["total_usd"] == pytest.approx(0.8)
    assert [i["action"] for i in data["items"]] == ["submit", "submit"]
    assert remote.stats.total_requests == 0
    assert not Ledger().path.exists() or Ledger().jobs() == []
    assert not Path("out").exists()


def test_json_summary_on_stdout_and_the_table_on_stderr(remote: EmulatorServer) -> None:
    write("prompts.txt", "a boat\nan owl\n")
    res = batch("prompts.txt", "--json", *FAST)
    assert res.exit_code == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["status"] == "succeeded" and data["exit_code"] == 0
    assert data["totals"]["done"] == 2 and data["totals"]["spent_usd"] == pytest.approx(0.8)
    assert data["estimate_usd"] == pytest.approx(0.8)
    assert {"requested", "lowest", "final", "rate_limited"} <= set(data["concurrency"])
    assert all(Path(i["file"]).exists() for i in data["items"])
    assert "2 items: 2 done" in res.stderr
    quiet = batch("prompts.txt", "--json", "--quiet", *FAST)
    assert quiet.stderr == "" and json.loads(quiet.stdout)["totals"]["already_done"] == 2


def test_a_failed_job_exits_10_is_left_alone_then_retried(remote: EmulatorServer) -> None:
    write("prompts.txt", "a boat\nan owl\na fox\n")
    remote.faults.add("fail")
    res = batch("prompts.txt", "--concurrency", "1", *FAST)
    assert res.exit_code == ExitCode.PARTIAL_FAILURE
    statuses = [i["status"] for i in manifest()["items"]]
    assert statuses == ["failed", "done", "done"]
    failed = manifest()["items"][0]
    assert "internal_error" in failed["error"] and failed["job_id"]
    assert "failed" in res.stdout and "--retry-failed" in res.stdout
    # a re-run leaves the failed item alone and pays for nothing
    again = batch("prompts.txt", *FAST)
    assert again.exit_code == ExitCode.PARTIAL_FAILURE and remote.stats.creates_received == 3
    assert "failed earlier" in again.stdout
    retried = batch("prompts.txt", "--retry-failed", *FAST)
    assert retried.exit_code == 0, retried.stderr
    assert remote.stats.creates_received == 4
    assert [i["status"] for i in manifest()["items"]] == ["done", "already_done", "already_done"]


def test_rerun_skips_completed_items_and_downloads_a_deleted_file_again(
    remote: EmulatorServer,
) -> None:
    write("prompts.txt", "a boat\nan owl\n")
    assert batch("prompts.txt", *FAST).exit_code == 0
    assert remote.stats.creates_received == 2
    again = batch("prompts.txt", *FAST)
    assert again.exit_code == 0 and remote.stats.creates_received == 2
    assert [i["status"] for i in manifest()["items"]] == ["already_done", "already_done"]
    Path("out/001-a-boat.mp4").unlink()
    Path("out/002-an-owl.mp4").write_bytes(b"changed")
    fixed = batch("prompts.txt", *FAST)
    assert fixed.exit_code == 0, fixed.stderr
    assert remote.stats.creates_received == 2  # downloaded again, never created again
    files = {i["line"]: i for i in manifest()["items"]}
    assert Path(files[1]["file"]).exists() and sha(files[1]["file"]) == files[1]["sha256"]
    assert sha(files[2]["file"]) == files[2]["sha256"]
    assert "spent 0.00 USD this run" in fixed.stdout


def test_a_429_storm_lowers_concurrency_and_every_item_succeeds(
    remote: EmulatorServer, sleeps: list[float]
) -> None:
    remote.faults.retry_after = 0.1
    remote.faults.add("429", count=14, endpoint="create")
    remote.faults.add("429", count=4, endpoint="retrieve")
    write("prompts.txt", "".join(f"shot number {n}\n" for n in range(6)))
    res = batch("prompts.txt", "--concurrency", "4", "--json", *FAST)
    assert res.exit_code == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["totals"]["done"] == 6
    assert data["concurrency"]["rate_limited"] >= 1
    assert data["concurrency"]["lowest"] < 4
    assert "rate limited (HTTP 429): concurrency 4 -> 2" in res.stderr
    assert remote.stats.jobs_created == 6  # 429s make no job, and nothing was created twice


def test_invalid_items_are_all_reported_with_file_line_field_and_nothing_is_sent(
    remote: EmulatorServer,
) -> None:
    write(
        "prompts.jsonl",
        "\n".join(
            [
                '{"prompt": "fine"}',
                '{"prompt": "bad length", "seconds": 5}',
                '{"prompt": "typo", "modle": "sora-2"}',
                "{oops",
                '{"prompt": "fine too", "size": "1024x1792"}',
            ]
        ),
    )
    res = batch("prompts.jsonl", *FAST)
    assert res.exit_code == ExitCode.USAGE
    lines = res.stderr.strip().splitlines()
    assert lines[0].startswith("error: prompts.jsonl:2: seconds: sora-2 makes clips of")
    assert lines[1].startswith("error: prompts.jsonl:3: modle: unknown field")
    assert lines[2].startswith("error: prompts.jsonl:4: not valid JSON")
    assert lines[3].startswith("error: prompts.jsonl:5: size:")
    assert "nothing was submitted" in lines[-1] and "--skip-invalid" in lines[-1]
    assert remote.stats.total_requests == 0
    assert not Ledger().path.exists() or Ledger().jobs() == []
    skipped = batch("prompts.jsonl", "--skip-invalid", *FAST)
    assert skipped.exit_code == ExitCode.PARTIAL_FAILURE  # not every item made a video
    assert remote.stats.creates_received == 1
    items = {i["line"]: i for i in manifest()["items"]}
    assert items[1]["status"] == "done" and items[2]["status"] == "invalid"
    assert items[3]["error"].startswith("modle: unknown field")


def test_empty_file_and_bad_template_are_usage_errors(remote: EmulatorServer) -> None:
    write("prompts.txt", "# only a comment\n")
    assert batch("prompts.txt", *FAST).exit_code == ExitCode.USAGE
    write("prompts.txt", "a boat\n")
    res = batch("prompts.txt", "--name", "{oops}", *FAST)
    assert res.exit_code == ExitCode.USAGE and "unknown field" in res.stderr
    assert batch("missing.txt").exit_code == ExitCode.USAGE
    assert remote.stats.total_requests == 0


def test_budget_preflight_refuses_the_whole_batch_before_any_create(remote: EmulatorServer) -> None:
    assert runner.invoke(app, ["config", "set", "budget.monthly_usd", "1"]).exit_code == 0
    write("prompts.txt", "a boat\nan owl\na fox\n")  # 3 x 0.40 = 1.20 > 1.00
    res = batch("prompts.txt", *FAST)
    assert res.exit_code == ExitCode.BUDGET_REFUSED
    assert "refused" in res.stderr and "1.20 USD" in res.stderr and "--monthly" in res.stderr
    assert remote.stats.total_requests == 0
    dry = batch("prompts.txt", "--dry-run", *FAST)
    assert dry.exit_code == ExitCode.BUDGET_REFUSED and "would be refused" in dry.stdout
    assert "monthly limit" in dry.stderr and "--monthly 2" in dry.stderr


def test_max_cost(remote: EmulatorServer) -> None:
    write("prompts.txt", "a boat\nan owl\n")
    res = batch("prompts.txt", "--max-cost", "0.5", *FAST)
    assert res.exit_code == ExitCode.BUDGET_REFUSED and "--max-cost" in res.stderr
    assert remote.stats.total_requests == 0
    ok = batch("prompts.txt", "--max-cost", "0.80", *FAST)
    assert ok.exit_code == 0, ok.stderr
    # a resumed batch only counts what it still has to make
    write("prompts.txt", "a boat\nan owl\na fox\n")
    assert batch("prompts.txt", "--max-cost", "0.40", *FAST).exit_code == 0
    assert remote.stats.creates_received == 3


def test_a_second_run_of_the_same_batch_is_refused_while_one_runs(remote: EmulatorServer) -> None:
    from video_gen.batch import identity, lock

    path = write("prompts.txt", "a boat\n")
    with lock.exclusive(identity.batch_id(path, "", None)):
        res = batch("prompts.txt", *FAST)
    assert res.exit_code == ExitCode.USAGE and "already running" in res.stderr
    assert remote.stats.total_requests == 0


def test_items_may_name_their_provider_and_config_sets_concurrency(remote: EmulatorServer) -> None:
    assert runner.invoke(app, ["config", "set", "defaults.concurrency", "3"]).exit_code == 0
    write(
        "mixed.jsonl",
        "\n".join(
            [
                json.dumps({"prompt": "on the default provider", "name": "remote"}),
                json.dumps(
                    {"prompt": "on the built-in emulator", "name": "local", "provider": "emulator"}
                ),
            ]
        ),
    )
    res = batch("mixed.jsonl", "--json", *FAST)
    assert res.exit_code == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["concurrency"]["requested"] == 3
    providers = {i["name"]: i["provider"] for i in data["items"]}
    assert providers == {"remote": "openai", "local": "emulator"}
    assert remote.stats.creates_received == 1  # the other went to the in-process emulator
    assert Path("out/remote.mp4").exists() and Path("out/local.mp4").exists()


def test_a_timed_out_job_is_left_running_and_a_rerun_reattaches_to_it(
    remote: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from video_gen import deadline

    monkeypatch.setattr(deadline, "MIN_TIMEOUT", 0.1)  # a deadline that passes at once
    write("prompts.txt", "a slow boat\n")
    res = batch("prompts.txt", "--timeout", "0.2", *FAST)
    assert res.exit_code == ExitCode.PARTIAL_FAILURE
    item = manifest()["items"][0]
    assert item["status"] == "unfinished" and "did not finish within" in item["error"]
    assert "resume with: video-gen batch prompts.txt" in res.stdout
    again = batch("prompts.txt", *FAST)
    assert again.exit_code == 0, again.stderr
    assert "[1] re-attached to " + item["job_id"] in again.stderr
    assert remote.stats.creates_received == 1
    assert manifest()["items"][0]["status"] == "done"


def test_terminal_display_shows_rows_and_final_lines(
    remote: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import video_gen.cli.ui

    monkeypatch.setattr(video_gen.cli.ui, "stderr_is_terminal", lambda: True)
    write("prompts.txt", "a boat\nan owl\n")
    res = batch("prompts.txt", *FAST)
    assert res.exit_code == 0, res.stderr
    assert "✓ 1: saved out/001-a-boat.mp4 (0.40 USD)" in res.stderr
    assert "2 done, 0 failed, 0 running, 0.80 USD" in res.stderr
    assert "[1]" not in res.stderr  # no plain lines on a terminal


def test_a_named_item_keeps_its_identity_when_its_prompt_changes(remote: EmulatorServer) -> None:
    write("story.jsonl", '{"prompt": "a boat", "name": "intro"}\n')
    assert batch("story.jsonl", *FAST).exit_code == 0
    write("story.jsonl", '{"prompt": "a boat at night", "name": "intro"}\n')
    res = batch("story.jsonl", *FAST)
    assert res.exit_code == 0 and remote.stats.creates_received == 1
    assert "item 'intro' was made with other parameters" in res.stderr
