"""The exception types of video-gen's core.

Each carries the exit code the CLI returns for it and a one-line ``hint`` naming the fix. Messages
never contain a secret: anything built from server text or user input goes through
``video_gen.redact.redact`` first.
"""

from __future__ import annotations

from video_gen.exit_codes import ExitCode


class VideoGenError(Exception):
    """Base of every error video-gen reports to a user."""

    exit_code: ExitCode = ExitCode.ERROR
    # The paid job a failure after its create ends the run of: job_id, local_id, resume (the
    # command that finishes it). Set by the job layer; None before anything was created.
    job: dict[str, str | None] | None = None

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        from video_gen.redact import redact

        self.message = redact(message)
        self.hint = redact(hint) if hint else None
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


class UsageError(VideoGenError):
    """Bad arguments or input, caught before anything is sent."""

    exit_code = ExitCode.USAGE


class ConfigError(VideoGenError):
    """The configuration or the credentials are missing or invalid."""

    exit_code = ExitCode.CONFIG


class APIError(VideoGenError):
    """An HTTP call failed. Carries what the server said, never the request's credentials."""

    exit_code = ExitCode.API_REJECTED

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        param: str | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
        hint: str | None = None,
    ) -> None:
        self.status = status
        self.code = code
        self.param = param
        self.request_id = request_id
        self.retry_after = retry_after
        self.body: object = None  # the parsed error body, when there was one
        super().__init__(message, hint=hint)

    def __str__(self) -> str:
        parts = [self.message]
        if self.status is not None:
            detail = f"HTTP {self.status}"
            if self.code:
                detail += f" {self.code}"
            parts.append(f"({detail})")
        if self.request_id:
            parts.append(f"[request id {self.request_id}]")
        return " ".join(parts)


class BadRequestError(APIError):
    """400/404/409/422: the server understood and refused. Not retried."""


class ModerationBlockedError(BadRequestError):
    """The prompt or reference image was blocked by the server's moderation."""


class NotFoundError(BadRequestError):
    """404: unknown job id (or content not ready)."""


class AuthenticationError(APIError):
    """401/403: the key is missing, wrong, or lacks access."""

    exit_code = ExitCode.CONFIG


class RateLimitError(APIError):
    """429 after every retry."""

    exit_code = ExitCode.UNAVAILABLE


class ServerError(APIError):
    """5xx after every retry."""

    exit_code = ExitCode.UNAVAILABLE


class APIConnectionError(APIError):
    """The server could not be reached, or the connection dropped, after every retry."""

    exit_code = ExitCode.UNAVAILABLE
    # Whether the request may have reached the server (a refused connection did not): a create
    # that may have arrived may have made a job.
    sent: bool = True


class APITimeoutError(APIConnectionError):
    """A connect or read timeout, after every retry."""


class InsufficientCreditsError(APIError):
    """402: the provider account has no credits left (its own top-up, not video-gen's budget)."""

    exit_code = ExitCode.PROVIDER_CREDITS


class AmbiguousCreateError(APIError):
    """A create failed in a way that may have made a job (5xx, read timeout, dropped after
    sending). Raised by providers; the job layer looks for the job before anything else."""

    exit_code = ExitCode.UNAVAILABLE

    def __init__(self, cause: APIError) -> None:
        self.cause = cause
        super().__init__(
            cause.message,
            status=cause.status,
            code=cause.code,
            param=cause.param,
            request_id=cause.request_id,
            retry_after=cause.retry_after,
            hint=cause.hint,
        )

    def __str__(self) -> str:
        return str(self.cause)


class LookupUnavailableError(VideoGenError):
    """The server cannot be searched for a lost create: no job list, a list that fails, or job
    objects without the fields needed to tell ours apart."""

    exit_code = ExitCode.UNAVAILABLE


class CreateInDoubtError(VideoGenError):
    """A create may have made a paid job that cannot be looked up: it was not posted again, the
    reservation is kept, and the user is told what to check (``video-gen settle``)."""

    exit_code = ExitCode.UNAVAILABLE

    def __init__(self, local_id: str, message: str, *, hint: str) -> None:
        self.local_id = local_id
        super().__init__(message, hint=hint)


class JobNotRecordedError(VideoGenError):
    """A create answered but its id could not be recorded (the ledger database was unreachable
    for ``ledger.retry_seconds``): the job runs, and its reservation stays held."""

    def __init__(self, local_id: str, remote_id: str, cause: VideoGenError) -> None:
        self.local_id = local_id
        self.remote_id = remote_id
        self.exit_code = cause.exit_code
        super().__init__(
            f"job {remote_id} was created, but the ledger could not record it: {cause}",
            hint=f"the job keeps running and its reservation {local_id} stays held; when the"
            f" ledger is back: video-gen settle {local_id} --remote-id {remote_id}",
        )


class UnsupportedOperationError(VideoGenError):
    """The provider cannot do this (for example remix on vLLM-Omni)."""

    exit_code = ExitCode.USAGE


class JobFailedError(VideoGenError):
    """The job ended failed, cancelled or expired."""

    exit_code = ExitCode.JOB_FAILED

    def __init__(self, job_id: str, status: str, code: str | None, message: str | None) -> None:
        self.job_id = job_id
        self.status = status
        self.code = code
        detail = (
            f"{code}: {message}" if code and message else (message or code or "no reason given")
        )
        super().__init__(
            f"job {job_id} ended {status}: {detail}",
            hint="change the prompt or parameters and generate again (a failed job is not charged"
            " by the budget)",
        )


class JobRefusedError(JobFailedError):
    """The job ended without a video because the server refused the request (a moderation
    block found after the create): a rejection, like a refusal at create."""

    exit_code = ExitCode.API_REJECTED


class DeadlineExceededError(VideoGenError):
    """--timeout passed; the remote job keeps running."""

    exit_code = ExitCode.TIMEOUT

    def __init__(self, job_id: str, timeout: float) -> None:
        self.job_id = job_id
        super().__init__(
            f"job {job_id} did not finish within {timeout:g}s (it keeps running on the server)",
            hint=f"resume with: video-gen download {job_id}",
        )


class DownloadIncompleteError(VideoGenError):
    """The content could not be fetched completely after every retry."""

    exit_code = ExitCode.DOWNLOAD_INCOMPLETE


class BudgetError(VideoGenError):
    """Spending refused: over a budget limit, or no known price for the model."""

    exit_code = ExitCode.BUDGET_REFUSED


class Interrupted(VideoGenError):
    """Ctrl-C while waiting: the remote job keeps running."""

    exit_code = ExitCode.INTERRUPTED


class Cancelled(VideoGenError):
    """Ctrl-C (or end of input) at a question: nothing was sent or paid."""

    exit_code = ExitCode.INTERRUPTED

    def __init__(self) -> None:
        super().__init__("cancelled")


class NotFinishedError(VideoGenError):
    """``download --no-wait`` on a job that is still running."""

    exit_code = ExitCode.TIMEOUT


class LocalFilesError(VideoGenError):
    """A local file or folder cannot be used: an output folder that is a file, read-only or
    missing its target, a full disk, a data folder that cannot be written. Raised before any
    create when it can be known then."""

    exit_code = ExitCode.LOCAL_FILES


class MissingDependencyError(VideoGenError):
    """An optional library is not installed (``film``, ``gallery`` thumbnails): the hint is the
    exact install line."""

    exit_code = ExitCode.MISSING_DEPENDENCY
