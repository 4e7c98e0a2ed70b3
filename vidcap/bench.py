"""`make bench`: the main job on a generated 10-minute 720p H.264 film, against the floor of
decoding the same file with `ffmpeg -f null`, in one run."""

import argparse
import os
import random
import resource
import subprocess
import time

from .decode import ffmpeg_exe
from .pipeline import Options, describe_video
from .synth import make_cuts_video


def bench_video(folder: str, minutes: float) -> str:
    path = os.path.join(folder, f"film-{minutes:g}min-720p.mp4")
    if not os.path.exists(path):
        os.makedirs(folder, exist_ok=True)
        rng = random.Random(0)
        durations, total = [], 0.0
        while total < minutes * 60:
            durations.append(min(rng.uniform(1.5, 12.0), minutes * 60 - total))
            total += durations[-1]
        print(f"generating {path} ({len(durations)} shots)...", flush=True)
        make_cuts_video(path + ".part.mp4", durations, size="1280x720", fps=24)
        os.replace(path + ".part.mp4", path)
    return path


def decode_floor(path: str) -> float:
    start = time.perf_counter()
    subprocess.run([ffmpeg_exe(), "-nostdin", "-v", "error", "-i", path, "-f", "null", "-"], check=True)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--folder", default="bench")
    args = parser.parse_args()
    path = bench_video(args.folder, args.minutes)
    floor = decode_floor(path)
    start = time.perf_counter()
    result = describe_video(path, Options(use_cache=False))
    wall = time.perf_counter() - start
    peak_mib = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                   resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
    print(f"video            {path}: {result.duration:.0f} s, {result.info.width}x{result.info.height}, "
          f"{len(result.shots)} shots, {len(result.cues)} cues")
    print(f"pipeline wall    {wall:.1f} s  (realtime factor {result.duration / wall:.1f}x)")
    print(f"decode floor     {floor:.1f} s  (ffmpeg -f null)")
    print(f"pipeline/floor   {wall / floor:.2f}")
    print(f"peak memory      {peak_mib:.0f} MiB (largest process)")


if __name__ == "__main__":
    main()
