"""Resume decisions: what each item needs, from the ledger's record of earlier runs.

The ledger is the source of truth (every reservation carries ``batch_id`` and ``item_key``), so a
batch killed at any moment, even by SIGKILL, is resumed without paying twice:

* completed, and its file is still there with the recorded SHA-256 -> skip;
* completed, but the file is gone or changed -> download it again (no create);
* in flight with a remote id (the create answered) -> re-attach: poll and download, no create;
* reserved but no remote id (killed while the create was on the wire) -> recover: look on the
  server for a job made with these parameters since the reservation before creating again;
* failed or refused earlier -> left alone, unless ``--retry-failed``;
* never tried -> submit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from video_gen.batch.validate import Item
from video_gen.ledger import FileRecord, JobView

# The reason recorded when a batch releases a reservation whose create never answered (and no
# job was found on the server): such an item counts as never tried, not as failed.
ORPHAN_RELEASE = "batch: the create never answered"


class Action(str, Enum):
    SUBMIT = "submit"
    SKIP = "skip"
    REATTACH = "reattach"
    REDOWNLOAD = "redownload"
    RECOVER = "recover"
    FAILED = "failed"

    @property
    def works(self) -> bool:
        """Whether the item has anything to do in this run."""
        return self not in (Action.SKIP, Action.FAILED)

    @property
    def spends(self) -> bool:
        """Whether it makes a new paid job (a recovered orphan is already reserved)."""
        return self is Action.SUBMIT


@dataclass(frozen=True)
class Decision:
    item: Item
    action: Action
    job: JobView | None = None  # the earlier job this decision is about
    file: Path | None = None
    sha256: str | None = None
    note: str = ""
    changed: bool = False  # a named item whose parameters differ from its earlier job's


FileCheck = Callable[[Path, str], bool]


def file_matches(path: Path, sha256: str) -> bool:
    """The file exists and has exactly the recorded content."""
    from video_gen.download import sha256_file

    try:
        return path.is_file() and sha256_file(path) == sha256
    except OSError:
        return False


def decide(
    items: Sequence[Item],
    jobs: Sequence[JobView],
    *,
    retry_failed: bool = False,
    file_ok: FileCheck = file_matches,
) -> list[Decision]:
    """One decision per item, in item order; ``jobs`` are the batch's jobs, newest first."""
    by_key: dict[str, list[JobView]] = {}
    for job in jobs:
        if job.item_key:
            by_key.setdefault(job.item_key, []).append(job)
    return [_decide(item, by_key.get(item.key, []), retry_failed, file_ok) for item in items]


def _decide(item: Item, jobs: list[JobView], retry_failed: bool, file_ok: FileCheck) -> Decision:
    if not jobs:
        return Decision(item, Action.SUBMIT)
    changed = item.name is not None and any(_differs(item, j) for j in jobs[:1])
    completed = [j for j in jobs if j.ended_by == "completed"]
    for job in completed:
        video = _video(job)
        if video is not None and file_ok(video.path, video.sha256):
            return Decision(
                item, Action.SKIP, job, video.path, video.sha256, "already made", changed
            )
    if completed:
        return Decision(
            item,
            Action.REDOWNLOAD,
            completed[0],
            note="made earlier; its file is missing or changed",
            changed=changed,
        )
    attached = [j for j in jobs if j.in_flight and j.remote_id]
    if attached:
        return Decision(
            item,
            Action.REATTACH,
            attached[0],
            note=f"job {attached[0].remote_id} in flight",
            changed=changed,
        )
    orphans = [j for j in jobs if j.in_flight]
    if orphans:
        return Decision(
            item,
            Action.RECOVER,
            orphans[0],
            note="the earlier create never answered",
            changed=changed,
        )
    last = jobs[0]
    if last.ended_by == "released" and (last.error_message or "").startswith(ORPHAN_RELEASE):
        return Decision(item, Action.SUBMIT, last, changed=changed)
    if retry_failed:
        return Decision(item, Action.SUBMIT, last, note="retrying a failed item", changed=changed)
    reason = last.error_message or last.error_code or last.status
    return Decision(item, Action.FAILED, last, note=f"failed earlier: {reason}", changed=changed)


def _video(job: JobView) -> FileRecord | None:
    """The newest recorded video file of a job."""
    videos = [f for f in job.files if f.variant == "video"]
    return videos[-1] if videos else None


def _differs(item: Item, job: JobView) -> bool:
    from video_gen.redact import redact

    request = item.request
    return (redact(request.prompt), request.model, request.seconds, request.size) != (
        job.prompt,
        job.model,
        job.seconds,
        job.size,
    )
