"""Download: throughput against `curl` on the same emulator for a 200 MB file (target >= 0.8x),
and peak memory flat (the download runs in a child process whose peak RSS is compared with the
same child downloading 2 MB).
Run: python bench/bench_download.py [--mb 200]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from video_gen.client.videos import VideosClient
from video_gen.download import download
from video_gen.providers.openai_videos import OpenAIVideosProvider
base, job, out = sys.argv[1:4]
p = OpenAIVideosProvider("bench", VideosClient.connect(base, "k"))
t0 = time.perf_counter()
r = download(p, job, "video", Path(out), "bench")
dt = time.perf_counter() - t0
print(json.dumps({"seconds": dt, "bytes": r.bytes,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run(mb: int) -> dict[str, float]:
    from video_gen.emulator import EmulatorServer

    size = mb * 1_000_000
    with (
        EmulatorServer(job_seconds=0.2, video_bytes=size) as srv,
        tempfile.TemporaryDirectory() as tmp,
    ):
        c = __import__("video_gen.client.videos", fromlist=["VideosClient"]).VideosClient.connect(
            srv.base_url, "k"
        )
        job = c.create(prompt="bench", model="sora-2", seconds="4", size="720x1280")
        time.sleep(0.5)
        url = f"{srv.base_url}/videos/{job['id']}/content?variant=video"
        curl = shutil.which("curl")
        curl_s = float("nan")
        if curl:
            t0 = time.perf_counter()
            subprocess.run(
                [
                    curl,
                    "-s",
                    "-o",
                    str(Path(tmp) / "curl.mp4"),
                    "-H",
                    "Authorization: Bearer k",
                    url,
                ],
                check=True,
            )
            curl_s = time.perf_counter() - t0
            (Path(tmp) / "curl.mp4").unlink()
        out = subprocess.run(
            [sys.executable, "-c", CHILD, srv.base_url, job["id"], tmp],
            check=True,
            capture_output=True,
            text=True,
        )
        ours = json.loads(out.stdout)
        assert ours["bytes"] == size
    return {"curl_s": curl_s, "ours_s": ours["seconds"], "peak_rss_mb": ours["peak_rss_mb"]}


def main() -> dict[str, float]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=200)
    args = parser.parse_args()
    big = run(args.mb)
    small = run(2)
    mbps = args.mb / big["ours_s"]
    curl_mbps = args.mb / big["curl_s"]
    print(f"{args.mb} MB download   seconds   MB/s")
    print(f"curl             {big['curl_s']:8.2f}  {curl_mbps:7.1f}")
    print(
        f"video-gen        {big['ours_s']:8.2f}  {mbps:7.1f}   ratio {mbps / curl_mbps:.2f}x"
        " (target >= 0.80x)"
    )
    print(
        f"peak RSS: {big['peak_rss_mb']:.1f} MB for {args.mb} MB, {small['peak_rss_mb']:.1f} MB"
        " for 2 MB (flat when about equal)"
    )
    return {
        "download_mbps": mbps,
        "curl_mbps": curl_mbps,
        "download_ratio": mbps / curl_mbps,
        "download_peak_rss_mb": big["peak_rss_mb"],
        "download_small_rss_mb": small["peak_rss_mb"],
    }


if __name__ == "__main__":
    main()
