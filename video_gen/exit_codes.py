"""Every exit code video-gen can return, in one place.

The CLI maps exceptions to these through ``VideoGenError.exit_code``; docs/exit-codes.md and
``video-gen --help`` list the same table (a test keeps them in step).
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    ERROR = 1  # an unexpected error (a bug): please report it
    USAGE = 2  # bad command-line arguments or input (Typer's own usage errors are 2 as well)
    CONFIG = 3  # configuration or credentials missing, unreadable or refused (401/403)
    API_REJECTED = 4  # the API refused the request (400, 404, 409, 422, moderation at create)
    JOB_FAILED = 5  # the job was accepted but ended failed, cancelled or expired
    TIMEOUT = 6  # the overall --timeout passed before the job finished
    UNAVAILABLE = 7  # network or server unavailable after all retries (5xx, 429, connection)
    DOWNLOAD_INCOMPLETE = 8  # the video could not be downloaded completely
    BUDGET_REFUSED = 9  # the budget (or a missing price) forbids spending
    PARTIAL_FAILURE = 10  # a batch finished but some items failed
    PROVIDER_CREDITS = 11  # the provider account has no credits left (HTTP 402)
    MISSING_DEPENDENCY = 12  # an optional library the command needs is not installed
    LOCAL_FILES = 13  # a local file or folder cannot be used (not a folder, read-only, disk full)
    INTERRUPTED = (
        130  # Ctrl-C or SIGTERM (the remote job keeps running; resume with `video-gen download`)
    )


DESCRIPTIONS: dict[ExitCode, str] = {
    ExitCode.OK: "success",
    ExitCode.ERROR: "unexpected error (a bug: please report it with --verbose output)",
    ExitCode.USAGE: "bad arguments or input: fix the command line or the input file",
    ExitCode.CONFIG: "configuration or API key missing, invalid or refused",
    ExitCode.API_REJECTED: "the API rejected the request (bad parameters, unknown id, moderation)",
    ExitCode.JOB_FAILED: "the video job failed, was cancelled or expired on the server",
    ExitCode.TIMEOUT: "--timeout passed before the job finished (the job keeps running)",
    ExitCode.UNAVAILABLE: "network or server unavailable after retries",
    ExitCode.DOWNLOAD_INCOMPLETE: "the download could not be completed (`video-gen download`)",
    ExitCode.BUDGET_REFUSED: "refused by the budget, or the model has no known price",
    ExitCode.PARTIAL_FAILURE: "a batch finished with some items failed",
    ExitCode.PROVIDER_CREDITS: "the provider account has no credits left (top it up there)",
    ExitCode.MISSING_DEPENDENCY: "an optional library the command needs is not installed",
    ExitCode.LOCAL_FILES: "a local file or folder cannot be used (not a folder, read-only, full)",
    ExitCode.INTERRUPTED: "interrupted by Ctrl-C or SIGTERM (the remote job keeps running)",
}


# The fix printed when an error carries none of its own: every error line reads
# "error: ...; fix: ..." (video_gen/cli/errors.py).
FIXES: dict[ExitCode, str] = {
    ExitCode.ERROR: "re-run with --verbose and report it with the output",
    ExitCode.USAGE: "check the command line (video-gen COMMAND --help)",
    ExitCode.CONFIG: "check the config and keys (video-gen config show; video-gen providers)",
    ExitCode.API_REJECTED: "check the request (--dry-run shows what would be sent)",
    ExitCode.JOB_FAILED: "see the job's error (video-gen history show ID); change the prompt or"
    " parameters and generate again",
    ExitCode.TIMEOUT: "the job keeps running: video-gen download ID resumes it",
    ExitCode.UNAVAILABLE: "retry later; video-gen providers check NAME tests the connection",
    ExitCode.DOWNLOAD_INCOMPLETE: "video-gen download ID resumes the download",
    ExitCode.BUDGET_REFUSED: "video-gen budget shows the limits; video-gen budget set raises them",
    ExitCode.PARTIAL_FAILURE: "run the same command again to retry what failed",
    ExitCode.PROVIDER_CREDITS: "add credits to the provider account, then try again",
    ExitCode.MISSING_DEPENDENCY: "install the extra the message names",
    ExitCode.LOCAL_FILES: "fix the file or folder the message names (another -o, free space)",
    ExitCode.INTERRUPTED: "nothing more was sent; video-gen history shows what was made",
}
