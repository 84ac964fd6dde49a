"""The guided flow of ``video-gen generate`` with no prompt, on a terminal: what is asked, the
defaults, how each answer is checked, and the summary and closing lines.

No Typer or Rich here: ``cli/generate_cmd.py`` asks the questions (Rich's Prompt and Confirm)
and shows what this module returns. Each check raises ``UsageError`` with the usual fix; the
CLI shows it and asks again. See docs/commands.md#the-guided-flow.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from video_gen.errors import UsageError


@dataclass(frozen=True)
class Step:
    """One question: its text, the default Enter accepts ("" = skip), and the check that turns
    the answer into a value (or raises ``UsageError``)."""

    name: str
    question: str
    check: Callable[[str], Any]
    default: str | None = None
    show_default: bool = True


def check_prompt(answer: str) -> str:
    text = answer.strip()
    if not text:
        raise UsageError(
            "the prompt is empty", hint="describe the video, e.g. a paper boat in the rain"
        )
    return text


def check_output_dir(answer: str) -> Path:
    text = answer.strip()
    if not text:
        raise UsageError("no output folder given", hint="press Enter for the default shown")
    path = Path(text).expanduser()
    if path.exists() and not path.is_dir():
        raise UsageError(f"{path} exists and is not a folder", hint="give a folder's path")
    return path


def reference_check(validate: Callable[[Path], None]) -> Callable[[str], Path | None]:
    """Enter skips; a path is checked exactly as ``--input-reference`` is (``validate`` runs
    the request's own checks with it: file type, pixel size against the video's size)."""

    def check(answer: str) -> Path | None:
        text = answer.strip().strip("'\"")
        if not text:
            return None
        path = Path(text).expanduser()
        validate(path)
        return path

    return check


def steps(default_output_dir: Path, validate_reference: Callable[[Path], None]) -> tuple[Step, ...]:
    return (
        Step("prompt", "Prompt (what the video shows)", check_prompt),
        Step(
            "input_reference",
            "Reference image for the first frame (Enter skips)",
            reference_check(validate_reference),
            default="",
            show_default=False,
        ),
        Step(
            "output_dir",
            "Output folder",
            check_output_dir,
            default=str(default_output_dir),
        ),
    )


def summary(
    *,
    provider: str,
    kind: str,
    model: str,
    seconds: int,
    size: str,
    reference: Path | None,
    output_dir: Path,
    estimate_usd: float,
    budget_left_usd: float | None,
    emulated: bool,
) -> list[str]:
    """What will be made and what it costs, before ``Generate? [Y/n]``."""
    cost = "0.00 USD (emulated: no cost)" if emulated else f"{estimate_usd:.2f} USD (estimate)"
    lines = [
        f"provider:  {provider} ({kind})",
        f"model:     {model}",
        f"seconds:   {seconds}",
        f"size:      {size}",
    ]
    if reference is not None:
        lines.append(f"reference: {reference}")
    lines += [f"save to:   {output_dir}", f"cost:      {cost}"]
    if budget_left_usd is not None:
        lines.append(f"budget left this month: {budget_left_usd:.2f} USD")
    return lines


def closing(file: Path, charged_usd: float, budget_left_usd: float | None) -> str:
    """The last line: where the video is, what it cost, what is left."""
    line = f"saved {file}; charged {charged_usd:.2f} USD"
    if budget_left_usd is not None:
        line += f"; budget left this month {budget_left_usd:.2f} USD"
    return line
