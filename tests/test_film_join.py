"""The join itself, on clips made here: same clips give the same bytes, clips are fitted never
stretched, silent clips get silence, a card's length follows its words, and iris/fade/cut."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from video_gen.film.look import FilmLook, load_look, parse_look
from video_gen.film.plan import Scene, build, intertitles, opening_title

av = pytest.importorskip("av")
Image = pytest.importorskip("PIL.Image")


def make_clip(
    path: Path,
    size: tuple[int, int],
    fps: int,
    seconds: int,
    colour: tuple[int, int, int],
    audio: bool,
) -> Path:
    """A plain-coloured clip, with a loud 441 Hz tone at 44.1 kHz mono when ``audio``."""
    import array
    import math

    with av.open(str(path), "w", format="mp4") as out:
        video = out.add_stream("libx264", rate=fps, options={"preset": "ultrafast"})
        video.width, video.height, video.pix_fmt = size[0], size[1], "yuv420p"
        sound = out.add_stream("aac", rate=44100, layout="mono") if audio else None
        frame = av.VideoFrame.from_image(Image.new("RGB", size, colour)).reformat(format="yuv420p")
        for i in range(fps * seconds):
            frame.pts = i
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        if sound is not None:
            total = 44100 * seconds
            tone = array.array(
                "f", (0.5 * math.sin(2 * math.pi * 441 * j / 44100) for j in range(total))
            )
            done = 0
            while done < total:
                n = min(1024, total - done)
                chunk = av.AudioFrame(format="fltp", layout="mono", samples=n)
                data = tone[done : done + n].tobytes()
                chunk.planes[0].update(data + bytes(chunk.planes[0].buffer_size - len(data)))
                chunk.sample_rate, chunk.pts = 44100, done
                done += n
                out.mux(sound.encode(chunk))
            out.mux(sound.encode(None))
    return path


@pytest.fixture
def three(tmp_path: Path) -> list[Path]:
    return [
        make_clip(tmp_path / "a.mp4", (640, 360), 30, 2, (200, 40, 40), audio=True),
        make_clip(tmp_path / "b.mp4", (360, 640), 16, 2, (40, 200, 40), audio=False),
        make_clip(tmp_path / "c.mp4", (480, 480), 25, 1, (40, 40, 200), audio=False),
    ]


def plan_for(look: FilmLook, fit: str = "letterbox") -> object:
    scenes = [
        Scene(1, "a", 'Title card: "demo". Intertitle: "A: first."', 2),
        Scene(2, "b", "plain", 2),
        Scene(3, "c", 'Intertitle: "C: last."', 1),
    ]
    return build(scenes, look, width=640, height=360, fps=24, fit=fit, title="demo")


def frames_of(path: Path) -> list[object]:
    with av.open(str(path)) as c:
        return [f.to_image() for f in c.decode(video=0)]


def sound_of(path: Path) -> list[float]:
    import array

    out: list[float] = []
    with av.open(str(path)) as c:
        for f in c.decode(audio=0):
            out.extend(array.array("f", bytes(f.planes[0]))[: f.samples])
    return out


def test_two_joins_of_the_same_clips_are_the_same_bytes(tmp_path: Path, three: list[Path]) -> None:
    from video_gen.film.join import join

    plan = plan_for(load_look("chaplin"))
    one = join(plan, three, tmp_path / "one.mp4")  # type: ignore[arg-type]
    two = join(plan, three, tmp_path / "two.mp4")  # type: ignore[arg-type]
    assert one.written.sha256 == two.written.sha256
    data = (tmp_path / "one.mp4").read_bytes()
    assert hashlib.sha256(data).hexdigest() == one.written.sha256
    # no encoder version strings or library stamps that change between installs
    assert b"x264 - core" not in data and b"Lavf" not in data
    assert not list(tmp_path.glob(".*.part"))


def test_clips_are_fitted_never_stretched_and_silent_ones_get_silence(
    tmp_path: Path, three: list[Path]
) -> None:
    from video_gen.film.join import join

    look = parse_look("t", {"transition": "cut", "card_transition": "cut"})
    plan = plan_for(look)
    joined = join(plan, three, tmp_path / "f.mp4")  # type: ignore[arg-type]
    parts = joined.parts
    assert [p["type"] for p in parts] == ["card", "card", "clip", "clip", "card", "clip", "card"]
    frames = frames_of(tmp_path / "f.mp4")
    starts = [0]
    for p in parts:
        starts.append(starts[-1] + p["frames"])
    portrait = frames[starts[3] + 10]  # clip b: 360x640 in a 640x360 film
    width, height = portrait.size  # type: ignore[attr-defined]
    assert (width, height) == (640, 360)
    # letterboxed: black bars left and right, the green picture in the middle third, full height
    assert max(portrait.getpixel((20, 180))) < 30  # type: ignore[attr-defined]
    assert portrait.getpixel((320, 5))[1] > 150 and portrait.getpixel((320, 355))[1] > 150  # type: ignore[attr-defined]
    bar = next(x for x in range(320) if portrait.getpixel((x, 180))[1] > 100)  # type: ignore[attr-defined]
    assert abs(bar - (640 - 360 * 360 / 640) / 2) <= 3  # 202.5: the aspect ratio is kept
    # 16 fps and 25 fps clips play at their own speed: their length is kept at 24 fps
    assert [p["frames"] for p in parts if p["type"] == "clip"] == [48, 48, 24]
    # sound: the tone in clip a, silence elsewhere (and the track as long as the picture)
    sound = sound_of(tmp_path / "f.mp4")
    assert len(sound) >= joined.written.frames * 2000
    a_start, b_start = starts[2] * 2000, starts[3] * 2000
    assert max(abs(s) for s in sound[a_start + 4800 : a_start + 48000]) > 0.3
    assert max(abs(s) for s in sound[b_start + 4800 : b_start + 48000]) < 0.01
    assert max(abs(s) for s in sound[: starts[2] * 2000 - 2400]) < 0.01  # the cards are silent


def test_crop_fills_the_frame(tmp_path: Path, three: list[Path]) -> None:
    from video_gen.film.join import join

    look = parse_look("t", {"transition": "cut", "card_transition": "cut"})
    joined = join(plan_for(look, "crop"), three, tmp_path / "f.mp4")  # type: ignore[arg-type]
    start = sum(p["frames"] for p in joined.parts[:3])
    picture = frames_of(tmp_path / "f.mp4")[start + 10]
    assert picture.getpixel((5, 180))[1] > 150 and picture.getpixel((635, 180))[1] > 150  # type: ignore[attr-defined]


def test_iris_darkens_the_corners_first_and_fade_evenly(tmp_path: Path, three: list[Path]) -> None:
    from video_gen.film.join import join

    iris = parse_look(
        "t", {"transition": "iris", "card_transition": "cut", "transition_seconds": 0.5}
    )
    joined = join(plan_for(iris), three[:1] + three[1:], tmp_path / "i.mp4")  # type: ignore[arg-type]
    start = sum(p["frames"] for p in joined.parts[:2])
    frames = frames_of(tmp_path / "i.mp4")
    edge = frames[start + 5]  # mid-iris: the centre shows, the corner is black
    assert edge.getpixel((320, 180))[0] > 150 and max(edge.getpixel((2, 2))) < 30  # type: ignore[attr-defined]
    middle = frames[start + 24]
    assert middle.getpixel((2, 2))[0] > 150  # type: ignore[attr-defined]
    fade = parse_look("t", {"transition": "fade", "card_transition": "cut"})
    join(plan_for(fade), three, tmp_path / "f.mp4")  # type: ignore[arg-type]
    frames = frames_of(tmp_path / "f.mp4")
    first = frames[start]  # the clip's first frame: nearly black all over, corner as centre
    assert (
        first.getpixel((320, 180))[0] < 60
        and abs(first.getpixel((2, 2))[0] - first.getpixel((320, 180))[0]) < 12
    )  # type: ignore[attr-defined]


def test_a_card_lasts_as_long_as_its_words_take_to_read() -> None:
    look = load_look("chaplin")
    short, long = look.card_seconds("The End"), look.card_seconds(" ".join(["word"] * 12))
    assert short == look.card_min_seconds and long > short
    assert look.card_seconds(" ".join(["word"] * 200)) == look.card_max_seconds
    assert long == round((look.card_base_seconds + 12 / look.words_per_second) * 24) / 24


def test_the_storyboards_own_title_and_intertitles_become_cards() -> None:
    prompt = 'Look. Title card: "demo". Intertitle: "Queue: pushes." x Intertitle: "Ledger: keeps."'
    assert intertitles(prompt) == ["Queue: pushes.", "Ledger: keeps."]
    scenes = [Scene(1, None, prompt, 4), Scene(2, None, "no cards here", 4, intertitle="Own card")]
    assert opening_title(scenes, "fallback") == "demo"
    plan = build(scenes, load_look("noir"), width=640, height=360, fps=24, fit="crop", title="t")
    texts = [getattr(p, "text", None) for p in plan.parts]
    assert texts == ["t", "Queue: pushes.\n\nLedger: keeps.", None, "Own card", None, "The End"]
    assert plan.look.transition == "fade"


def test_a_bad_film_table_is_a_config_error_naming_the_key() -> None:
    from video_gen.errors import ConfigError

    with pytest.raises(ConfigError, match="transition"):
        parse_look("x", {"transition": "wipe"})
    with pytest.raises(ConfigError, match="background"):
        parse_look("x", {"background": "black"})
    with pytest.raises(ConfigError, match="fps"):
        parse_look("x", {"fps": 23})  # does not divide 48 kHz
