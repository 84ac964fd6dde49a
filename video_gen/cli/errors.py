"""Turning exceptions into exit codes, in one place (see ``video_gen/exit_codes.py``)."""

from __future__ import annotations

import errno
import functools
import logging
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import typer

from video_gen.cli.ui import print_error
from video_gen.errors import Cancelled, LocalFilesError, VideoGenError
from video_gen.exit_codes import FIXES, ExitCode

F = TypeVar("F", bound=Callable[..., Any])


def handle_errors(fn: F) -> F:
    """Wrap a command: VideoGenError -> its exit code, Ctrl-C -> 130, a bug -> 1."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Cancelled as exc:
            # A question was answered with Ctrl-C: the prompt's line was ended, nothing was paid.
            sys.stderr.write("cancelled\n")
            sys.stderr.flush()
            raise typer.Exit(int(exc.exit_code)) from None
        except VideoGenError as exc:
            print_error(str(exc), exc.hint or FIXES.get(exc.exit_code))
            if exc.job is not None and kwargs.get("json_output"):
                _json_error(exc)
            raise typer.Exit(int(exc.exit_code)) from None
        except KeyboardInterrupt:
            print_error("interrupted", FIXES[ExitCode.INTERRUPTED])
            raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
        except OSError as exc:
            named = local_files_error(exc)
            if named is None:
                raise _unexpected(exc) from None
            print_error(str(named), named.hint)
            raise typer.Exit(int(named.exit_code)) from None
        except Exception as exc:
            if type(exc).__module__.split(".")[0] in ("click", "typer"):
                raise  # typer.Exit, BadParameter ...: Typer's own handling applies
            raise _unexpected(exc) from None

    return wrapper  # type: ignore[return-value]


# What the machine, not video-gen, got wrong: a folder where a file goes, read-only, full.
_LOCAL_ERRNOS = {
    errno.ENOSPC: ("the disk is full", "free some space"),
    errno.EDQUOT: ("the disk quota is exceeded", "free some space"),
    errno.EROFS: ("the file system is read-only", "point VIDEO_GEN_HOME at a writable folder"),
    errno.EACCES: ("permission denied", "check its permissions (chmod u+w)"),
    errno.EPERM: ("operation not permitted", "check its permissions (chmod u+w)"),
    errno.EISDIR: ("it is a folder, not a file", "move the folder aside"),
    errno.ENOTDIR: ("a part of the path is a file, not a folder", "fix the path"),
    errno.EEXIST: ("a file is in the way of a folder", "move the file aside or fix the path"),
}


def local_files_error(exc: OSError) -> LocalFilesError | None:
    """A named error (exit 13) for a local file problem, or None for any other OSError (a
    network error from a library is not the machine's files)."""
    known = _LOCAL_ERRNOS.get(exc.errno or -1)
    if known is None or (exc.filename is None and exc.errno not in (errno.ENOSPC, errno.EDQUOT)):
        return None
    reason, fix = known
    where = f" {exc.filename}" if exc.filename else ""
    from video_gen import paths

    hint = fix if exc.errno != errno.EISDIR else f"{fix}, or point VIDEO_GEN_HOME elsewhere"
    home = paths.data_dir()
    if exc.filename and str(exc.filename).startswith(str(home)):
        hint += f" (the data folder {home}: the ledger lives there)"
    return LocalFilesError(f"cannot use{where}: {reason}", hint=hint)


def _unexpected(exc: BaseException) -> typer.Exit:
    if logging.getLogger("video_gen").isEnabledFor(logging.DEBUG):
        import traceback

        traceback.print_exc(file=sys.stderr)
    print_error(
        f"unexpected {type(exc).__name__}: {exc}",
        "re-run with --verbose and report it with the output",
    )
    return typer.Exit(int(ExitCode.ERROR))


def wrap_app(app: typer.Typer) -> typer.Typer:
    """Apply ``handle_errors`` to every command and callback of a (sub-)app."""
    for info in app.registered_commands:
        if info.callback is not None and not getattr(info.callback, "__wrapped__", None):
            info.callback = handle_errors(info.callback)
    cb = app.registered_callback
    if cb is not None and cb.callback is not None and not getattr(cb.callback, "__wrapped__", None):
        cb.callback = handle_errors(cb.callback)
    for group in app.registered_groups:
        if group.typer_instance is not None:
            wrap_app(group.typer_instance)
    return app


def _json_error(exc: VideoGenError) -> None:
    """With ``--json``, an exit after a create also puts the job on stdout, for scripts:
    ``{"error": {"message", "hint", "exit_code", "job_id", "local_id", "resume"}}``."""
    import json

    from video_gen.redact import redact

    body = {
        "message": redact(str(exc)),
        "hint": exc.hint,
        "exit_code": int(exc.exit_code),
        **(exc.job or {}),
    }
    sys.stdout.write(json.dumps({"error": body}) + "\n")
    sys.stdout.flush()
