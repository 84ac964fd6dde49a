"""The command-line layer: parses arguments, calls the core, renders, maps errors to exit codes.

Start-up matters (``video-gen --help`` runs often). Each command lives in its own module and
imports what it needs (requests, tomlkit, Rich's progress) inside its body; and ``main()`` builds
only the command being run for real: the others are listed by name and short help alone, so
Typer never inspects their parameters nor imports their modules. ``from video_gen.cli import app``
(tests, library use) gives the complete application.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import Annotated, Any, NamedTuple

import typer

from video_gen import __version__
from video_gen.exit_codes import DESCRIPTIONS


class Entry(NamedTuple):
    name: str
    module: str  # in video_gen.cli
    attr: str  # a command function, or a Typer sub-app
    short_help: str  # shown in `video-gen --help`; a test keeps it equal to the docstring's
    group: bool = False


COMMANDS: tuple[Entry, ...] = (
    Entry("generate", "generate_cmd", "generate", "Generate one video and save it."),
    Entry("status", "jobs_cmd", "status", "Show a job's state on the server."),
    Entry(
        "download",
        "jobs_cmd",
        "download",
        "Download a job's video (waiting for it to finish first): resumes after Ctrl-C or"
        " --timeout.",
    ),
    Entry(
        "remix",
        "jobs_cmd",
        "remix",
        "Make a new video from a completed one with a changed prompt (a new paid job).",
    ),
    Entry(
        "settle",
        "settle_cmd",
        "settle",
        "Settle a job left in doubt, or one the server no longer knows: adopt its remote job, or"
        " declare it charged or not.",
    ),
    Entry(
        "batch",
        "batch_cmd",
        "batch",
        "Generate many videos from a file: concurrent, resumable, within budget.",
    ),
    Entry(
        "prompt-from-repo",
        "prompt_from_repo_cmd",
        "prompt_from_repo",
        "Write a silent-film video prompt (or storyboard) about a code repository.",
    ),
    Entry(
        "film",
        "film_cmd",
        "film",
        "Render a storyboard's clips and join them into one film with title cards.",
    ),
    Entry(
        "gallery",
        "gallery_cmd",
        "gallery",
        "Write one self-contained HTML page of every video and film in the ledger.",
    ),
    Entry(
        "budget", "budget_cmd", "budget_app", "Spending this month, limits and reports.", group=True
    ),
    Entry(
        "history", "history_cmd", "history_app", "Every recorded generation, filtered.", group=True
    ),
    Entry(
        "ledger",
        "ledger_cmd",
        "ledger_app",
        "The ledger's upkeep: migrate its database, import and export records.",
        group=True,
    ),
    Entry(
        "providers",
        "providers_cmd",
        "providers_app",
        "Configured providers and checks.",
        group=True,
    ),
    Entry(
        "models",
        "providers_cmd",
        "models",
        "List known models per provider with durations, sizes and prices.",
    ),
    Entry(
        "config",
        "config_cmd",
        "config_app",
        "Read and write the config file (comments are preserved).",
        group=True,
    ),
    Entry(
        "emulator",
        "emulator_cmd",
        "emulator",
        "Run the emulator of the video APIs in the foreground (Ctrl-C stops it).",
    ),
)


def _epilog() -> str:
    rows = "  ".join(
        f"{int(code)} {text.split(':')[0].split('(')[0].strip()};"
        for code, text in DESCRIPTIONS.items()
    )
    return (
        f"Exit codes: {rows} (docs/exit-codes.md). Start with `make demo`, or:"
        ' video-gen generate "a paper boat in the rain" --provider emulator'
    )


def _version(value: bool) -> None:
    if value:
        typer.echo(f"video-gen {__version__}")
        raise typer.Exit()


def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """video-gen: prompts and repositories into videos, with a spend ledger and budgets."""


def _placeholder() -> None:  # pragma: no cover - never run: only listed in the root help
    """Listed in `video-gen --help`; the real command is built when it is invoked."""


def load(entry: Entry) -> Any:
    return getattr(importlib.import_module(f"video_gen.cli.{entry.module}"), entry.attr)


def build(real: Callable[[Entry], bool] = lambda e: True) -> typer.Typer:
    """The application, with the commands for which ``real(entry)`` holds built for real."""
    from video_gen.cli import helpfmt
    from video_gen.cli.errors import handle_errors, wrap_app

    helpfmt.apply()
    application = typer.Typer(
        name="video-gen",
        help="Turn text prompts and code repositories into AI-generated videos, safely and"
        " cheaply.",
        epilog=_epilog(),
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    application.callback()(_root)
    for entry in COMMANDS:
        if not real(entry):
            application.command(entry.name, help=entry.short_help, add_help_option=False)(
                _placeholder
            )
        elif entry.group:
            application.add_typer(wrap_app(load(entry)), name=entry.name)
        else:
            application.command(entry.name)(handle_errors(load(entry)))
    return application


def __getattr__(name: str) -> Any:
    if name == "app":
        application = build()
        globals()["app"] = application
        return application
    raise AttributeError(name)


def main() -> None:
    invoked = next((a for a in sys.argv[1:] if not a.startswith("-")), None)
    build(lambda e: e.name == invoked)()
