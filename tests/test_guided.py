"""The first run and the guided flow, driven on a real pseudo-terminal (pexpect) as a user types,
and the same commands without a terminal (CI, a pipe): they never ask, they fail at once."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pexpect
import pytest
from fakekeys import fake_key
from typer.testing import CliRunner

from video_gen.cli import app
from video_gen.config import Config
from video_gen.emulator import EmulatorServer
from video_gen.exit_codes import ExitCode
from video_gen.ledger import Ledger

runner = CliRunner()


def spawn(*args: str, **env: str) -> pexpect.spawn:
    """video-gen on a pseudo-terminal, in the test's home and folder, never in "CI"."""
    environ = {k: v for k, v in os.environ.items() if k not in ("CI", "GITHUB_ACTIONS")}
    environ.update(TERM="xterm", COLUMNS="160", **env)
    return pexpect.spawn(
        sys.executable,
        ["-m", "video_gen", *args],
        env=environ,
        cwd=os.getcwd(),
        encoding="utf-8",
        timeout=60,
        dimensions=(40, 160),
    )


def finish(child: pexpect.spawn) -> tuple[str, int]:
    child.expect(pexpect.EOF)
    child.close()
    return child.before or "", child.exitstatus if child.exitstatus is not None else -1


def no_jobs() -> bool:
    with Ledger() as ledger:
        return not ledger.jobs()


def test_first_run_on_a_terminal_offers_the_choices_and_stores_the_emulator(
    tmp_path: Path,
) -> None:
    config = Config.load()
    config.path.parent.mkdir(parents=True, exist_ok=True)
    config.path.write_text("# my notes: keep me\n[budget]\nmonthly_usd = 20.0\n")
    child = spawn("generate", "a paper boat in the rain", "--quiet")
    child.expect("switched off on 2026-09-24")
    child.expect("OpenRouter")
    child.expect("LiteLLM, vLLM-Omni or SGLang")
    child.expect("built-in emulator")
    child.expect(r"Where should videos be made\?")
    child.sendline("3")
    child.expect(f"now the default, in {config.path}")
    out, code = finish(child)
    assert code == 0, out
    saved = Path(out.strip().splitlines()[-1].strip())
    assert saved.is_file() and saved.read_bytes()[4:8] == b"ftyp"
    text = config.path.read_text()
    assert "# my notes: keep me" in text and "monthly_usd = 20.0" in text
    assert Config.load().raw("defaults.provider") == "emulator"
    # The choice holds: the next run asks nothing.
    again = runner.invoke(app, ["generate", "a kite", "--quiet"])
    assert again.exit_code == 0, again.stderr
    assert "switched off" not in again.stderr


def test_first_run_stores_a_videos_server_with_its_url_and_key(emulator: EmulatorServer) -> None:
    key = fake_key("server")
    child = spawn("generate", "a paper boat in the rain", "--quiet")
    child.expect(r"Where should videos be made\?")
    child.sendline("2")
    child.expect("Server URL")
    child.sendline("not a url")
    child.expect("not a server URL")
    out, code = finish(child)
    assert code == ExitCode.USAGE and no_jobs()
    child = spawn("generate", "a paper boat in the rain", "--quiet")
    child.expect(r"Where should videos be made\?")
    child.sendline("2")
    child.expect("Server URL")
    child.sendline(emulator.base_url)
    child.expect("input hidden")
    child.sendline(key)
    out, code = finish(child)
    assert code == 0, out
    assert key not in out
    config = Config.load()
    assert config.raw("defaults.provider") == "videos-server"
    assert config.raw("providers.videos-server.base_url") == emulator.base_url
    assert config.raw("providers.videos-server.api_key") == key
    assert emulator.stats.creates_received == 1


def test_first_run_without_a_terminal_fails_at_once_naming_the_choices() -> None:
    res = runner.invoke(app, ["generate", "a kite"])
    assert res.exit_code == ExitCode.CONFIG
    line = res.stderr.strip()
    assert line.count("\n") == 0 and line.startswith("error: ")
    assert "switched off on 2026-09-24" in line and "; fix: " in line
    for choice in ("OpenRouter", "LiteLLM", "vLLM-Omni", "SGLang", "--provider emulator"):
        assert choice in line
    assert not Config.load().exists and no_jobs()
    # A batch is a spending command too.
    Path("b.jsonl").write_text('{"prompt": "a kite"}\n')
    res = runner.invoke(app, ["batch", "b.jsonl"])
    assert res.exit_code == ExitCode.CONFIG and "switched off" in res.stderr


def test_first_run_does_not_ask_when_a_provider_is_chosen(remote: EmulatorServer) -> None:
    # A key (and a /v1/videos server) in the environment, or --provider: nothing to ask.
    res = runner.invoke(app, ["generate", "a kite", "--quiet"])
    assert res.exit_code == 0, res.stderr
    res = runner.invoke(app, ["generate", "a kite", "--quiet", "--provider", "emulator"])
    assert res.exit_code == 0, res.stderr
    # A dry run spends nothing, so it does not ask either.
    res = runner.invoke(
        app, ["generate", "a kite", "--dry-run"], env={"OPENAI_BASE_URL": "", "OPENAI_API_KEY": ""}
    )
    assert res.exit_code == 0, res.stderr


def test_guided_flow_on_a_terminal_to_a_saved_video(tmp_path: Path) -> None:
    Path("notes.txt").write_text("not an image")
    child = spawn("generate", "--provider", "emulator")
    child.expect(r"Prompt \(what the video shows\)")
    child.sendline("   ")
    child.expect("the prompt is empty")
    child.expect("Prompt")
    child.sendline("a lighthouse at dusk")
    child.expect(r"Reference image for the first frame \(Enter skips\)")
    child.sendline("notes.txt")  # checked as --input-reference is, then asked again
    child.expect("error: ")
    child.expect("Reference image")
    child.sendline("")
    child.expect(r"Output folder .*\(videos\)")
    child.sendline("clips")
    child.expect("provider:  emulator")
    child.expect("model:     sora-2")
    child.expect("seconds:   4")
    child.expect("size:      720x1280")
    child.expect("save to:   clips")
    child.expect(r"cost:      0\.00 USD \(emulated")
    child.expect("budget left this month: 50.00 USD")
    child.expect(r"Generate\? \[Y/n\]")
    child.sendline("")
    child.expect(r"saved (\S+); charged 0\.00 USD; budget left this month 50\.00 USD")
    saved = Path(child.match.group(1))
    out, code = finish(child)
    assert code == 0, out
    assert saved.parent == tmp_path / "clips" and saved.is_file()
    assert saved.name.endswith("-a-lighthouse-at-dusk.mp4")
    assert saved.read_bytes()[4:8] == b"ftyp"


def test_guided_flow_declined_or_cancelled_pays_nothing() -> None:
    child = spawn("generate", "--provider", "emulator")
    child.expect("Prompt")
    child.sendline("a lighthouse at dusk")
    child.expect("Reference image")
    child.sendline("")
    child.expect("Output folder")
    child.sendline("")
    child.expect(r"Generate\? \[Y/n\]")
    child.sendline("n")
    out, code = finish(child)
    assert code == 0 and "nothing was sent" in out and no_jobs()
    child = spawn("generate", "--provider", "emulator")
    child.expect(r"Prompt \(what the video shows\): ")
    child.sendintr()
    out, code = finish(child)
    assert code == ExitCode.INTERRUPTED
    # The prompt's line is ended first, then one clean word.
    assert out.replace("\r", "").lstrip(" ^C").startswith("\ncancelled")
    assert "Traceback" not in out and no_jobs()


def test_guided_flow_never_starts_without_a_terminal() -> None:
    res = runner.invoke(app, ["generate", "--provider", "emulator"], input="a kite\n\n\ny\n")
    assert res.exit_code == ExitCode.USAGE
    assert res.stderr.startswith("error: a prompt is required") and "; fix: " in res.stderr
    assert "Prompt" not in res.stderr and no_jobs()
    # A pseudo-terminal in CI is no terminal either.
    child = spawn("generate", "--provider", "emulator", CI="true")
    out, code = finish(child)
    assert code == ExitCode.USAGE and "a prompt is required" in out and "Prompt (" not in out
    assert no_jobs()


def test_ctrl_c_at_the_key_prompt_ends_the_line_first(emulator: EmulatorServer) -> None:
    config = Config.load()
    config.set("providers.lab.kind", "openai-videos")
    config.set("providers.lab.base_url", emulator.base_url)
    config.save()
    child = spawn("generate", "a kite", "--provider", "lab")
    child.expect(r"input hidden; stored in \S+ with mode 0600\): ")
    child.sendintr()
    out, code = finish(child)
    assert code == ExitCode.INTERRUPTED
    assert out.replace("\r", "").lstrip(" ^C").startswith("\ncancelled")
    assert emulator.stats.creates_received == 0 and no_jobs()


@pytest.mark.parametrize("base_url", ["https://api.openai.com/v1", "http://localhost:4000/v1"])
def test_a_404_on_create_from_openai_says_sora_is_switched_off(base_url: str) -> None:
    from video_gen.errors import NotFoundError
    from video_gen.providers.openai_videos import OpenAIVideosProvider
    from video_gen.types import GenerationRequest

    class Client:
        def __init__(self) -> None:
            self.base_url = base_url
            self.http = type("Http", (), {"seen_headers": {}})()

        def create(self, **_: object) -> dict[str, object]:
            raise NotFoundError("Invalid URL (POST /v1/videos)", status=404, hint="check the id")

    provider = OpenAIVideosProvider("openai", Client())  # type: ignore[arg-type]
    request = GenerationRequest(prompt="a kite", model="sora-2", seconds=4, size="720x1280")
    with pytest.raises(NotFoundError) as err:
        provider.submit(request)
    if "api.openai.com" in base_url:
        assert "switched off on 2026-09-24" in str(err.value)
        assert "check the id" not in (err.value.hint or "")
        assert "OpenRouter" in (err.value.hint or "")
    else:
        assert err.value.hint == "check the id"


def test_first_run_stores_openrouter_with_a_priced_model() -> None:
    key = fake_key("or")
    child = spawn("generate", "a paper boat in the rain")
    child.expect(r"Where should videos be made\?")
    child.sendline("1")
    child.expect("input hidden")
    child.sendintr()  # cancelled at the key: nothing written
    out, code = finish(child)
    assert code == ExitCode.INTERRUPTED and not Config.load().exists
    child = spawn("generate", "a paper boat in the rain", "--dry-run")
    out, code = finish(child)
    assert code == 0 and "Where should videos be made" not in out  # a dry run never asks
    # A size no model makes: after the choice is stored, the request fails locally (exit 2),
    # so nothing is ever sent to openrouter.ai from a test.
    child = spawn("generate", "a paper boat in the rain", "--size", "13x7")
    child.expect(r"Where should videos be made\?")
    child.sendline("1")
    child.expect("input hidden")
    child.sendline(key)
    child.expect("now the default")
    out, code = finish(child)
    assert code == ExitCode.USAGE and key not in out
    config = Config.load()
    assert config.raw("defaults.provider") == "openrouter"
    assert config.raw("providers.openrouter.kind") == "openrouter"
    assert config.raw("providers.openrouter.api_key") == key
    dry = runner.invoke(app, ["generate", "a kite", "--dry-run"])
    assert dry.exit_code == 0, dry.stderr
    assert "openrouter" in dry.stdout and "google/veo-3.1-fast" in dry.stdout
