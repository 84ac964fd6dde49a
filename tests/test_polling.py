"""The adaptive poll schedule, simulated against jobs with a patched clock."""

from __future__ import annotations

from video_gen.polling import PollSchedule
from video_gen.types import RemoteJob


def simulate(
    schedule: PollSchedule, duration: float, queue: float = 2.0, progress: bool = True
) -> tuple[int, float]:
    """Poll a linear job that finishes at ``duration``: (requests, completion-to-seen lag)."""

    def state(t: float) -> RemoteJob:
        if t >= duration:
            return RemoteJob(id="v", status="completed", progress=100 if progress else None)
        if t < queue:
            return RemoteJob(id="v", status="queued", progress=0 if progress else None)
        pct = int((t - queue) / (duration - queue) * 100)
        return RemoteJob(
            id="v",
            status="in_progress" if progress else "processing",
            progress=pct if progress else None,
        )

    t = 0.0
    schedule.start(t)
    job = state(t)
    requests = 0
    while job.phase.value not in ("succeeded", "failed"):
        t += schedule.next_delay(job, t)
        job = state(t)
        requests += 1
    return requests, t - duration


def test_adaptive_uses_half_the_requests_of_a_fixed_second_with_small_lag() -> None:
    requests, lag = simulate(PollSchedule(), duration=20.0)
    fixed_requests, _ = simulate(PollSchedule(fixed=1.0), duration=20.0)
    assert fixed_requests == 20
    assert requests <= fixed_requests // 2
    assert lag <= 0.5


def test_long_job_is_polled_rarely() -> None:
    requests, lag = simulate(PollSchedule(), duration=300.0, queue=30.0)
    assert requests <= 40
    assert lag <= 1.0


def test_without_progress_backs_off_but_never_beyond_max() -> None:
    schedule = PollSchedule(max_delay=15.0)
    requests, lag = simulate(schedule, duration=120.0, progress=False)
    assert requests < 40
    assert lag <= 15.0


def test_server_hint_and_fixed_interval_win() -> None:
    hinted = RemoteJob(id="v", status="in_progress", progress=50, poll_after_ms=2500)
    assert PollSchedule().next_delay(hinted, 0.0) == 2.5
    assert PollSchedule(fixed=4.0).next_delay(hinted, 0.0) == 4.0
