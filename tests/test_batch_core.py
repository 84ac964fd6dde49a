"""The batch core without the CLI: parsing, identities, resume decisions, the adaptive limit,
the budget forecast, and the engine's budget stop against a loopback emulator."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from video_gen.batch import identity, items, preflight, state
from video_gen.batch.concurrency import AdaptiveLimit
from video_gen.batch.runner import (
    DONE,
    PENDING,
    REFUSED,
    Backend,
    BatchEngine,
    initial_states,
)
from video_gen.batch.validate import Defaults, Item, ProviderInfo, validate
from video_gen.config import Config
from video_gen.emulator import EmulatorServer
from video_gen.errors import BudgetError, UsageError
from video_gen.jobs import RunOptions
from video_gen.ledger import BudgetLimits, FileRecord, JobView, Ledger
from video_gen.types import Estimate, GenerationRequest


# -- parsing -------------------------------------------------------------------------------
def test_txt_skips_blank_lines_and_comments_and_keeps_line_numbers() -> None:
    parsed = items.parse(
        "# title\n\nfirst prompt\n  # indented comment\n  second  \n", "txt", "p.txt"
    )
    assert [(i.line, i.prompt) for i in parsed.items] == [(3, "first prompt"), (5, "second")]
    assert parsed.problems == []


def test_jsonl_fields_types_and_problems_name_line_and_field() -> None:
    text = "\n".join(
        [
            '{"prompt": "a", "name": "intro", "seconds": "8", "size": "1280x720"}',
            '"just a prompt"',
            '{"prompt": "b", "secs": 4}',
            '{"prompt": "c", "seconds": 4.5}',
            "{not json",
            '{"name": "no prompt"}',
            "[1, 2]",
            '{"prompt": ["x"]}',
        ]
    )
    parsed = items.parse(text, "jsonl", "s.jsonl")
    assert [(i.line, i.name, i.seconds, i.size) for i in parsed.items] == [
        (1, "intro", 8, "1280x720"),
        (2, None, None, None),
    ]
    found = [(p.line, p.field) for p in parsed.problems]
    assert found == [
        (3, "secs"),
        (4, "seconds"),
        (5, None),
        (6, "prompt"),
        (7, None),
        (8, "prompt"),
    ]
    assert str(parsed.problems[0]).startswith("s.jsonl:3: secs: unknown field")


def test_csv_header_quoted_newlines_bom_and_empty_cells() -> None:
    text = '\ufeffPrompt,name,seconds\n"a boat,\nin rain",boat,8\n\nan owl,,\n'
    parsed = items.parse(text.removeprefix("\ufeff"), "csv", "s.csv")
    assert [(i.line, i.prompt, i.name, i.seconds) for i in parsed.items] == [
        (2, "a boat,\nin rain", "boat", 8),
        (5, "an owl", None, None),
    ]
    bad = items.parse("name,seconds\nx,4\n", "csv", "s.csv")
    assert bad.items == [] and "no prompt column" in bad.problems[0].message


@pytest.mark.parametrize(
    ("name", "flag", "text", "expected"),
    [
        ("a.txt", None, "", "txt"),
        ("a.JSONL", None, "", "jsonl"),
        ("a.csv", None, "", "csv"),
        ("a.md", "txt", "", "txt"),
        (None, None, '{"prompt": 1}', "jsonl"),
        (None, None, "hi", "txt"),
    ],
)
def test_format_detection(name: str | None, flag: str | None, text: str, expected: str) -> None:
    assert items.detect_format(Path(name) if name else None, flag, text) == expected


def test_unknown_extension_asks_for_format() -> None:
    with pytest.raises(UsageError, match="extension") as info:
        items.detect_format(Path("a.md"), None, "")
    assert "--format" in (info.value.hint or "")


# -- identity --------------------------------------------------------------------------------
def _lookup(config: Config) -> Any:
    from video_gen import pricing
    from video_gen.providers import capabilities_for, spec_for

    def lookup(name: str | None) -> ProviderInfo:
        spec = spec_for(config, name or "openai")
        return ProviderInfo(
            spec.name, spec.kind, config, spec, lambda m: capabilities_for(spec, m), pricing.rows()
        )

    return lookup


def _items(text: str, fmt: str = "txt") -> list[Item]:
    parsed = items.parse(text, fmt, "t")
    checked = validate(
        parsed.items, Defaults(), _lookup(Config.load()), source="t", base_dir=Path.cwd()
    )
    assert checked.problems == []
    return checked.items


def test_keys_survive_inserted_lines_and_tell_duplicates_apart() -> None:
    before = _items("a boat\nan owl\nan owl\n")
    after = _items("a new first line\na boat\nan owl\nan owl\n")
    assert [i.key for i in before] == [i.key for i in after[1:]]
    assert len({i.key for i in before}) == 3
    assert _items("a boat\n")[0].key != _items("a boat!\n")[0].key
    named = _items('{"prompt": "x", "name": "intro"}', "jsonl")[0]
    assert named.key == "name:intro" and named.n == "001"


def test_batch_id_from_path_or_text_or_flag(tmp_path: Path) -> None:
    path = tmp_path / "My Prompts.txt"
    assert identity.batch_id(path, "", None) == identity.batch_id(path, "other text", None)
    assert identity.batch_id(path, "", None).startswith("my-prompts-")
    assert identity.batch_id(None, "abc", None) != identity.batch_id(None, "abd", None)
    assert identity.batch_id(path, "", "launch-v2") == "launch-v2"
    with pytest.raises(UsageError, match="batch-id"):
        identity.batch_id(path, "", "../x")


def test_validation_names_the_field() -> None:
    parsed = items.parse(
        '{"prompt": "a", "seconds": 5}\n{"prompt": "b", "size": "big"}\n'
        '{"prompt": "c", "provider": "nope"}\n{"prompt": "d", "model": "m9"}\n'
        '{"prompt": "e", "input_reference": "missing.png"}\n'
        '{"prompt": "f", "name": "x"}\n{"prompt": "g", "name": "x"}\n',
        "jsonl",
        "f.jsonl",
    )
    checked = validate(
        parsed.items, Defaults(), _lookup(Config.load()), source="f.jsonl", base_dir=Path.cwd()
    )
    assert [(p.line, p.field) for p in checked.problems] == [
        (1, "seconds"),
        (2, "size"),
        (3, "provider"),
        (4, "model"),
        (5, "input_reference"),
        (7, "name"),
    ]
    assert [i.line for i in checked.items] == [6]


# -- resume decisions ------------------------------------------------------------------------
def _view(
    key: str,
    *,
    remote: str | None = "video_1",
    status: str = "completed",
    in_flight: bool = False,
    ended: str | None = "completed",
    files: list[FileRecord] | None = None,
    message: str | None = None,
) -> JobView:
    now = datetime.now(timezone.utc)
    events = [{"kind": "reserved"}] + ([{"kind": ended}] if ended else [])
    return JobView(
        local_id="j1",
        remote_id=remote,
        provider="openai",
        provider_kind="openai-videos",
        model="sora-2",
        seconds=4,
        size="720x1280",
        prompt="p",
        params={},
        status=status,
        progress=None,
        created_at=now,
        updated_at=now,
        estimate_usd=0.4,
        actual_usd=None,
        charged_usd=None if in_flight else (0.4 if ended == "completed" else 0.0),
        in_flight=in_flight,
        files=files or [],
        events=events,
        batch_id="b",
        item_key=key,
        command="batch",
        error_code=None,
        error_message=message,
    )


def test_decisions_follow_the_ledger() -> None:
    a, b, c, d, e, f, g = _items("a\nb\nc\nd\ne\nf\ng\n")
    good = FileRecord("video", Path("/x/a.mp4"), "aa", 1)
    jobs = [
        _view(a.key, files=[good]),
        _view(b.key, files=[FileRecord("video", Path("/x/b.mp4"), "bb", 1)]),
        _view(c.key, status="in_progress", in_flight=True, ended=None),
        _view(d.key, remote=None, status="reserved", in_flight=True, ended=None),
        _view(e.key, status="failed", ended="failed", message="boom"),
        _view(f.key, status="released", ended="released", message=state.ORPHAN_RELEASE + "; x"),
    ]

    def file_ok(path: Path, sha: str) -> bool:
        return path == good.path and sha == "aa"

    got = [x.action for x in state.decide([a, b, c, d, e, f, g], jobs, file_ok=file_ok)]
    assert got == [
        state.Action.SKIP,
        state.Action.REDOWNLOAD,
        state.Action.REATTACH,
        state.Action.RECOVER,
        state.Action.FAILED,
        state.Action.SUBMIT,
        state.Action.SUBMIT,
    ]
    retried = state.decide([e], jobs, retry_failed=True, file_ok=file_ok)[0]
    assert retried.action is state.Action.SUBMIT


# -- adaptive concurrency --------------------------------------------------------------------
def test_aimd_halves_once_per_wave_holds_and_recovers() -> None:
    now = [0.0]
    limit = AdaptiveLimit(8, clock=lambda: now[0])
    assert limit.rate_limited(2.0) is not None and limit.current == 4
    assert limit.rate_limited(2.0) is None and limit.current == 4  # same wave
    assert limit.hold() == pytest.approx(2.0)
    now[0] = 2.5
    limit.rate_limited(None)
    assert limit.current == 2 and limit.hold() == pytest.approx(1.0)  # default hold
    now[0] = 10.0
    for _ in range(2):
        limit.succeeded()
    assert limit.current == 3
    for _ in range(3 + 4 + 5 + 6 + 7):
        limit.succeeded()
    assert limit.current == 8 and limit.lowest == 2 and limit.rate_limited_count == 3
    one = AdaptiveLimit(1)
    one.rate_limited(0)
    assert one.current == 1


# -- the budget forecast ---------------------------------------------------------------------
def _month(remaining: float) -> Any:
    from dataclasses import replace

    return replace(Ledger().month(limits=BudgetLimits(monthly_usd=50)), remaining_usd=remaining)


def test_forecast_refuses_over_month_per_video_and_max_cost() -> None:
    batch = state.decide(_items("a\nb\nc\n"), [])
    ok = preflight.forecast(batch, _month(5.0), BudgetLimits(monthly_usd=50))
    assert ok.fits and ok.total_usd == pytest.approx(1.2) and ok.new_jobs == 3
    tight = preflight.forecast(batch, _month(1.0), BudgetLimits(monthly_usd=50))
    assert not tight.fits and "1.20 USD" in (tight.refusal or "") and "--monthly" in tight.hint
    with pytest.raises(BudgetError):
        tight.check()
    capped = preflight.forecast(batch, _month(5.0), BudgetLimits(monthly_usd=50), max_cost=1.0)
    assert "--max-cost" in (capped.refusal or "")
    per = preflight.forecast(batch, _month(5.0), BudgetLimits(monthly_usd=50, per_video_usd=0.3))
    assert "per-video" in (per.refusal or "")


# -- the engine ------------------------------------------------------------------------------
class RefusingLedger(Ledger):
    """Refuses the n-th reservation, as a parallel batch taking the money first would."""

    def __init__(self, refuse_at: int) -> None:
        super().__init__()
        self.calls = 0
        self.refuse_at = refuse_at

    def reserve(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        if self.calls == self.refuse_at:
            raise BudgetError("refused: over the monthly limit", hint="raise it")
        return super().reserve(*args, **kwargs)


def test_engine_stops_submitting_when_a_reservation_is_refused(tmp_path: Path) -> None:
    from video_gen.client.videos import VideosClient
    from video_gen.pricing import rows
    from video_gen.providers.openai_videos import OpenAIVideosProvider

    batch_items = _items("a\nb\nc\nd\n")
    ledger = RefusingLedger(refuse_at=2)
    with EmulatorServer(job_seconds=0.3) as srv:
        provider = OpenAIVideosProvider("openai", VideosClient.connect(srv.base_url, "k"))
        states = initial_states(state.decide(batch_items, []))
        engine = BatchEngine(
            states,
            backends={"openai": Backend(provider, rows())},
            ledger=ledger,
            limits=BudgetLimits(monthly_usd=50),
            options_for=lambda item: RunOptions(
                output_dir=tmp_path,
                poll_interval=0.1,
                name_template="{n}",
                name_values={"n": item.n},
                command="batch",
                batch_id="b",
                item_key=item.key,
            ),
            concurrency=AdaptiveLimit(1),
        )
        result = engine.run()
        provider.close()
        assert srv.stats.creates_received == 1
    assert [s.status for s in result.states] == [DONE, REFUSED, PENDING, PENDING]
    assert result.budget_stopped and int(result.exit_code) == 10
    assert "not started" in (result.states[2].error or "")


def test_request_type_is_what_validation_resolves() -> None:
    item = _items('{"prompt": "x", "seconds": 8}', "jsonl")[0]
    assert isinstance(item.request, GenerationRequest) and item.request.seconds == 8
    assert isinstance(item.estimate, Estimate) and item.estimate.usd == pytest.approx(0.8)
