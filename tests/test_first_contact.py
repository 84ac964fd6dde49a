"""What a new user meets first: help that reads like the docs, every environment variable
documented, and the small things found on first contact (each test names its item)."""

from __future__ import annotations

import re
from pathlib import Path

import typer
from typer.testing import CliRunner

from video_gen.cli import app
from video_gen.exit_codes import ExitCode

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


def _paths(typer_app: typer.Typer) -> list[list[str]]:
    out: list[list[str]] = []

    def walk(cmd: object, path: list[str]) -> None:
        out.append(path)
        for name, sub in sorted(getattr(cmd, "commands", {}).items()):
            walk(sub, [*path, name])

    walk(typer.main.get_command(typer_app), [])
    return out


def test_help_names_arguments_in_capitals_and_flags_without_a_type() -> None:
    seen_arguments = set()
    for path in _paths(app):
        res = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "200"})
        assert res.exit_code == 0, path
        assert "<bool>" not in res.stdout, f"`{' '.join(path)} --help` shows <bool>"
        usage = next(line for line in res.stdout.splitlines() if "Usage:" in line)
        assert "{" not in usage and "}" not in usage, usage
        after = usage.split("[OPTIONS]", 1)[1] if "[OPTIONS]" in usage else ""
        for word in re.findall(r"[A-Za-z_]+", after.replace("COMMAND", "")):
            assert word == word.upper(), f"usage of `{' '.join(path)}`: {usage.strip()}"
            seen_arguments.add(word)
    assert {"JOB_ID", "PROMPT"} <= seen_arguments


def test_every_environment_variable_in_the_code_is_in_configuration_md() -> None:
    doc = (ROOT / "docs" / "configuration.md").read_text()
    names = set()
    for source in (ROOT / "video_gen").rglob("*.py"):
        names |= set(re.findall(r"\bVIDEO_GEN_[A-Z0-9_]*[A-Z0-9]\b", source.read_text()))
    assert len(names) >= 15  # the search found them
    missing = sorted(n for n in names if f"`{n}`" not in doc)
    assert not missing, f"not in docs/configuration.md: {missing}"


def test_batch_timeout_exits_10_as_its_help_says(remote: object) -> None:
    Path("p.txt").write_text("a kite\n")
    res = runner.invoke(app, ["batch", "p.txt", "--timeout", "0.05", "--output-dir", "out"])
    assert res.exit_code == ExitCode.PARTIAL_FAILURE, res.stderr
    helptext = runner.invoke(app, ["batch", "--help"], env={"COLUMNS": "300"}).stdout
    line = next(x for x in helptext.splitlines() if "--timeout" in x)
    assert "exits 10" in line and "Exit 6" not in line


def test_a_short_flag_names_one_option_per_command() -> None:
    for path in _paths(app):
        cmd = typer.main.get_command(app)
        for name in path:
            cmd = cmd.commands[name]  # type: ignore[attr-defined]
        shorts = [o for p in getattr(cmd, "params", []) for o in p.opts if not o.startswith("--")]
        assert len(shorts) == len(set(shorts)), f"`{' '.join(path)}`: {sorted(shorts)}"


def test_prompt_from_repo_dash_o_writes_the_file(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "app.py").write_text('def greet(name):\n    """Say hello."""\n    return name\n')
    res = runner.invoke(app, ["prompt-from-repo", str(repo), "-o", "x.txt"])
    assert res.exit_code == 0, res.stderr
    assert Path("x.txt").read_text().strip()


def test_snapshot_models_are_priced_and_checked_as_their_base_model() -> None:
    from video_gen import capabilities, pricing
    from video_gen.providers import kinds
    from video_gen.types import GenerationRequest

    table = pricing.rows([])
    for snapshot, base, size in (
        ("sora-2-2025-10-06", "sora-2", "720x1280"),
        ("sora-2-pro-2025-10-06", "sora-2-pro", "1792x1024"),
        ("sora-2-2025-12-08", "sora-2", "1280x720"),
    ):
        row = pricing.find("openai-videos", snapshot, size, table)
        assert row is not None and row == pricing.find("openai-videos", base, size, table)
        request = GenerationRequest(prompt="a kite", model=snapshot, seconds=8, size=size)
        assert pricing.estimate(request, "openai-videos", table).usd == row.cost(8)
        caps = capabilities.packaged(snapshot, kinds.get("openai-videos"))
        assert caps is not None and caps.model == snapshot
    assert capabilities.snapshot_base("sora-2") == "sora-2"
    assert pricing.find("openai-videos", "sora-3-2025-10-06", "720x1280", table) is None
    res = runner.invoke(
        app, ["generate", "a kite", "--provider", "emulator", "--model", "sora-2-2025-10-06",
              "--dry-run"],
    )  # fmt: skip
    assert res.exit_code == 0, res.stderr


def test_generate_does_not_offer_batch_only_name_fields() -> None:
    res = runner.invoke(app, ["generate", "a kite", "--provider", "emulator", "--name", "{oops}"])
    assert res.exit_code == ExitCode.USAGE
    assert "{n}" not in res.stderr and "{name}" not in res.stderr and "{slug}" in res.stderr
    res = runner.invoke(app, ["generate", "a kite", "--provider", "emulator", "--name", "{n}"])
    assert res.exit_code == ExitCode.USAGE and "only a batch item has: {n}" in res.stderr
    helptext = runner.invoke(app, ["generate", "--help"], env={"COLUMNS": "300"}).stdout
    assert "{n}" not in helptext and "{name}" not in helptext


def test_config_init_force_keeps_a_backup_and_says_so() -> None:
    import stat

    from fakekeys import fake_key

    from video_gen.config import Config

    key = fake_key("kept")
    config = Config.load()
    config.set("api.key", key)
    config.set("budget.monthly_usd", 12.5)
    config.save()
    before = config.path.read_text()
    res = runner.invoke(app, ["config", "init", "--force"])
    assert res.exit_code == 0, res.stderr
    (backup,) = config.path.parent.glob("config.toml.bak-*")
    assert backup.read_text() == before  # nothing lost
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert str(backup) in res.stderr and "api.key" in res.stderr
    assert "budget.monthly_usd" in res.stderr and key not in res.stderr + res.stdout
    assert Config.load().raw("api.key") is None  # the new file is the template
    again = runner.invoke(app, ["config", "init", "--force"])
    assert again.exit_code == 0 and len(list(config.path.parent.glob("config.toml.bak-*"))) == 2


def test_budget_per_model_table_counts_released_jobs_apart_from_failed() -> None:
    from video_gen.ledger import open_ledger
    from video_gen.ledger.budget import BudgetLimits
    from video_gen.types import Estimate, GenerationRequest

    request = GenerationRequest(
        prompt="a kite", model="sora-2", seconds=4, size="720x1280", provider="openai"
    )
    limits = BudgetLimits(monthly_usd=50.0)
    with open_ledger() as ledger:
        ids = [
            ledger.reserve(
                request, Estimate(0.4, 0.1, "test"), limits,
                provider_kind="openai-videos", command="generate",
            ).local_id
            for _ in range(3)
        ]  # fmt: skip
        ledger.failed(ids[0], "failed", "server_error", "boom")
        ledger.released(ids[1], "create refused")
        ledger.released(ids[2], "create refused")
    res = runner.invoke(app, ["budget"], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.stderr
    out = res.stdout + res.stderr
    header = next(line for line in out.splitlines() if "provider/model" in line).split("┃")
    row = next(line for line in out.splitlines() if "openai/sora-2" in line).split("│")
    cells = {h.strip(): c.strip() for h, c in zip(header, row, strict=True)}
    assert cells["failed"] == "1" and cells["released"] == "2"


def test_download_of_a_downloaded_job_says_where_it_is(remote: object) -> None:
    import json

    made = runner.invoke(app, ["generate", "a kite", "--json"])
    assert made.exit_code == 0, made.stderr
    data = json.loads(made.stdout)
    saved = Path(data["file"])
    res = runner.invoke(app, ["download", data["job_id"]])
    assert res.exit_code == 0, res.stderr
    assert res.stdout.strip() == str(saved) and "already downloaded" in res.stderr
    assert "--force" in res.stderr
    assert sorted(p.name for p in saved.parent.iterdir()) == [saved.name]  # no second copy
    again = runner.invoke(app, ["download", data["job_id"], "--force"])
    assert again.exit_code == 0, again.stderr
    assert len(list(saved.parent.iterdir())) == 2
    for old in saved.parent.iterdir():
        old.unlink()  # gone from disk: downloaded again without --force
    back = runner.invoke(app, ["download", data["job_id"], "--output-dir", "back"])
    assert back.exit_code == 0 and Path(back.stdout.strip()).parent.name == "back"


def test_the_ffmpeg_fix_for_a_wrong_size_reference_keeps_proportions(tmp_path: Path) -> None:
    import re as regex
    from fractions import Fraction

    import av
    import pytest
    from PIL import Image

    from video_gen.capabilities import check_reference_image
    from video_gen.errors import UsageError

    # A 640x480 picture: red in its left quarter, blue elsewhere.
    picture = Image.new("RGB", (640, 480), "blue")
    picture.paste((255, 0, 0), (0, 0, 160, 480))
    picture.save(tmp_path / "ref.png")
    with pytest.raises(UsageError) as err:
        check_reference_image(tmp_path / "ref.png", 720, 1280)
    filters = regex.findall(r'-vf "([^"]+)"', err.value.hint or "")
    assert len(filters) == 2  # crop, then pad
    for chain in filters:
        graph = av.filter.Graph()
        node = graph.add_buffer(width=640, height=480, format="rgb24", time_base=Fraction(1, 25))
        first = node
        for step in chain.split(","):
            name, _, args = step.partition("=")
            nxt = graph.add(name, args)
            node.link_to(nxt)
            node = nxt
        sink = graph.add("buffersink")
        node.link_to(sink)
        graph.configure()
        frame = av.VideoFrame.from_image(picture)
        first.push(frame)
        out = sink.pull().to_image().convert("RGB")
        assert out.size == (720, 1280)
        # Proportions kept. A stretch to 720x1280 would show red in the left quarter of
        # every row (up to x=180) and no black bars.
        if "crop" in chain:
            # Scaled to cover (1707x1280), the middle 720 columns start at x=493: past the red
            # quarter (up to x=427), so the whole frame is blue.
            row = [out.getpixel((x, 640)) for x in range(0, 720, 8)]
            assert all(p[2] > 200 and p[0] < 60 for p in row)
        else:
            # Scaled to fit (720x540), centred: black bars above and below; red up to x=180.
            assert max(out.getpixel((360, 100))) < 20 and max(out.getpixel((360, 1180))) < 20
            assert out.getpixel((100, 640))[0] > 200 and out.getpixel((620, 640))[2] > 200


def test_the_foreground_emulator_logs_one_line_per_request() -> None:
    import os
    import signal
    import subprocess
    import sys

    import requests

    for quiet in (False, True):
        proc = subprocess.Popen(
            [sys.executable, "-m", "video_gen", "emulator", "--port", "0"]
            + (["--quiet"] if quiet else []),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        try:
            base = (proc.stdout.readline() if proc.stdout else "").strip()
            assert base.startswith("http://127.0.0.1:")
            key = {"Authorization": "Bearer sk-test-0000000000"}
            assert requests.get(f"{base}/videos", headers=key, timeout=10).status_code == 200
            assert requests.get(f"{base}/videos/nope", headers=key, timeout=10).status_code == 404
        finally:
            proc.send_signal(signal.SIGINT)
            _, err = proc.communicate(timeout=20)
        lines = [x for x in err.splitlines() if "/videos" in x and "->" in x]
        if quiet:
            assert lines == []
        else:
            assert len(lines) == 2
            assert lines[0].endswith("GET /v1/videos -> 200")
            assert lines[1].endswith("GET /v1/videos/nope -> 404")
            assert "sk-test" not in err


def test_history_rows_stay_on_one_line_at_160_columns(remote: object) -> None:
    import json

    deep = "out/" + "/".join(["a-rather-long-folder-name"] * 4)
    for prompt in ("a paper boat sails down a rainy street at dusk", "an owl"):
        res = runner.invoke(app, ["generate", prompt, "--output-dir", deep, "--json"])
        assert res.exit_code == 0, res.stderr
        name = Path(json.loads(res.stdout)["file"]).name
    table = runner.invoke(app, ["history"], env={"COLUMNS": "160"})
    assert table.exit_code == 0, table.stderr
    lines = [line for line in table.stdout.splitlines() if line.strip()]
    assert all(len(line) <= 160 for line in lines)
    # a header, its rule, one line per job: nothing folded onto a second line
    assert len(lines) == 4, table.stdout
    row = next(line for line in lines if "an owl" in line)
    assert name[:20] in row and "a-rather-long-folder-name" not in row


def test_a_batch_problem_suggests_the_fix_that_works() -> None:
    import re as regex

    # The line sets seconds: the line's value wins over --seconds, so the fix names the line.
    Path("b.jsonl").write_text('{"prompt": "a kite", "seconds": 5}\n')
    res = runner.invoke(app, ["batch", "b.jsonl", "--provider", "emulator", "--dry-run"])
    assert res.exit_code == ExitCode.USAGE
    assert "use --seconds" not in res.stderr and "set seconds to 4 on line 1" in res.stderr
    flagged = runner.invoke(
        app, ["batch", "b.jsonl", "--provider", "emulator", "--dry-run", "--seconds", "4"]
    )
    assert flagged.exit_code == ExitCode.USAGE  # the line's 5 still wins, as the fix said
    Path("b.jsonl").write_text('{"prompt": "a kite", "seconds": 4}\n')
    ok = runner.invoke(app, ["batch", "b.jsonl", "--provider", "emulator", "--dry-run"])
    assert ok.exit_code == 0, ok.stderr
    # The value came from the flag: the flag the fix names works.
    Path("c.jsonl").write_text('{"prompt": "a kite"}\n')
    bad = runner.invoke(
        app, ["batch", "c.jsonl", "--provider", "emulator", "--dry-run", "--seconds", "5"]
    )
    suggested = regex.search(r"use --seconds (\d+)", bad.stderr)
    assert bad.exit_code == ExitCode.USAGE and suggested
    fixed = runner.invoke(
        app,
        ["batch", "c.jsonl", "--provider", "emulator", "--dry-run", "--seconds", suggested[1]],
    )
    assert fixed.exit_code == 0, fixed.stderr


def test_every_error_line_has_a_fix() -> None:
    import ast
    import contextlib
    import io

    from video_gen import errors
    from video_gen.cli.errors import handle_errors
    from video_gen.exit_codes import FIXES, ExitCode

    assert set(FIXES) == set(ExitCode) - {ExitCode.OK}
    # Statically: the errors a user makes (usage, config, budget ...) are raised with a fix.
    needs_hint = {"UsageError", "ConfigError", "BudgetError", "UnsupportedOperationError"}
    missing = []
    for source in (ROOT / "video_gen").rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                func = node.exc.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                hinted = any(k.arg == "hint" for k in node.exc.keywords)
                if name in needs_hint and not hinted and len(node.exc.args) < 2:
                    missing.append(f"{source.relative_to(ROOT)}:{node.lineno}")
    assert not missing, f"raised without a fix: {missing}"
    # At run time: whatever error escapes, its line reads "error: ...; fix: ...".
    typer_mod = typer
    for exc in (
        errors.UsageError("bad"),
        errors.APIError("refused", status=400),
        errors.JobFailedError("video_1", "failed", None, None),
        KeyboardInterrupt(),
    ):

        def boom(exc: BaseException = exc) -> None:
            raise exc

        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.suppress(typer_mod.Exit):
            handle_errors(boom)()
        line = err.getvalue()
        assert line.count("\n") == 1 and line.startswith("error: ") and "; fix: " in line, line
