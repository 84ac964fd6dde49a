"""File names that never escape or overwrite; downloads that resume, verify and never half-write."""

from __future__ import annotations

import hashlib
import os
from datetime import datetime
from pathlib import Path

import pytest

from video_gen import naming
from video_gen.client.videos import VideosClient
from video_gen.download import download
from video_gen.emulator import EmulatorServer
from video_gen.errors import DownloadIncompleteError, UsageError
from video_gen.providers.openai_videos import OpenAIVideosProvider

NOW = datetime(2026, 11, 21, 9, 30, 5)


@pytest.mark.parametrize(
    ("prompt", "slug"),
    [
        ("A paper boat, in the RAIN!", "a-paper-boat-in-the-rain"),
        ("Café crème à l'aube", "cafe-creme-a-l-aube"),
        ("../../etc/passwd", "etc-passwd"),
        ("日本語だけ", "video"),
        ("word " * 30, "word-word-word-word-word-word-word-word"),
    ],
)
def test_slugify(prompt: str, slug: str) -> None:
    assert naming.slugify(prompt) == slug


def test_render_template_and_safety() -> None:
    assert (
        naming.render("{date}-{time}-{slug}", {"slug": "boat"}, now=NOW) == "20261121-093005-boat"
    )
    assert naming.render("../../{slug}", {"slug": "x"}, now=NOW) == "x"
    assert naming.render("/abs/{id}", {"id": "video_1"}, now=NOW) == "abs-video_1"
    assert naming.render("{slug}", {"slug": ""}, now=NOW) == "video"
    with pytest.raises(UsageError, match="unknown field"):
        naming.render("{nope}", {}, now=NOW)


def test_place_never_overwrites(tmp_path: Path) -> None:
    (tmp_path / "clip.mp4").write_bytes(b"precious")
    tmp = tmp_path / ".clip.part"
    tmp.write_bytes(b"new")
    placed = naming.place(tmp, tmp_path, "clip", ".mp4")
    assert placed.name == "clip-2.mp4" and placed.read_bytes() == b"new"
    assert (tmp_path / "clip.mp4").read_bytes() == b"precious"
    assert not tmp.exists()


def _provider(srv: EmulatorServer) -> OpenAIVideosProvider:
    return OpenAIVideosProvider("t", VideosClient.connect(srv.base_url, "k"))


def _completed_job(srv: EmulatorServer, provider: OpenAIVideosProvider) -> str:
    import time

    from video_gen.types import GenerationRequest

    job = provider.submit(GenerationRequest("a boat", "sora-2", 4, "720x1280"))
    deadline = time.monotonic() + 10
    while provider.refresh(job.id).status != "completed":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    return job.id


def test_download_variants_are_real_files(tmp_path: Path, emulator: EmulatorServer) -> None:
    p = _provider(emulator)
    job_id = _completed_job(emulator, p)
    heads = {"video": b"ftyp", "thumbnail": b"WEBP", "spritesheet": b"\xff\xd8"}
    for variant, magic in heads.items():
        result = download(p, job_id, variant, tmp_path, "clip")
        data = result.path.read_bytes()
        assert magic in data[:16]
        assert result.sha256 == hashlib.sha256(data).hexdigest() and result.bytes == len(data)
    assert sorted(f.name for f in tmp_path.iterdir()) == ["clip.jpg", "clip.mp4", "clip.webp"]


def test_truncated_download_resumes_with_range(tmp_path: Path, sleeps: list[float]) -> None:
    with EmulatorServer(job_seconds=0.3, video_bytes=3_000_000) as srv:
        p = _provider(srv)
        job_id = _completed_job(srv, p)
        srv.faults.add("truncate", count=2, endpoint="content")
        result = download(p, job_id, "video", tmp_path, "clip")
        ranged = srv.stats.requests.get(("GET", "content"), 0)
    data = result.path.read_bytes()
    assert len(data) == 3_000_000 and result.resumed == 2 and ranged == 3
    assert result.sha256 == hashlib.sha256(data).hexdigest()
    assert data[4:8] == b"ftyp"


def test_download_that_never_completes_leaves_nothing(tmp_path: Path, sleeps: list[float]) -> None:
    with EmulatorServer(job_seconds=0.3, video_bytes=500_000) as srv:
        p = _provider(srv)
        job_id = _completed_job(srv, p)
        srv.faults.add("truncate", count=50, endpoint="content")
        with pytest.raises(DownloadIncompleteError, match="incomplete"):
            download(p, job_id, "video", tmp_path, "clip", max_resumes=3)
    assert os.listdir(tmp_path) == []  # no final name, no temp file left behind
