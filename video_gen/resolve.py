"""Resolving a request's parameters: flag > environment > provider's model > config > default."""

from __future__ import annotations

from pathlib import Path

from video_gen.config import Config
from video_gen.errors import UsageError
from video_gen.providers import ProviderSpec
from video_gen.types import GenerationRequest


def request(
    config: Config,
    spec: ProviderSpec,
    prompt: str,
    *,
    model: str | None = None,
    seconds: int | None = None,
    size: str | None = None,
    input_reference: Path | None = None,
    audio: bool | None = None,
    seed: int | None = None,
    last_frame: Path | None = None,
) -> GenerationRequest:
    """The request with every parameter resolved (``audio`` None: the model's default, which
    the estimate prices: see ``pricing.estimate``)."""
    return GenerationRequest(
        prompt=prompt,
        model=model or spec.model or str(config.value("defaults.model")),
        seconds=int(seconds if seconds is not None else config.value("defaults.seconds")),
        size=size or str(config.value("defaults.size")),
        input_reference=input_reference,
        provider=spec.name,
        audio=audio,
        seed=seed,
        last_frame=last_frame,
    )


def read_stdin(what: str) -> str:
    """All of stdin as UTF-8 text; a UsageError naming the line when it is not UTF-8 (a
    terminal or pipe in another encoding, a binary file piped in): read as bytes and decoded
    strictly, so undecodable bytes never reach a paid prompt or the ledger."""
    import sys

    buffer = getattr(sys.stdin, "buffer", None)
    if buffer is None:  # a text-only stdin (embedding): refuse what could not be decoded
        text = sys.stdin.read()
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            line = text[: exc.start].count("\n") + 1
            raise UsageError(
                f"{what} (stdin), line {line}: not UTF-8 text", hint="send UTF-8 text"
            ) from None
        return text
    data = buffer.read()
    try:
        return str(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise UsageError(
            f"{what} (stdin), line {line}: not UTF-8 text (byte {data[exc.start]:#04x})",
            hint="convert it first, e.g. iconv -f latin1 -t utf-8",
        ) from None


def read_prompt(prompt: str | None, prompt_file: Path | None, stdin_text: str | None = None) -> str:
    """The prompt from exactly one of: the argument, ``-`` (stdin), or ``--prompt-file``."""

    if prompt is not None and prompt_file is not None:
        raise UsageError(
            "give the prompt either as an argument or with --prompt-file, not both",
            hint="drop one of them",
        )
    if prompt_file is not None:
        try:
            text = prompt_file.read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(
                f"cannot read --prompt-file {prompt_file}: {exc.strerror}", hint="check the path"
            ) from None
        except UnicodeDecodeError:
            raise UsageError(
                f"--prompt-file {prompt_file} is not UTF-8 text", hint="save it as UTF-8"
            ) from None
    elif prompt == "-":
        text = stdin_text if stdin_text is not None else read_stdin("the prompt")
    elif prompt is not None:
        text = prompt
    else:
        raise UsageError(
            "no prompt given",
            hint='video-gen generate "a paper boat in the rain" (or --prompt-file'
            " FILE, or - to read stdin)",
        )
    text = text.strip()
    if not text:
        raise UsageError("the prompt is empty", hint="write a description of the video")
    return text


def output_dir(config: Config, flag: Path | None) -> Path:
    value = flag if flag is not None else Path(str(config.value("output.dir")))
    return value.expanduser()
