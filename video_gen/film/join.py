"""The streaming join: every part of a film plan, in order, into one MP4.

Parts are written one after another, each picture followed by the sound up to its instant, so
the two tracks interleave and only one part is ever open: memory stays flat however many clips
a film has. Every part lasts a whole number of frames and its sound exactly as long, so the
film is exactly as long as its parts, and picture and sound stay in step across a hundred cuts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from video_gen.film import cards, clips
from video_gen.film.encode import FilmWriter, Written
from video_gen.film.plan import CardPart, FilmPlan
from video_gen.film.transitions import Edges

Progress = Callable[[int, int, str], None]  # (part index, parts, what)


@dataclass(frozen=True)
class Joined:
    written: Written
    duration_s: float
    parts: list[dict[str, Any]]  # each part's kind and real length


def join(
    plan: FilmPlan,
    clip_files: Sequence[Path],
    dest: Path,
    *,
    on_progress: Progress | None = None,
) -> Joined:
    """Write the film of ``plan`` (``clip_files[i]`` is clip position ``i``) to ``dest``."""
    infos = [clips.probe(Path(f)) for f in clip_files]
    report = on_progress or (lambda i, n, what: None)
    done: list[dict[str, Any]] = []
    with FilmWriter(dest, plan.width, plan.height, plan.fps) as writer:
        for index, part in enumerate(plan.parts):
            if isinstance(part, CardPart):
                report(index, len(plan.parts), f"{part.kind} card")
                frames = _card(writer, plan, part)
                done.append({**part.to_json(), "frames": frames, "seconds": frames / plan.fps})
            else:
                info = infos[part.position]
                report(index, len(plan.parts), f"clip {part.position + 1} ({info.path.name})")
                frames = _clip(writer, plan, info)
                done.append(
                    {
                        **part.to_json(),
                        "file": str(info.path),
                        "frames": frames,
                        "seconds": frames / plan.fps,
                        "source": {
                            "size": f"{info.width}x{info.height}",
                            "fps": round(info.fps, 3),
                            "audio": info.has_audio,
                        },
                    }
                )
        written = writer.commit()
    return Joined(written, written.frames / plan.fps, done)


def _card(writer: FilmWriter, plan: FilmPlan, part: CardPart) -> int:
    av = writer.av
    image = cards.draw_card(
        part.text, plan.look, (plan.width, plan.height), title=part.kind != "intertitle"
    )
    total = round(part.seconds * plan.fps)
    edges = Edges.of(plan.look.card_transition, total, plan.look.transition_seconds, plan.fps)
    still = av.VideoFrame.from_image(image).reformat(format="yuv420p")
    for index in range(total):
        shown = edges.apply(image, index)
        frame = still if shown is image else av.VideoFrame.from_image(shown)
        writer.add_video(frame.reformat(format="yuv420p") if frame is not still else frame)
    writer.add_silence(total * writer.samples_per_frame)
    return total


def _clip(writer: FilmWriter, plan: FilmPlan, info: clips.ClipInfo) -> int:
    av = writer.av
    total = info.frames_at(plan.fps)
    edges = Edges.of(plan.look.transition, total, plan.look.transition_seconds, plan.fps)
    sound = clips.sound(info, total * writer.samples_per_frame)
    owed = 0  # samples of sound due by the current picture
    for index, frame in enumerate(
        clips.pictures(info, plan.width, plan.height, plan.fps, plan.fit)
    ):
        if edges.visibility(index) < 1.0:
            shown = edges.apply(frame.to_image(), index)
            frame = av.VideoFrame.from_image(shown).reformat(format="yuv420p")
        writer.add_video(frame)
        owed += writer.samples_per_frame
        while owed > 0:
            chunk = next(sound, None)
            if chunk is None:
                break
            owed -= chunk.samples
            writer.add_audio(chunk)
    for chunk in sound:  # whatever is still owed (the last picture's share)
        writer.add_audio(chunk)
    return total
