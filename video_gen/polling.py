"""When to ask a server about a job again.

Order of preference: a fixed ``--poll-interval``; the server's own hint (``openai-poll-after-ms``);
otherwise adaptive to the job's progress: far from done, poll rarely; when the progress rate says
the job is about to finish, poll just after the predicted moment, so the download starts at once
(assets expire) with about half the requests of a fixed 1 s poll. Pure: the clock is passed in.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from video_gen.types import RemoteJob


@dataclass
class PollSchedule:
    fixed: float | None = None
    min_delay: float = 0.25
    max_delay: float = 15.0
    first_delay: float = 1.0
    # (monotonic time, progress) samples while the job reports progress
    _samples: list[tuple[float, int]] = field(default_factory=list)
    _started: float | None = None

    def start(self, now: float) -> None:
        self._started = now

    def next_delay(self, job: RemoteJob, now: float) -> float:
        if self._started is None:
            self._started = now
        if self.fixed is not None and self.fixed > 0:
            return self.fixed
        if job.poll_after_ms is not None and job.poll_after_ms > 0:
            return min(max(job.poll_after_ms / 1000.0, 0.1), 60.0)
        if job.progress is not None and 0 < job.progress < 100:
            self._samples.append((now, job.progress))
            eta = self._eta()
            if eta is not None:
                if eta <= 2 * self.first_delay:
                    # About to finish: land just after the predicted end.
                    return min(max(eta + 0.05, self.min_delay), self.max_delay)
                return min(max(eta * 0.6, self.min_delay), self.max_delay)
        elapsed = now - self._started
        # No usable progress (queued, or a server that never reports it): back off gently.
        return min(max(self.first_delay, elapsed * 0.15), self.max_delay)

    def _eta(self) -> float | None:
        t1, p1 = self._samples[-1]
        # The earliest sample with less progress gives the steadiest rate.
        for t0, p0 in self._samples:
            if p0 < p1 and t1 > t0:
                rate = (p1 - p0) / (t1 - t0)
                return (100 - p1) / rate
        return None
