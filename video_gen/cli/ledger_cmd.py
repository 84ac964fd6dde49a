"""``video-gen ledger``: the ledger's own upkeep: migrate a database, import and export records."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

ledger_app = typer.Typer(
    name="ledger",
    help="The ledger's upkeep: migrate its database, import and export records.",
    no_args_is_help=True,
    add_completion=False,
)


@ledger_app.command("migrate")
def migrate() -> None:
    """Create or upgrade the ledger database's tables (also done on first use; safe to repeat).

    Example: VIDEO_GEN_LEDGER_URL=postgresql://vg@db:5432/videogen video-gen ledger migrate
    """
    from video_gen.ledger import open_ledger

    with open_ledger() as ledger:
        typer.echo(ledger.migrate())


@ledger_app.command("import")
def import_(
    file: Annotated[
        Path,
        typer.Argument(
            metavar="FILE",
            help="A JSON Lines ledger (e.g. ~/.local/share/video-gen/ledger.jsonl).",
            show_default=False,
        ),
    ],
) -> None:
    """Copy a JSON Lines ledger into the ledger database (importing twice adds nothing).

    Example: video-gen ledger import ~/.local/share/video-gen/ledger.jsonl
    """
    from video_gen.cli.ui import UI
    from video_gen.errors import UsageError
    from video_gen.ledger import JsonlLedger, open_ledger

    if not file.is_file():
        raise UsageError(f"no ledger file {file}", hint="give the path of a ledger.jsonl")
    source = JsonlLedger(file)
    with open_ledger() as target:
        if getattr(target, "path", None) == source.path.resolve():
            raise UsageError(
                "that file is this ledger already",
                hint="import another ledger file (or point ledger.url at the target)",
            )
        result = target.import_records(source.records())
    for warning in source.warnings():
        UI().warn(f"{warning} (not imported)")
    typer.echo(
        f"imported {result.added} records ({result.jobs} jobs) into {target.location};"
        f" {result.skipped} were there already"
    )


@ledger_app.command("export")
def export(
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write to this file (atomically) instead of stdout."),
    ] = None,
) -> None:
    """Write every record of the ledger as JSON Lines, in the order they were written.

    Example: video-gen ledger export --out backup-ledger.jsonl
    """
    import stat
    import sys

    from video_gen.fsutil import atomic_writer
    from video_gen.ledger import open_ledger
    from video_gen.ledger.records import encode

    with open_ledger() as ledger:
        if out is None:
            sink = sys.stdout.buffer
            for record in ledger.records():
                sink.write(encode(record))
            sink.flush()
            return
        count = 0
        with atomic_writer(out, mode=stat.S_IRUSR | stat.S_IWUSR) as fh:  # prompts are in it
            for record in ledger.records():
                fh.write(encode(record))
                count += 1
    typer.echo(str(out))
    from video_gen.cli.ui import UI

    UI().info(f"{count} records exported from {ledger.location}")
