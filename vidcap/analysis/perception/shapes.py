"""Small shapes on a plain backdrop: what a viewer sees where nothing can be named — fish in a
tank or flies in an arena seen from above, birds against a white sky — counted, with their tone.

Measured on sampled frames of the samples and dev set, 2 a second: the 64x36 thumbnail's
brightness spread (PLAIN_BACKDROP) is 13-14 under the fish, 5-9 under the flies, 0 on slates;
every other clip's median is 45 or more (the Earth at night 45, most 100 and more) and its
least 28 (a generated sample) or more. Shape counts, median of frames: the fish 8 (there are
eight), the flies 2, Gem's four computer-drawn dice 3-4 (one often out of the frame), the
diagram of the planets 4-5, every other clip 0."""

import cv2
import numpy as np

PLAIN_BACKDROP = 30  # levels of brightness (HSV's value) between the 10th and 90th percentile of the 64x36 thumbnail
BACKDROP_KERNEL = 21  # a median this wide (pixels at setting.MEASURE_WIDTH) is the backdrop without small shapes
SHAPE_CONTRAST = 45  # grey levels a shape's pixels differ from the backdrop by
MIN_AREA = 12  # pixels at setting.MEASURE_WIDTH: less is a speck of dust
MAX_SHARE = 0.02  # of the frame: a larger shape is not a small one (the Earth's lit side)
JOIN = 7  # pixels: a shape's parts this close are one shape (Gem's striped dice came apart at 5: "three" of four)
SIMILAR = 0.5  # counted shapes are at least this share of the largest's area: a fly's wing, apart, is not a fly
# Shapes that are there stay there: the share of a shot's sampled frames that must show two or more.
# The fish 0.94, the flies 0.85-1.0 per shot; a coin pushed about a white table by a pen 0.53 (where
# the coin alone, the pen or a faint pencil mark came and went).
SEEN_SHARE = 0.75
NUMBER_WORDS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine", 10: "ten"}


def small_shapes(image: np.ndarray, hsv: np.ndarray) -> tuple[int, bool]:
    """(how many, dark) small shapes of a like size stand out from a plain backdrop in a
    setting.measure_frame(); `hsv` is the frame's setting.thumbnail_hsv(), whose brightness tells
    a plain backdrop cheaply: (0, False) elsewhere."""
    if float(np.percentile(hsv[..., 2], 90) - np.percentile(hsv[..., 2], 10)) > PLAIN_BACKDROP:
        return 0, False
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    difference = gray.astype(np.int16) - cv2.medianBlur(gray, BACKDROP_KERNEL)
    best = (0, False, 0)  # count, dark, their area
    closing = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (JOIN, JOIN))
    for dark, mask in ((True, difference < -SHAPE_CONTRAST), (False, difference > SHAPE_CONTRAST)):
        joined = cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_CLOSE, closing)
        areas = cv2.connectedComponentsWithStats(joined, connectivity=8)[2][1:, cv2.CC_STAT_AREA]
        areas = areas[areas >= MIN_AREA]
        if not len(areas) or areas.max() > MAX_SHARE * gray.size:
            continue
        kept = areas[areas >= SIMILAR * areas.max()]
        if kept.sum() > best[2]:
            best = (len(kept), dark, int(kept.sum()))
    return best[0], best[1]


def describe_shapes(counts: np.ndarray, dark: np.ndarray) -> dict | None:
    """A shot's small shapes from its sampled frames' small_shapes: {"count", "tone", "number"}
    where SEEN_SHARE of the frames show two or more; `number` is the count's word where half the
    frames or more show exactly the median's count, else "several"."""
    if not len(counts) or np.mean(counts >= 2) < SEEN_SHARE:
        return None
    count = int(np.median(counts))
    exact = np.mean(counts == count) >= 0.5 and count in NUMBER_WORDS
    tone = "dark" if np.mean(dark[counts >= 2]) >= 0.5 else "light"
    return {"count": count, "tone": tone, "number": NUMBER_WORDS[count] if exact else "several"}
