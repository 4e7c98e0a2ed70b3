"""`make fuzz`: vidcap over unusual, damaged and hostile files, as an archive would hand them over.

Builds a corpus from samples/bikes.mp4 (real footage) with the ffmpeg that vidcap uses: valid but
unusual files (codecs, containers, sizes, rates, stream layouts, names) and damaged ones
(truncated, bytes flipped, header zeroed, random bytes, audio with only cover art). Runs
`vidcap describe` on each file and `vidcap batch` over the folder, each with a time limit, and
prints the counts that must be zero: crashes, hangs, valid files refused, unreadable or empty
outputs, multi-line errors and temporary files left behind; then kills a batch with SIGKILL at
random moments and resumes it, checking the journal after every kill; stages the batch's faults
(bench.faults: disk full, OUTDIR removed or read-only, journal damaged, OOM killer); and runs
the limits: a 24-hour film against a 1-hour one, a GIF of 100,000 frames and a header claiming
16384x16384, each under a stated memory cap."""

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from . import faults
from ..analysis.decode import ffmpeg_exe
from ..learning.synth import run_ffmpeg

SOURCE = os.path.join("samples", "bikes.mp4")


@dataclass
class Case:
    name: str  # file name in the corpus
    valid: bool  # a valid video: it must be described; damaged ones may be refused in one line


# name: ffmpeg output options applied to the source's first 2 s at 320 px wide (see _encode)
VALID = {
    "mpeg2.mpg": ["-c:v", "mpeg2video", "-q:v", "4"],
    "vp9.webm": ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "300k"],
    "av1.mkv": ["-c:v", "libaom-av1", "-cpu-used", "8", "-b:v", "200k", "-t", "1"],
    "hevc-8bit.mp4": ["-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=error"],
    "hevc-10bit.mkv": ["-c:v", "libx265", "-preset", "ultrafast", "-pix_fmt", "yuv420p10le",
                       "-x265-params", "log-level=error"],
    "prores.mov": ["-c:v", "prores_ks", "-profile:v", "0"],
    "mjpeg.avi": ["-c:v", "mjpeg", "-q:v", "5"],
    "mpeg4-part2.avi": ["-c:v", "mpeg4", "-q:v", "5"],
    "theora.ogv": ["-c:v", "libtheora", "-q:v", "5"],
    "animated.gif": ["-vf", "fps=10", "-f", "gif"],
    "interlaced-sd.ts": ["-vf", "scale=720:576,setsar=16/15,setfield=tff", "-c:v", "mpeg2video", "-flags", "+ilme+ildct",
                         "-b:v", "4M"],
    "tiny-17x13.mkv": ["-vf", "scale=17:13", "-c:v", "ffv1"],
    "uhd-3840x2160.mp4": ["-vf", "scale=3840:2160", "-c:v", "libx264", "-preset", "ultrafast", "-t", "1"],
    "strip-2000x64.mp4": ["-vf", "scale=2000:64", "-c:v", "libx264", "-preset", "ultrafast"],
    "slow-0.5fps.mp4": ["-vf", "fps=0.5", "-c:v", "libx264", "-t", "8"],
    "fast-120fps.mp4": ["-vf", "fps=120", "-c:v", "libx264", "-preset", "ultrafast", "-t", "1"],
    "single-frame.mp4": ["-frames:v", "1", "-c:v", "libx264"],
    "with-audio.mkv": ["-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac"],
}
NAMES = ["-leading-dash.mp4", "with spaces.mp4", "unicodé 映画.mp4", "colon:in-name.mp4"]
TRUNCATE_AT = (0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99)
FLIPPED = 6  # files with random bytes flipped, one seed each


def _encode(source: str, target: str, options: list[str]):
    seconds = "10" if "-t" in options else "2"  # an option's own -t (later) wins
    video = ["-vf", "scale=320:-2"] if "-vf" not in options else []
    audio = ["-f", "lavfi", "-i", "sine=frequency=440:duration=2"] if "-c:a" in options else []
    run_ffmpeg(["-t", seconds, "-i", source, *audio, *video, *(["-an"] if not audio else []), *options, target])


def build_corpus(folder: str, source: str = SOURCE, seed: int = 0) -> list[Case]:
    os.makedirs(folder, exist_ok=True)
    cases = []
    for name, options in VALID.items():
        _encode(source, os.path.join(folder, name), options)
        cases.append(Case(name, True))
    plain = os.path.join(folder, "plain.mp4")
    _encode(source, plain, ["-c:v", "libx264", "-preset", "ultrafast"])
    cases.append(Case("plain.mp4", True))
    for name in NAMES:
        shutil.copyfile(plain, os.path.join(folder, name))
        cases.append(Case(name, True))
    shutil.copyfile(plain, os.path.join(folder, f"{STALL}.mp4"))  # valid; batch_all makes its decode stall
    cases.append(Case(f"{STALL}.mp4", True))
    # two video streams of different sizes: the first is described
    run_ffmpeg(["-i", plain, "-filter_complex", "[0:v]split[a][b];[b]scale=160:-2[c]", "-map", "[a]", "-map", "[c]",
                "-c:v", "libx264", "-preset", "ultrafast", os.path.join(folder, "two-video-streams.mkv")])
    cases.append(Case("two-video-streams.mkv", True))

    faststart = os.path.join(folder, ".faststart.mp4")
    run_ffmpeg(["-i", plain, "-c", "copy", "-movflags", "+faststart", faststart])
    rng = random.Random(seed)
    for original, label in ((plain, "moov-last"), (faststart, "moov-first")):
        data = open(original, "rb").read()
        for share in TRUNCATE_AT:
            name = f"truncated-{label}-{round(share * 100):02d}pct.mp4"
            open(os.path.join(folder, name), "wb").write(data[:int(len(data) * share)])
            cases.append(Case(name, False))
    data = open(faststart, "rb").read()
    os.remove(faststart)
    for k in range(FLIPPED):
        flipped = bytearray(data)
        for _ in range(20):
            flipped[rng.randrange(len(flipped))] ^= 1 << rng.randrange(8)
        open(os.path.join(folder, f"flipped-{k}.mp4"), "wb").write(bytes(flipped))
        cases.append(Case(f"flipped-{k}.mp4", False))
    open(os.path.join(folder, "header-zeroed.mp4"), "wb").write(bytes(4096) + data[4096:])
    cases.append(Case("header-zeroed.mp4", False))
    open(os.path.join(folder, "random-bytes.mkv"), "wb").write(rng.randbytes(200_000))
    cases.append(Case("random-bytes.mkv", False))
    cover = os.path.join(folder, ".cover.png")
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc=size=300x300", "-frames:v", "1", cover])
    for name in ("cover-art.m4a", "cover-art.mp3"):
        run_ffmpeg(["-f", "lavfi", "-i", "sine=duration=3", "-i", cover, "-map", "0:a", "-map", "1:v",
                "-c:v", "png" if name.endswith(".m4a") else "mjpeg", "-disposition:v", "attached_pic",
                os.path.join(folder, name)])
        cases.append(Case(name, False))
    os.remove(cover)
    return cases


def unreadable(path: str) -> str | None:
    """Why a subtitle file is not fit to use (srt, pysubs2 and ffmpeg must read it, with a cue),
    or None."""
    import pysubs2
    import srt

    try:
        text = open(path, encoding="utf-8").read()
        cues = list(srt.parse(text)) if path.endswith(".srt") else None
        if cues is not None and not cues:
            return "no cues"
        if not pysubs2.load(path).events:
            return "no cues (pysubs2)"
    except Exception as e:  # any failure to read is the finding
        return f"{type(e).__name__}: {e}"
    result = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error", "-i", path, "-f", "srt", "-"],
                            capture_output=True, text=True)
    if result.returncode or result.stderr.strip() or not result.stdout.strip():
        return f"ffmpeg: {result.stderr.strip()[:200] or 'no cues'}"
    return None


# State that libraries keep in TMPDIR under fixed names, reused by every run rather than left
# behind by one: onnxruntime's session file, torch's compiled-kernel cache.
LIBRARY_STATE = (".ses", "torchinductor_")


def _leftovers(folder: str, expected: set[str]) -> list[str]:
    found = []
    for top, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(LIBRARY_STATE)]
        for f in files:
            rel = os.path.relpath(os.path.join(top, f), folder)
            if rel not in expected and not f.startswith(LIBRARY_STATE):
                found.append(rel)
    return found


def describe_one(vidcap: list[str], corpus: str, case: Case, index: int, work: str, limit: float) -> dict:
    """`vidcap describe` on one file, from inside the corpus folder (the name passed after `--`,
    as a user must pass a name that starts with a dash); judged as make fuzz counts it."""
    out, tmp = os.path.join(work, f"out-{index}"), os.path.join(work, f"tmp-{index}")
    os.makedirs(out)
    os.makedirs(tmp)
    output = os.path.join(out, "described.srt")
    env = {**os.environ, "TMPDIR": tmp}
    began = time.monotonic()
    try:
        run = subprocess.run([*vidcap, "describe", "--no-cache", "-o", output, "--", case.name], cwd=corpus,
                             env=env, capture_output=True, text=True, timeout=limit)
    except subprocess.TimeoutExpired:
        return {"case": case.name, "valid": case.valid, "outcome": "hang", "seconds": limit}
    row = {"case": case.name, "valid": case.valid, "exit": run.returncode,
           "seconds": round(time.monotonic() - began, 1)}
    left = _leftovers(out, {"described.srt"} if run.returncode == 0 else set()) + _leftovers(tmp, set())
    if left:
        row["leftovers"] = left
    row["outcome"], last_line = judged(run.returncode, run.stderr, output)
    if row["outcome"] in ("refused", "multi-line error"):
        row["error"] = last_line
    if row["outcome"] in ("multi-line error", "crash"):
        row["stderr"] = run.stderr[-2000:]
    return row


def judged(code: int, stderr: str, output: str) -> tuple[str, str]:
    """How make fuzz counts one `vidcap describe`: "described" (its output read back),
    "unreadable output: why", "refused" (exit 1 with one line on stderr), "multi-line error" or
    "crash"; and the last line it wrote on stderr."""
    errors = [line for line in stderr.splitlines() if line.strip()]
    last_line = errors[-1] if errors else ""
    if code == 0:
        why = unreadable(output)
        return (f"unreadable output: {why}" if why else "described"), last_line
    if code == 1 and "Traceback" not in stderr:
        return ("refused" if len(errors) == 1 else "multi-line error"), last_line
    return "crash", last_line


STALL = "stalls"  # corpus files whose name holds this never deliver a frame through stalling_ffmpeg()
STALL_LIMIT = 20  # --time-limit for them: more than any corpus file takes


def stalling_ffmpeg(folder: str) -> str:
    """A stand-in for ffmpeg that answers probes but, decoding a file named with STALL, never
    delivers a frame: a stuck decode, as a damaged file or a dying disk gives."""
    path = os.path.join(folder, "stalling-ffmpeg")
    with open(path, "w") as f:
        f.write(f'#!/bin/sh\ncase "$*" in *rawvideo*{STALL}*|*{STALL}*rawvideo*) exec sleep 3600;; esac\n'
                f'exec "{ffmpeg_exe()}" "$@"\n')
    os.chmod(path, 0o755)
    return path


def describe_stalled(vidcap: list[str], corpus: str, work: str) -> dict:
    """A decode that never delivers: `vidcap describe` must end it at the time limit, in one line."""
    env = {**os.environ, "VIDCAP_FFMPEG": stalling_ffmpeg(work)}
    began = time.monotonic()
    try:
        run = subprocess.run([*vidcap, "describe", "--no-cache", "--time-limit", "5", "-o",
                              os.path.join(work, "stalled.srt"), "--", f"{STALL}.mp4"],
                             cwd=corpus, env=env, capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        return {"case": "stalled decode", "valid": False, "outcome": "hang", "seconds": 60}
    errors = [line for line in run.stderr.splitlines() if line.strip()]
    ok = run.returncode == 1 and len(errors) == 1 and "time limit" in errors[0]
    return {"case": "stalled decode", "valid": False, "seconds": round(time.monotonic() - began, 1),
            "outcome": "refused" if ok else "crash", "error": errors[-1] if errors else "", "stderr": run.stderr[-2000:]}


def batch_all(vidcap: list[str], corpus: str, cases: list[Case], work: str, limit: float) -> dict:
    """`vidcap batch` over the corpus, with a decode that stalls on one file: every valid file
    described, the stalled one failed at its time limit, every damaged one described or listed as
    failed, nothing but outputs and the batch's own state left in OUTDIR."""
    out = os.path.join(work, "batch-out")
    try:
        run = subprocess.run([*vidcap, "batch", corpus, "-o", out, "--no-cache", "--workers", "2",
                              "--time-limit", str(STALL_LIMIT)],
                             capture_output=True, text=True, timeout=limit,
                             env={**os.environ, "TMPDIR": os.path.join(work, "batch-tmp"),
                                  "VIDCAP_FFMPEG": stalling_ffmpeg(work)})
    except subprocess.TimeoutExpired:
        return {"outcome": "hang"}
    row = {"exit": run.returncode, "problems": []}
    if os.path.exists(os.path.join(out, f"{STALL}.srt")):
        row["problems"].append("the stalled file has an output")
    status = subprocess.run([*vidcap, "status", out], capture_output=True, text=True).stdout
    if not any(STALL in line and "failed" in line for line in status.splitlines()):
        row["problems"].append(f"the stalled file is not listed as failed:\n{status}")
    if "Traceback" in run.stderr or run.returncode not in (0, 1):
        row["problems"].append(f"crash (exit {run.returncode}): {run.stderr[-1000:]}")
    for case in cases:
        output = os.path.join(out, os.path.splitext(case.name)[0] + ".srt")
        if os.path.exists(output):
            if why := unreadable(output):
                row["problems"].append(f"{case.name}: unreadable output: {why}")
        elif case.valid and STALL not in case.name:
            row["problems"].append(f"{case.name}: valid file has no output")
    state = {os.path.relpath(os.path.join(t, f), out) for t, _, fs in os.walk(out) for f in fs}
    left = [p for p in state if p.endswith(".tmp")] + _leftovers(os.path.join(work, "batch-tmp"), set())
    if left:
        row["problems"].append(f"temporary files left: {left}")
    return row


PEAK_OF_CHILDREN = ("import resource, subprocess, sys; code = subprocess.run(sys.argv[1:]).returncode; "
                    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(code)")


def describe_measured(vidcap: list[str], path: str, output: str, options: list[str], limit: float) -> dict:
    """`vidcap describe` on one file: exit status, outcome and last line on stderr (judged),
    seconds and the peak memory of the whole run (every process it started)."""
    began = time.monotonic()
    run = subprocess.run([sys.executable, "-c", PEAK_OF_CHILDREN, *vidcap, "describe", "--no-cache", *options,
                          path, "-o", output], capture_output=True, text=True, timeout=limit)
    outcome, last_line = judged(run.returncode, run.stderr, output)
    return {"exit": run.returncode, "outcome": outcome, "last_line": last_line, "stderr": run.stderr[-500:],
            "seconds": round(time.monotonic() - began, 1), "peak_mib": round(int(run.stdout.split()[-1]) / 1024)}


# Films of 1 and 24 hours, 64x36 at one frame a second, a second colour over the first every
# other hour, each read at the rate (LONG_FILMS: hours -> frames a second) that gives both 144
# frames to analyse: the same work, so that the peak memory measures length alone. The day
# must stream and peak at most LONG_GROWTH times the hour.
LONG_FILMS = {1: 0.04, 24: 1 / 600}
LONG_GROWTH = 1.10


def long_films(vidcap: list[str], work: str, limit: float) -> dict:
    rows, problems = {}, []
    for hours, rate in LONG_FILMS.items():
        path = os.path.join(work, f"long-{hours}h.mp4")
        run_ffmpeg(["-f", "lavfi", "-i", f"color=c=0x3050a0:size=64x36:rate=1:d={hours * 3600}",
                    "-f", "lavfi", "-i", "color=c=0xa05030:size=64x36:rate=1:d=1", "-filter_complex",
                    "[0:v][1:v]overlay=enable='lt(mod(t,7200),3600)'", "-c:v", "libx264", "-preset", "ultrafast",
                    "-g", "600", path])
        output = path.replace(".mp4", ".srt")
        try:
            run = describe_measured(vidcap, path, output, ["--decode-fps", str(rate)], limit)
        except subprocess.TimeoutExpired:
            problems.append(f"{hours} h: not done in {limit:.0f} s")
            continue
        rows[hours] = {k: run[k] for k in ("exit", "seconds", "peak_mib")}
        if run["outcome"] != "described":
            problems.append(f"{hours} h: {run['outcome']}, exit {run['exit']}: {run['stderr']}")
        os.remove(path)
    if len(rows) == 2 and rows[24]["peak_mib"] > LONG_GROWTH * rows[1]["peak_mib"]:
        problems.append(f"memory grows with length: {rows}")
    return {"films": rows, "problems": problems}


def oversized_png(path: str, side: int = 16384):
    """A PNG whose header claims side x side pixels (ffmpeg decodes frames up to about
    16000x16000, 256 megapixels), with only four rows of data behind it."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0))
    rows = chunk(b"IDAT", zlib.compress((b"\x00" + b"\x40" * 3 * side) * 4))
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + header + rows + chunk(b"IEND", b""))


# Inputs at the limits, and the memory cap every run must stay under: a GIF of GIF_FRAMES
# frames (48x32 at 50 frames a second, 2,000 s, read at one frame in 20 s: ffmpeg still decodes
# every frame) is described, and a header claiming 16384x16384 is refused in one line.
GIF_FRAMES = 100_000
MEMORY_CAP_MIB = 1024


def limits(vidcap: list[str], work: str, limit: float) -> dict:
    rows, problems = {}, []
    gif, png = os.path.join(work, "frames-100000.gif"), os.path.join(work, "header-16384x16384.png")
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc=size=48x32:rate=50", "-frames:v", str(GIF_FRAMES), "-f", "gif", gif])
    oversized_png(png)
    for path, options, expected in ((gif, ["--decode-fps", "0.05"], "described"), (png, [], "refused")):
        name, output = os.path.basename(path), os.path.join(work, "limit.srt")
        try:
            run = describe_measured(vidcap, path, output, options, limit)
        except subprocess.TimeoutExpired:
            problems.append(f"{name}: not done in {limit:.0f} s")
            continue
        rows[name] = {k: run[k] for k in ("exit", "outcome", "seconds", "peak_mib", "last_line")}
        if run["outcome"] != expected:
            problems.append(f"{name}: {run['outcome']}, not {expected}: exit {run['exit']}: {run['stderr']}")
        if run["peak_mib"] > MEMORY_CAP_MIB:
            problems.append(f"{name}: peak {run['peak_mib']} MiB, over the cap of {MEMORY_CAP_MIB} MiB")
        os.remove(path)
    return {"files": rows, "problems": problems}


FAULT_FILES = ["plain.mp4", "mpeg2.mpg", "vp9.webm"]  # the three clips each batch fault is staged on
KILL_FILES = ["plain.mp4", "mpeg2.mpg", "vp9.webm", "mjpeg.avi", "theora.ogv", "slow-0.5fps.mp4",
              "random-bytes.mkv", "truncated-moov-last-50pct.mp4"]


def kill_loop(vidcap: list[str], corpus: str, work: str, kills: int, seed: int = 1) -> dict:
    """`vidcap batch` killed with SIGKILL (the whole process group: driver and workers) at
    random moments, `kills` times, each run resuming the last; after each kill SQLite's
    integrity_check must pass. Then a last run to the end: every valid file done exactly once
    (done in the journal, at most one video_done in the log), no partial file left."""
    import signal
    import sqlite3

    folder, out = os.path.join(work, "kill-in"), os.path.join(work, "kill-out")
    os.makedirs(folder)
    for name in KILL_FILES:
        shutil.copyfile(os.path.join(corpus, name), os.path.join(folder, name))
    command = [*vidcap, "batch", folder, "-o", out, "--no-cache", "--workers", "2"]
    rng, problems = random.Random(seed), []
    journal = os.path.join(out, ".vidcap", "journal.sqlite")
    for _ in range(kills):
        run = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        time.sleep(rng.uniform(0.5, 8.0))  # from start-up to the middle of the second round of videos
        os.killpg(run.pid, signal.SIGKILL)
        run.wait()
        if os.path.exists(journal):
            db = sqlite3.connect(journal)
            check = db.execute("PRAGMA integrity_check").fetchone()[0]
            db.close()
            if check != "ok":
                problems.append(f"journal after a kill: {check}")
    final = subprocess.run(command, capture_output=True, text=True, timeout=600)
    if final.returncode != 1 or "Traceback" in final.stderr:  # 1: the two damaged files fail
        problems.append(f"last run: exit {final.returncode}: {final.stderr[-500:]}")
    status = {output: row[0] for output, row in faults.journal_rows(Path(out)).items()}
    done = faults.events(Path(out), "video_done")
    for name in KILL_FILES[:6]:
        output = os.path.splitext(name)[0] + ".srt"
        done_events = done.count(output)
        if status.get(output) != "done" or done_events > 1 or unreadable(os.path.join(out, output)):
            problems.append(f"{output}: {status.get(output)} in the journal, done {done_events} times in the log")
    partial = [f for _, _, files in os.walk(out) for f in files if f.endswith(".tmp")]
    if partial:
        problems.append(f"temporary files left: {partial}")
    return {"kills": kills, "problems": problems}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m vidcap.bench.fuzz", description=__doc__.splitlines()[0])
    parser.add_argument("--folder", default=os.path.join("bench", "fuzz"), help="corpus and results")
    parser.add_argument("--limit", type=float, default=120, help="seconds a describe may take before it counts as a hang")
    parser.add_argument("--jobs", type=int, default=2, help="describes run at once")
    parser.add_argument("--kills", type=int, default=50, help="times a batch is killed with SIGKILL and resumed")
    args = parser.parse_args(argv)
    began = time.monotonic()
    corpus, work = os.path.join(args.folder, "corpus"), os.path.join(args.folder, "runs")
    shutil.rmtree(args.folder, ignore_errors=True)
    cases = build_corpus(corpus)
    os.makedirs(work)
    os.makedirs(os.path.join(work, "batch-tmp"))
    print(f"corpus: {len(cases)} files ({sum(c.valid for c in cases)} valid) in {time.monotonic() - began:.0f} s",
          flush=True)
    vidcap = [sys.executable, "-m", "vidcap"]
    corpus, work = os.path.abspath(corpus), os.path.abspath(work)
    with ThreadPoolExecutor(args.jobs) as pool:
        rows = list(pool.map(lambda ic: describe_one(vidcap, corpus, ic[1], ic[0], work, args.limit),
                             enumerate(cases)))
    rows.append(describe_stalled(vidcap, corpus, work))
    for row in rows:
        print(f"  {row['outcome']:<18} {row.get('seconds', 0):>6.1f} s  {row['case']}"
              + (f"  ({row['error']})" if row.get("error") else ""), flush=True)
    batch = batch_all(vidcap, corpus, cases, work, 10 * args.limit)
    killed = kill_loop(vidcap, corpus, work, args.kills)
    long = long_films(vidcap, work, 4 * args.limit)
    edge = limits(vidcap, work, 4 * args.limit)
    staged = faults.play_all([os.path.join(corpus, n) for n in FAULT_FILES], Path(work) / "faults")
    counts = {
        "files": len(cases) + 1,  # and the stalled decode
        "described": sum(r["outcome"] == "described" for r in rows),
        "refused in one line": sum(r["outcome"] == "refused" for r in rows),
        "crashes": sum(r["outcome"] == "crash" for r in rows),
        "hangs": sum(r["outcome"] == "hang" for r in rows) + (batch.get("outcome") == "hang"),
        "valid files refused": sum(r["valid"] and r["outcome"] != "described" for r in rows),
        "unreadable outputs": sum(r["outcome"].startswith("unreadable") for r in rows),
        "multi-line errors": sum(r["outcome"] == "multi-line error" for r in rows),
        "temp files left": sum(len(r.get("leftovers", [])) for r in rows),
        "batch problems": len(batch.get("problems", [])),
        "SIGKILLs": killed["kills"],
        "problems after kills": len(killed["problems"]),
        "24-hour film peak / 1-hour film peak": (round(long["films"][24]["peak_mib"] / long["films"][1]["peak_mib"], 3)
                                                  if len(long["films"]) == 2 else None),
        "problems with long films": len(long["problems"]),
        "100,000-frame GIF peak MiB": edge["files"].get("frames-100000.gif", {}).get("peak_mib"),
        "problems at the limits": len(edge["problems"]),
        "batch faults staged": sum(isinstance(p, list) for p in staged.values()),
        "batch faults unavailable here": sum(isinstance(p, str) for p in staged.values()),
        "problems in batch faults": sum(len(p) for p in staged.values() if isinstance(p, list)),
    }
    json.dump({"counts": counts, "describe": rows, "batch": batch, "kills": killed, "long films": long, "limits": edge,
               "faults": staged},
              open(os.path.join(args.folder, "results.json"), "w"), indent=1, ensure_ascii=False)
    for problem in batch.get("problems", []):
        print("  batch:", problem)
    for problem in killed["problems"]:
        print("  after kills:", problem)
    for problem in long["problems"]:
        print("  long films:", problem)
    for problem in edge["problems"]:
        print("  limits:", problem)
    for fault, found in staged.items():
        print(f"  batch fault: {fault}: {found if isinstance(found, str) else '; '.join(found) or 'ok'}")
    for row in rows:
        if row["outcome"] not in ("described", "refused") or row.get("leftovers") or (row["valid"] and row["outcome"] != "described"):
            print(f"  PROBLEM {row['case']}: {row['outcome']} {row.get('leftovers', '')}\n{row.get('stderr', '')}")
    print(" | ".join(f"{k}: {v}" for k, v in counts.items()))
    print(f"make fuzz: {time.monotonic() - began:.0f} s; details in {os.path.join(args.folder, 'results.json')}")
    bad = ("crashes", "hangs", "valid files refused", "unreadable outputs", "multi-line errors", "temp files left",
           "batch problems", "problems after kills", "problems with long films", "problems at the limits",
           "problems in batch faults")
    return 1 if any(counts[k] for k in bad) else 0


if __name__ == "__main__":
    sys.exit(main())
