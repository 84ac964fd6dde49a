"""Polling: status requests per job and completion-to-download lag on a 20 s emulated job,
video-gen's adaptive schedule against the official SDK's `create_and_poll` (fixed 1 s).
Targets: at most half the SDK's requests, at most 0.5 s more lag.
Run: python bench/bench_polling.py [--job-seconds 20]
"""

from __future__ import annotations

import argparse
import time

from video_gen.client.videos import VideosClient
from video_gen.emulator import EmulatorServer
from video_gen.polling import PollSchedule
from video_gen.providers.openai_videos import OpenAIVideosProvider
from video_gen.types import GenerationRequest


def ours(job_seconds: float) -> tuple[int, float]:
    with EmulatorServer(job_seconds=job_seconds) as srv:
        p = OpenAIVideosProvider("bench", VideosClient.connect(srv.base_url, "k"))
        job = p.submit(GenerationRequest("a bench", "sora-2", 4, "720x1280"))
        created = time.monotonic()
        schedule = PollSchedule()
        schedule.start(created)
        while not job.phase.final:
            time.sleep(schedule.next_delay(job, time.monotonic()))
            job = p.refresh(job.id)
        seen = time.monotonic()
        requests = srv.stats.requests.get(("GET", "retrieve"), 0)
    return requests, seen - created - job_seconds


def sdk(job_seconds: float) -> tuple[int, float]:
    import openai

    with EmulatorServer(job_seconds=job_seconds) as srv:
        client = openai.OpenAI(base_url=srv.base_url, api_key="k", max_retries=0)
        started = time.monotonic()
        video = client.videos.create(prompt="a bench", model="sora-2", seconds="4")
        created = time.monotonic()
        del started
        video = client.videos.poll(video.id)
        seen = time.monotonic()
        requests = srv.stats.requests.get(("GET", "retrieve"), 0)
    return requests, seen - created - job_seconds


def main() -> dict[str, float]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--job-seconds", type=float, default=20.0)
    args = parser.parse_args()
    our_req, our_lag = ours(args.job_seconds)
    sdk_req, sdk_lag = sdk(args.job_seconds)
    print(f"{args.job_seconds:g} s job   status requests   completion-to-download lag")
    print(f"video-gen      {our_req:>15d}   {our_lag:8.2f} s")
    print(f"openai SDK     {sdk_req:>15d}   {sdk_lag:8.2f} s")
    print(
        f"ratio {our_req / sdk_req:.2f} (target <= 0.50); extra lag {our_lag - sdk_lag:+.2f} s"
        " (target <= +0.50 s)"
    )
    return {
        "poll_requests": our_req,
        "poll_lag_s": our_lag,
        "sdk_requests": sdk_req,
        "sdk_lag_s": sdk_lag,
    }


if __name__ == "__main__":
    main()
