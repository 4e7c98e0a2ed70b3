"""Setting from colour statistics: sky at the top, vegetation, water and glare at the bottom; a
window from the classifier under glare; and the colours of the frame and of its centre, where
the subject usually stands."""

from functools import lru_cache

import cv2
import numpy as np


def thumbnail_hsv(image: np.ndarray) -> np.ndarray:
    """The 64x36 HSV thumbnail that the colour measures below read."""
    return cv2.cvtColor(cv2.resize(image, (64, 36), interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2HSV)


def colour_stats(hsv: np.ndarray) -> tuple[float, float, float, float]:
    """(sky, green, water, glare) in a thumbnail_hsv(): shares of pixels that look like open sky in
    the top third, vegetation in the bottom half, water (blue) in the bottom half and, in the bottom
    half too, glare: white burnt out past what a lit room gives (GLARE_LEVEL)."""
    hue, sat, val = hsv[..., 0].astype(int), hsv[..., 1].astype(int), hsv[..., 2].astype(int)
    top, bottom = slice(0, 12), slice(18, 36)
    sky = ((hue[top] >= 90) & (hue[top] <= 130) & (sat[top] > 40) & (val[top] > 120)) | \
          ((sat[top] < 25) & (val[top] > 200))
    green = (hue[bottom] >= 30) & (hue[bottom] <= 85) & (sat[bottom] > 60) & (val[bottom] > 50)
    water = (hue[bottom] >= 90) & (hue[bottom] <= 125) & (sat[bottom] > 70) & (val[bottom] > 60)
    glare = (sat[bottom] < 50) & (val[bottom] > GLARE_LEVEL)
    return float(sky.mean()), float(green.mean()), float(water.mean()), float(glare.mean())


# Sunlight on a floor, or daylight through a window, burns white out past this level; lamps in the
# dev set's rooms and studios do not (measured below, at GLARE).
GLARE_LEVEL = 235


MEASURE_WIDTH = 320  # night_measures and shapes.small_shapes read a frame at this width, so their
# counts and sizes do not depend on the video's


def measure_frame(image: np.ndarray) -> np.ndarray:
    """A BGR frame at MEASURE_WIDTH wide, made once per sampled frame for the measures that read it."""
    h, w = image.shape[:2]
    return cv2.resize(image, (MEASURE_WIDTH, max(2, round(h * MEASURE_WIDTH / w))), interpolation=cv2.INTER_AREA)

# Below this share of night sky a frame's lit points and lines are not measured (0): describe_setting
# uses them only where the shot's median night sky reaches NIGHT_SKY (0.15). Saves about 4 ms a frame.
NIGHT_SKY_SEEN = 0.05


def night_measures(image: np.ndarray) -> tuple[float, float, float]:
    """(night sky, lit points, long lines) of a measure_frame(): the share of the top third that is smooth,
    dark, saturated blue or violet (a night sky: a day sky is bright, a black ceiling grey);
    small lights brighter than what surrounds them (windows, lamps) per 10,000 pixels; and
    straight edges longer than a fifth of the height (the sides and floors of buildings), these two
    only under a night sky (NIGHT_SKY_SEEN).
    Measured on the samples and dev set: night sky 0.21-0.89 on the night city, at most 0.08 on
    every day or indoor clip."""
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    top = slice(0, gray.shape[0] // 3)
    hue, sat, val = (c.astype(int) for c in cv2.split(cv2.cvtColor(image[top], cv2.COLOR_BGR2HSV)))
    gradient = np.hypot(cv2.Sobel(gray, cv2.CV_32F, 1, 0), cv2.Sobel(gray, cv2.CV_32F, 0, 1))
    smooth = cv2.blur(gradient, (5, 5))[top] < 40
    sky = smooth & (val > 25) & (val < 110) & (hue >= 100) & (hue <= 150) & (sat > 50)
    if sky.mean() < NIGHT_SKY_SEEN:  # lit points and lines only ever count under a night sky
        return float(sky.mean()), 0.0, 0.0
    above = cv2.morphologyEx(gray, cv2.MORPH_TOPHAT, cv2.getStructuringElement(cv2.MORPH_RECT, (9, 9)))
    _, _, stats, _ = cv2.connectedComponentsWithStats(((above > 50) & (gray > 150)).astype(np.uint8))
    lights = int(((stats[1:, cv2.CC_STAT_AREA] >= 2) & (stats[1:, cv2.CC_STAT_AREA] <= 60)).sum())
    lines = cv2.HoughLinesP(cv2.Canny(gray, 60, 150), 1, np.pi / 180, 40,
                            minLineLength=int(0.2 * gray.shape[0]), maxLineGap=3)
    return float(sky.mean()), 1e4 * lights / gray.size, 0.0 if lines is None else float(len(lines))


COLOUR_NAMES = ("red", "orange", "yellow", "green", "blue", "purple", "white", "grey", "black")
COLOUR_SHARES = 2 * len(COLOUR_NAMES)  # per frame: the whole frame's, then its centre's
_HUE_EDGES = (8, 20, 35, 85, 130, 165)  # OpenCV hue (0-179) where red, orange, ... purple end
CHROMATIC = len(_HUE_EDGES)  # COLOUR_NAMES' first six, red to purple: the colours with a hue
SHADES = ("grey", "black")  # shadow and dim rooms as often as a backdrop or a thing's colour


def colour_labels(hsv: np.ndarray) -> np.ndarray:
    """The COLOUR_NAMES index of each pixel of an (..., 3) OpenCV HSV array."""
    hue, sat, val = (hsv[..., k].astype(int) for k in range(3))
    chromatic = np.searchsorted(_HUE_EDGES, hue, side="right") % CHROMATIC  # hues past purple wrap to red
    return np.where(val < 50, 8, np.where(sat < 40, np.where(val > 190, 6, 7), chromatic))


def colour_shares(hsv: np.ndarray) -> np.ndarray:
    """Shares of the named colours (COLOUR_NAMES order) in a thumbnail_hsv(): 9 for the whole
    frame, then 9 for its central quarter."""
    label = colour_labels(hsv).reshape(-1)
    centre = np.zeros((36, 64), bool)
    centre[9:27, 16:48] = True
    n = len(COLOUR_NAMES)
    return np.concatenate([np.bincount(label, minlength=n) / label.size,
                           np.bincount(label[centre.ravel()], minlength=n) / centre.sum()])


BACKDROP_SHARE = 0.6  # of the frame outside its centre: one colour behind the subject


MIXED_SHARE = 0.1  # where no colour reaches a quarter of the frame, those that reach this share
# Of the frame's centre, in a colour other than its backdrop's (and not grey or black, which shadows
# give): what stands there. Against an orange table top, a red and yellow toy robot: 0.14 and 0.13.
SUBJECT_SHARE = 0.1
# Below this mean share of coloured pixels (red to purple) a shot is in black and white. A
# greyscale picture has none at all: the 1906 race film, the flies and the fish measured 0.000 in
# every frame; the least coloured colour footage, a screen recording in greys with a webcam
# picture in it, 0.029, a coin on a white table 0.044.
MONOCHROME_SHARE = 0.005


def describe_colours(mean: np.ndarray, min_share: float = 0.25) -> dict:
    """The main colours of a shot from its frames' mean colour shares: names, largest first; where
    none has `min_share` of the frame, the three largest of the mix ("mixed"); the backdrop, a
    colour (not grey or black: those are shadow and dim rooms as often as a backdrop) that fills
    most of the frame around its centre, else None; before a backdrop, the colours of what
    stands in the centre ("subject", at most two); and whether the picture has no colour at all
    ("monochrome": black and white)."""
    named = lambda part, least: [COLOUR_NAMES[i] for i in np.argsort(-part) if part[i] >= least]
    n = len(COLOUR_NAMES)
    around = (4 * mean[:n] - mean[n:]) / 3  # the centre is a quarter of the frame
    top = int(np.argmax(around))
    backdrop = COLOUR_NAMES[top] if around[top] >= BACKDROP_SHARE and COLOUR_NAMES[top] not in SHADES else None
    frame = named(mean[:n], min_share)
    subject = [c for c in named(mean[n:], SUBJECT_SHARE) if c != backdrop and c not in SHADES][:2] if backdrop else []
    return {"frame": frame, "centre": named(mean[n:], min_share), "backdrop": backdrop,
            "mixed": [] if frame else named(mean[:n], MIXED_SHARE)[:3], "subject": subject,
            "monochrome": bool(mean[:CHROMATIC].sum() < MONOCHROME_SHARE)}


# ImageNet concepts that show open water; blue below the horizon is water only beside one of them
# (a blue test card, a blue wall or a night sky's blue is not).
WATER_CONCEPTS = {"a lake", "a coast", "a beach", "a pier", "a boat", "a ship", "a coral reef",
                  "a swan", "a whale", "a sea lion", "a diver"}
MIN_WATER_SUPPORT = 0.2


CITY = "city buildings with lit windows"
INDOOR_PLACES = {"a stage", "a restaurant", "a library", "a shop", "a church", "a cinema"}
NIGHT_SKY = 0.15  # share of the top third (night_measures)
NIGHT_LIGHTS = 10  # lit points per 10,000 pixels: a night sky with lights under it
CITY_LIGHTS = 20  # ...and this many, with CITY_LINES straight edges: lit buildings (the night city: 27-63, 18-43)
CITY_LINES = 10


NO_OUTDOORS = 0.1  # outdoor evidence below this: no sky, vegetation, water, vehicle or outdoor place
# Detected things that belong in rooms (COCO classes): with one of them in view, sky-coloured pixels
# are a wall or a window. Books count only as a shelf of them (SHELF_BOOKS): one is read outdoors too.
FURNISHINGS = {"bed", "couch", "toilet", "tv", "laptop", "microwave", "oven", "toaster", "sink",
               "refrigerator", "keyboard", "mouse", "hair drier", "toothbrush"}
SHELF_BOOKS = 5
# The median share of glare (colour_stats) in a shot past which its lack of sky and vegetation
# no longer makes it indoors: sunlight may be falling on it. Shot medians on the samples and dev
# set: at most 0.003 on every clip in a room or studio; sunlit patio 0.16 (dance, whose lack of
# sky had made it "indoors"), daylight through windows 0.07-0.09 (tree, realshort, cockatoo).
GLARE = 0.05
# A window: the classifier's mass on WINDOW_CLASSES (window_mass) reaching WINDOW_SUPPORT in a shot
# under GLARE, the daylight a window lets in. Shot means under glare on the samples and dev set: windows 0.043
# (realshort), 0.066 (dance's glass door), 0.10-0.20 (tree); everything else at most 0.009. Without
# glare the classes mean little: the fly arena's mesh floor reads as a window screen at up to 0.21.
WINDOW_SUPPORT = 0.025
WINDOW_CLASSES = ("sliding door", "window screen", "window shade", "shoji")


@lru_cache(maxsize=1)
def _window_indices() -> list[int]:
    from ..features import imagenet_categories

    return [imagenet_categories().index(c) for c in WINDOW_CLASSES]


def sunlit(glare: np.ndarray) -> bool:
    """Whether sunlight may fall on a shot: the median of its glare (colour_stats, per sampled
    frame) reaches GLARE."""
    return len(glare) > 0 and float(np.median(glare)) >= GLARE


def window_mass(probs: np.ndarray) -> np.ndarray:
    """ImageNet probabilities (n, 1000) -> the mass on WINDOW_CLASSES, (n, 1)."""
    return probs[:, _window_indices()].sum(axis=1, keepdims=True)


def describe_setting(sky: np.ndarray, green: np.ndarray, water: np.ndarray, kinds: dict,
                     concept_names: list[str], lighting: str, water_support: float = 0.0,
                     night: tuple = (), people: int = 0, objects: list[dict] = (),
                     glare: np.ndarray = np.zeros(0), animals: bool = False) -> dict:
    """Indoors or outdoors, day or night, and a setting noun where the evidence is clear.
    `water_support` is the classifier's probability mass on WATER_CONCEPTS; `night` holds the
    shot's night_measures per sampled frame; `people` how many people the shot shows; `objects`
    what the detector named in it (describe_objects); `glare` colour_stats' per sampled frame;
    `animals` whether an animal was named in it: its kind, not only "an animal"."""
    sky, green, water = (float(np.mean(a)) if len(a) else 0.0 for a in (sky, green, water))
    night_sky, lights, lines = (float(np.median(a)) if len(a) else 0.0 for a in night) if len(night) else (0.0,) * 3
    at_night = night_sky >= NIGHT_SKY and lights >= NIGHT_LIGHTS
    if water_support < MIN_WATER_SUPPORT or at_night:  # a night sky's blue is not water either
        water = 0.0
    outdoor_evidence = sky + green + water + kinds.get("vehicle", 0) + kinds.get("place", 0)
    place = None
    if at_night and lights >= CITY_LIGHTS and lines >= CITY_LINES:
        place = CITY
    elif {"a car", "a taxi", "a bus", "a truck", "a van", "a tram", "a vehicle", "a bicycle",
            "traffic lights", "a street sign", "a scooter"} & set(concept_names):
        place = "a street"
    elif INDOOR_PLACES & set(concept_names):
        place = next(n for n in concept_names if n in INDOOR_PLACES)
    elif green > 0.5:  # green ground: a lawn, a meadow, a pitch; "grass" is true of them all. A lawn fills
        # the bottom half (vtest 0.70-0.74, bigbuckbunny 0.60-0.70); a tree seen through a window,
        # green from top to bottom, filled 0.35-0.41 of it
        place = "grass"
    elif water > 0.35:
        place = "water"
    furnished = any(o["name"] in FURNISHINGS or (o["name"] == "book" and o["count"] >= SHELF_BOOKS) for o in objects)
    outdoors = place in {"a street", "grass", "water", CITY} or at_night or (outdoor_evidence > 0.5 and not furnished)
    # Someone seen with nothing of the outdoors around them (no sky above their head, no
    # vegetation, water or street) is indoors. Shots with people on the samples and dev set:
    # indoors 0.01-0.05 (Megamind, box, cap12, cap13); outdoors 0.64-1.0, in a car 0.21. A plain
    # white or blue backdrop reads as sky (cup 0.86, franck 0.75): those shots are not called indoors.
    # A shelf of books or a sofa in view: indoors, whatever the colours say (jwpIntro's and
    # testMovie's pale office walls read as 0.17 sky). Under glare the lack of sky proves nothing.
    # An animal whose kind is named, seen so, is indoors too (the dog on a tiled floor: outdoor
    # evidence 0.00); not one only called "an animal": two flies on a lab's mesh floor filmed from
    # above (0.00) show nothing of a room.
    indoors = place in INDOOR_PLACES or (not outdoors and (furnished or outdoor_evidence < NO_OUTDOORS
                                                           and not sunlit(glare)
                                                           and (kinds.get("object", 0) > 0.3 or people > 0
                                                                or animals)))
    where = "outdoors" if outdoors else "indoors" if indoors else "unknown"
    time_of_day = ("night" if at_night or lighting == "dark" else "day") if where == "outdoors" else "unknown"
    return {"where": where, "time_of_day": time_of_day, "place": place,
            "sky": round(sky, 2), "green": round(green, 2), "water": round(water, 2),
            "night_sky": round(night_sky, 2), "lights": round(lights, 1), "lines": round(lines, 1)}
