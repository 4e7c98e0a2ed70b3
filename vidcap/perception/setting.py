"""Setting from colour statistics: sky at the top, vegetation and water at the bottom; and the
colours of the frame and of its centre, where the subject usually stands."""

import cv2
import numpy as np


def thumbnail_hsv(image: np.ndarray) -> np.ndarray:
    """The 64x36 HSV thumbnail that the colour measures below read."""
    return cv2.cvtColor(cv2.resize(image, (64, 36), interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2HSV)


def colour_stats(hsv: np.ndarray) -> tuple[float, float, float]:
    """(sky, green, water) in a thumbnail_hsv(): shares of pixels that look like open sky in the
    top third, vegetation in the bottom half and water (blue) in the bottom half."""
    hue, sat, val = hsv[..., 0].astype(int), hsv[..., 1].astype(int), hsv[..., 2].astype(int)
    top, bottom = slice(0, 12), slice(18, 36)
    sky = ((hue[top] >= 90) & (hue[top] <= 130) & (sat[top] > 40) & (val[top] > 120)) | \
          ((sat[top] < 25) & (val[top] > 200))
    green = (hue[bottom] >= 30) & (hue[bottom] <= 85) & (sat[bottom] > 60) & (val[bottom] > 50)
    water = (hue[bottom] >= 90) & (hue[bottom] <= 125) & (sat[bottom] > 70) & (val[bottom] > 60)
    return float(sky.mean()), float(green.mean()), float(water.mean())


COLOUR_NAMES = ("red", "orange", "yellow", "green", "blue", "purple", "white", "grey", "black")
COLOUR_SHARES = 2 * len(COLOUR_NAMES)  # per frame: the whole frame's, then its centre's
_HUE_EDGES = (8, 20, 35, 85, 130, 165)  # OpenCV hue (0-179) where red, orange, ... purple end


def colour_shares(hsv: np.ndarray) -> np.ndarray:
    """Shares of the named colours (COLOUR_NAMES order) in a thumbnail_hsv(): 9 for the whole
    frame, then 9 for its central quarter."""
    pixels = hsv.reshape(-1, 3).astype(int)
    hue, sat, val = pixels[:, 0], pixels[:, 1], pixels[:, 2]
    chromatic = np.searchsorted(_HUE_EDGES, hue, side="right") % 6  # hues past purple wrap to red
    label = np.where(val < 50, 8, np.where(sat < 40, np.where(val > 190, 6, 7), chromatic))
    centre = np.zeros((36, 64), bool)
    centre[9:27, 16:48] = True
    return np.concatenate([np.bincount(label, minlength=9) / label.size,
                           np.bincount(label[centre.ravel()], minlength=9) / centre.sum()])


def describe_colours(mean: np.ndarray, min_share: float = 0.25) -> dict:
    """The main colours of a shot from its frames' mean colour shares: names, largest first."""
    named = lambda part: [COLOUR_NAMES[i] for i in np.argsort(-part) if part[i] >= min_share]
    n = len(COLOUR_NAMES)
    return {"frame": named(mean[:n]), "centre": named(mean[n:])}


# ImageNet concepts that show open water; blue below the horizon is water only beside one of them
# (a blue test card, a blue wall or a night sky's blue is not).
WATER_CONCEPTS = {"a lake", "a coast", "a beach", "a pier", "a boat", "a ship", "a coral reef",
                  "a swan", "a whale", "a sea lion", "a diver"}
MIN_WATER_SUPPORT = 0.2


def describe_setting(sky: np.ndarray, green: np.ndarray, water: np.ndarray, kinds: dict,
                     concept_names: list[str], lighting: str, water_support: float = 0.0) -> dict:
    """Indoors or outdoors, day or night, and a setting noun where the evidence is clear.
    `water_support` is the classifier's probability mass on WATER_CONCEPTS."""
    sky, green, water = (float(np.mean(a)) if len(a) else 0.0 for a in (sky, green, water))
    if water_support < MIN_WATER_SUPPORT:
        water = 0.0
    outdoor_evidence = sky + green + water + kinds.get("vehicle", 0) + kinds.get("place", 0)
    place = None
    if {"a car", "a taxi", "a bus", "a truck", "a van", "a tram", "a vehicle", "a bicycle",
            "traffic lights", "a street sign", "a scooter"} & set(concept_names):
        place = "a street"
    elif {"a stage", "a restaurant", "a library", "a shop", "a church", "a cinema"} & set(concept_names):
        place = next(n for n in concept_names if n in {"a stage", "a restaurant", "a library",
                                                       "a shop", "a church", "a cinema"})
    elif green > 0.35:  # green ground: a lawn, a meadow, a pitch; "grass" is true of them all
        place = "grass"
    elif water > 0.35:
        place = "water"
    outdoors = place in {"a street", "grass", "water"} or outdoor_evidence > 0.5
    indoors = place in {"a stage", "a restaurant", "a library", "a shop", "a church", "a cinema"} \
        or (not outdoors and outdoor_evidence < 0.1 and kinds.get("object", 0) > 0.3)
    where = "outdoors" if outdoors else "indoors" if indoors else "unknown"
    time_of_day = ("night" if lighting == "dark" else "day") if where == "outdoors" else "unknown"
    return {"where": where, "time_of_day": time_of_day, "place": place,
            "sky": round(sky, 2), "green": round(green, 2), "water": round(water, 2)}
