"""Teacher-labelled training data for the default LSTM narrator. No human-captioned video can be
installed here, so the rule narrator is the teacher: varied generated films (real photographs
with COCO objects in them — a motorcycle, a cup on a table, people — held still or panned,
groups of two or three people, people crossing a still backdrop, signs, title cards, black
gaps, colour bars, credit rolls, moving shapes, plain textures) and the real sample clips are
described by the rules, one cue per shot with the teacher's words for that shot, and these .srt
files become the labels. Objects and on-screen text reach the labels as slots (narrator.tokenize),
so the model learns where they are said and the shot's facts say which."""

import os
import shutil

import cv2
import numpy as np

from ..pipeline import Options, describe_video
from . import synth
from .datasets import write_srt

WORDS = ["NIGHT", "RIVER", "THE", "LAST", "SUMMER", "CITY", "OPEN", "HOTEL", "EXIT", "STATION",
         "NORTH", "GARDEN", "CHAPTER", "ONE", "TWO", "HOME", "WINTER", "ROAD", "CAFE", "LIGHT"]
NAMES = ["Anna Kowalski", "John Berg", "Lena Ortiz", "Sam Okafor", "Mira Chen", "Tom Weber",
         "Ines Duarte", "Ravi Nair", "Eva Lind", "Omar Haddad"]


def photographs() -> dict[str, np.ndarray]:
    """Real photographs that registry packages ship (scikit-image; matplotlib's portrait of Grace
    Hopper, in glasses), as BGR."""
    import skimage.data as data
    from matplotlib import cbook

    photos = {name: np.ascontiguousarray(getattr(data, name)()[:, :, ::-1])
              for name in ("chelsea", "coffee", "astronaut", "rocket")}
    photos["motorcycle"] = np.ascontiguousarray(data.stereo_motorcycle()[0][:, :, ::-1])
    photos["camera"] = cv2.cvtColor(data.camera(), cv2.COLOR_GRAY2BGR)  # a person with a camera
    with cbook.get_sample_data("grace_hopper.jpg") as f:
        photos["hopper"] = cv2.imdecode(np.frombuffer(f.read(), np.uint8), cv2.IMREAD_COLOR)
    return photos


PORTRAITS = ("astronaut", "hopper")  # a face to frame in close-up: a smile, glasses, what is worn


def close_up(image: np.ndarray, face: tuple, size: tuple[int, int], zoom: float = 1.0) -> np.ndarray:
    """The photograph framed as a close-up: its `face` (a find_faces box) 45 % of the frame's
    height (`zoom` times more), a little above the middle."""
    x, y, w, h = face[:4]
    height = h * image.shape[0] / 0.45 / zoom
    width = height * size[0] / size[1]
    cx, cy = (x + w / 2) * image.shape[1], (y + h / 2) * image.shape[0] + 0.1 * height
    turn = np.float32([[size[0] / width, 0, size[0] / 2 - cx * size[0] / width],
                       [0, size[1] / height, size[1] / 2 - cy * size[1] / height]])
    return cv2.warpAffine(image, turn, size, flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE)


def group_frame(astronaut: np.ndarray, size: tuple[int, int], people: int) -> np.ndarray:
    """`people` people side by side: scikit-image's astronaut portrait, repeated."""
    w, h = size
    tile_w = w // people
    portrait = cv2.resize(astronaut, (h, h), interpolation=cv2.INTER_AREA)
    x = min(h - tile_w, max(0, int(0.46 * h) - tile_w // 2))  # her face is at 46% of the width
    return cv2.resize(np.hstack([portrait[:, x:x + tile_w]] * people), size, interpolation=cv2.INTER_AREA)


def _shot(rng, photos, size):
    """One shot as (frames, draw(i, t))."""
    w, h = size
    kind = rng.choice(["photo", "photo", "photo", "portrait", "group", "walkers", "sign", "title", "black", "bars",
                       "credits", "shape", "texture"])
    frames = int(rng.integers(30, 75))
    if kind == "photo":
        image = photos[list(photos)[int(rng.integers(len(photos)))]]
        scale = 1.6 * max(w / image.shape[1], h / image.shape[0])
        big = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        move = rng.choice(["still", "left", "right"])
        span = big.shape[1] - w

        def draw(i, t):
            x = {"still": span // 2, "right": int(span * i / frames), "left": int(span * (1 - i / frames))}[move]
            y = (big.shape[0] - h) // 2
            return big[y:y + h, x:x + w]
        return frames, draw
    if kind == "portrait":  # still, or the camera closing in; long enough to say what the face does and wears
        from ..analysis.perception.people import find_faces

        image, closer, frames = photos[str(rng.choice(PORTRAITS))], float(rng.choice([1.0, 1.3])), frames + 50
        face = max(find_faces(image), key=lambda f: f[3])  # found once, not on every frame drawn
        return frames, lambda i, t: close_up(image, face, size, 1 + (closer - 1) * i / frames)
    if kind == "group":
        frame = group_frame(photos["astronaut"], size, int(rng.integers(2, 4)))
        return frames, lambda i, t: frame
    if kind == "sign":  # a board with a word, off-centre on a still photograph
        image = photos[list(photos)[int(rng.integers(len(photos)))]]
        frame = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        ink = tuple(int(c) for c in rng.integers(0, 256, 3))
        board = synth.text_card([str(rng.choice(WORDS))], (w * 2 // 5, h // 6), 22, int(rng.integers(90, 250)), fill=ink)
        x, y = int(rng.uniform(0.02, 0.15) * w), int(rng.uniform(0.08, 0.45) * h)
        frame[y:y + board.shape[0], x:x + board.shape[1]] = board
        return frames, lambda i, t: frame
    if kind == "walkers":  # one to three people crossing a still backdrop: the detector's bodies
        backdrop = cv2.resize(photos["coffee" if rng.random() < 0.5 else "rocket"], size, interpolation=cv2.INTER_AREA)
        person = cv2.resize(photos[str(rng.choice(["astronaut", "camera"]))], (h // 2, h // 2), interpolation=cv2.INTER_AREA)
        starts = rng.uniform(0, 0.3, int(rng.integers(1, 4)))
        rows = rng.integers(0, h - h // 2, len(starts))

        def draw(i, t):
            frame = backdrop.copy()
            for start, y in zip(starts, rows):
                x = int((start + 0.5 * i / frames) * (w - h // 2))
                frame[y:y + h // 2, x:x + h // 2] = person
            return frame
        return frames, draw
    if kind == "texture":  # nothing to name: the teacher says what it measured of the picture
        still = synth.texture(w, h, seed=int(rng.integers(1 << 30)))
        return frames, lambda i, t: still
    if kind == "title":
        card = synth.text_card([" ".join(rng.choice(WORDS, int(rng.integers(1, 3)), replace=False))], size, 28)
        return frames, lambda i, t: card
    if kind == "black":
        return frames, lambda i, t: np.zeros((h, w, 3), np.uint8)
    if kind == "bars":
        bars = np.zeros((h, w, 3), np.uint8)
        for k, colour in enumerate([(192, 192, 192), (0, 192, 192), (192, 192, 0), (0, 192, 0),
                                    (192, 0, 192), (0, 0, 192), (192, 0, 0)]):
            bars[:, k * w // 7:(k + 1) * w // 7] = colour
        return frames, lambda i, t: bars
    if kind == "credits":
        names = list(rng.choice(NAMES, 4, replace=False))
        return 120, lambda i, t: synth.text_card(names, size, 24, top=int(h - 40 * t))
    backdrop = synth.texture(w, h, seed=int(rng.integers(1 << 30)))
    shape = synth.SHAPES[int(rng.integers(3))]
    colour = list(synth.COLOURS.values())[int(rng.integers(len(synth.COLOURS)))]

    def draw(i, t):
        frame = backdrop.copy()
        synth.draw_shape(frame, shape, colour, (int(w * (0.2 + 0.6 * i / frames)), h // 2), h // 5)
        return frame
    return frames, draw


def make_distillation_set(folder: str, count: int, seed: int = 0, size=(320, 240), fps: float = 25,
                          real_clips: tuple[str, ...] = ()) -> int:
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(seed)
    photos = photographs()
    paths = []
    for i in range(count):
        shots = [_shot(rng, photos, size) for _ in range(int(rng.integers(2, 5)))]
        bounds = np.cumsum([0] + [n for n, _ in shots])

        def draw(i, t):
            k = int(np.searchsorted(bounds, i, side="right") - 1)
            return shots[k][1](i - bounds[k], (i - bounds[k]) / fps)
        path = os.path.join(folder, f"teacher{seed:03d}_{i:04d}.mp4")
        synth.make_drawn_video(path, draw, int(bounds[-1]), size, fps)
        paths.append(path)
    for clip in real_clips:
        target = os.path.join(folder, os.path.basename(clip))
        shutil.copyfile(clip, target)
        paths.append(target)
    label(paths)
    return len(paths)


def label(paths: list[str]):
    """The teacher's words for each shot of each video, as the .srt beside it (run again after
    the teacher changes: the analyses are cached)."""
    for path in paths:
        result = describe_video(path, Options(narrator="rules"))
        write_srt(os.path.splitext(path)[0] + ".srt", [(shot.start, shot.end, " ".join(sentences))
                                                       for shot, sentences in zip(result.shots, result.sentences)
                                                       if sentences])
