"""The command-line layer: parses arguments, calls the core, renders, maps errors to exit codes.

Start-up matters (``video-gen --help`` is run often): only Typer is imported here; every command
imports what it needs (requests, tomlkit, Rich's progress) inside its own body.
"""

from __future__ import annotations

from typing import Annotated

import typer

from video_gen import __version__
from video_gen.cli.errors import handle_errors, wrap_app
from video_gen.exit_codes import DESCRIPTIONS


def _epilog() -> str:
    rows = "  ".join(
        f"{int(code)} {text.split(':')[0].split('(')[0].strip()};"
        for code, text in DESCRIPTIONS.items()
    )
    return (
        f"Exit codes: {rows} (docs/exit-codes.md). Start with `make demo`, or:"
        ' video-gen generate "a paper boat in the rain" --provider emulator'
    )


app = typer.Typer(
    name="video-gen",
    help="Turn text prompts and code repositories into AI-generated videos, safely and cheaply.",
    epilog=_epilog(),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"video-gen {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """video-gen: prompts and repositories into videos, with a spend ledger and budgets."""


def _register() -> None:
    from video_gen.cli import batch_cmd, config_cmd, emulator_cmd, generate_cmd, jobs_cmd

    app.command("generate")(handle_errors(generate_cmd.generate))
    app.command("status")(handle_errors(jobs_cmd.status))
    app.command("download")(handle_errors(jobs_cmd.download))
    app.command("remix")(handle_errors(jobs_cmd.remix))
    app.command("batch")(handle_errors(batch_cmd.batch))
    app.add_typer(wrap_app(config_cmd.config_app), name="config")
    app.command("emulator")(handle_errors(emulator_cmd.emulator))

    from video_gen.cli import providers_cmd

    app.add_typer(wrap_app(providers_cmd.providers_app), name="providers")
    app.command("models")(handle_errors(providers_cmd.models))


_register()


def main() -> None:
    app()
