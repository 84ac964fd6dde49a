"""`video-gen emulator`: the built-in API emulator in the foreground."""

from __future__ import annotations

from typing import Annotated

import typer


def emulator(
    port: Annotated[int, typer.Option("--port", help="Port on 127.0.0.1 (0 = any free).")] = 8089,
    host: Annotated[
        str, typer.Option("--host", help="Address to bind (loopback by default).")
    ] = "127.0.0.1",
    job_seconds: Annotated[
        float, typer.Option("--job-seconds", help="How long each emulated job takes.")
    ] = 8.0,
    faults: Annotated[
        str,
        typer.Option(
            "--faults",
            help="Fault plan, e.g. '5xx@create=2,429=3,retry-after=1,truncate'"
            " (see docs/emulator.md).",
        ),
    ] = "",
    require_key: Annotated[
        str | None,
        typer.Option(
            "--require-key",
            help="Accept only this API key (default: any non-empty key).",
            show_default=False,
        ),
    ] = None,
    profile: Annotated[
        str,
        typer.Option(
            "--profile", help="Server to imitate: openai, litellm, vllm-omni, sglang, openrouter."
        ),
    ] = "openai",
    video_bytes: Annotated[
        int | None,
        typer.Option(
            "--video-bytes",
            help="Pad each MP4 to exactly this many bytes (for download tests).",
            show_default=False,
        ),
    ] = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No line per request on stderr.")
    ] = False,
) -> None:
    """Run the emulator of the video APIs in the foreground (Ctrl-C stops it).

    Example: video-gen emulator --port 8089 --job-seconds 5 --faults '5xx@create=1'
    then: OPENAI_BASE_URL=http://127.0.0.1:8089/v1 OPENAI_API_KEY=test video-gen generate "..."
    """
    import sys
    import time

    from video_gen.emulator import EmulatorServer
    from video_gen.errors import UsageError
    from video_gen.redact import redact

    def log(line: str) -> None:
        sys.stderr.write(f"{time.strftime('%H:%M:%S')} {redact(line)}\n")
        sys.stderr.flush()

    try:
        srv = EmulatorServer(
            host=host,
            port=port,
            job_seconds=job_seconds,
            faults=faults,
            require_key=require_key,
            profile=profile,
            video_bytes=video_bytes,
            log=None if quiet else log,
        )
    except ValueError as exc:
        raise UsageError(
            str(exc), hint="see docs/emulator.md for the fault grammar and profiles"
        ) from None
    except OSError as exc:
        raise UsageError(
            f"cannot listen on {host}:{port}: {exc.strerror}",
            hint="choose another --port (or 0 for any free one)",
        ) from None
    sys.stderr.write(f"emulator ({profile}) listening on {srv.base_url}; Ctrl-C stops it\n")
    sys.stdout.write(srv.base_url + "\n")
    sys.stdout.flush()
    try:
        srv.serve_forever()
    finally:
        srv.stop()
        sys.stderr.write("emulator stopped\n")
