"""Decode stage: probe a video with the ffmpeg binary and stream its frames through a pipe.

One ffmpeg process per video decodes, rotates (display matrix), corrects non-square pixels and
downscales; frames arrive as BGR arrays, each with its true presentation time taken from
ffmpeg's `showinfo` filter, so variable frame rate and non-zero start times come out right.
"""

import os
import queue
import re
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass
from fractions import Fraction
from typing import Iterator, Optional

import ffmpeg
import numpy as np

from ..errors import BadVideo, VidcapError

# What a folder search takes for a video; audio-only containers (.m4a) are included so that a
# stray one is reported as having no video stream rather than passed over in silence.
VIDEO_EXTENSIONS = (".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".wmv", ".flv", ".mpg", ".mpeg",
                    ".m2v", ".ts", ".mts", ".m2ts", ".vob", ".3gp", ".ogv", ".mxf", ".dv", ".gif", ".m4a")


def ffmpeg_exe() -> str:
    """ffmpeg from $VIDCAP_FFMPEG, else PATH, else the binary shipped in the imageio-ffmpeg wheel."""
    exe = os.environ.get("VIDCAP_FFMPEG") or shutil.which("ffmpeg")
    if exe:
        return exe
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


@dataclass
class VideoInfo:
    path: str
    duration: Optional[float]  # seconds, None when the container does not say
    fps: float  # average frame rate
    width: int  # display size: after rotation and pixel aspect correction
    height: int
    rotation: int  # degrees of the display matrix, as ffmpeg reports it
    start_time: float  # the container's start; frame times are relative to it
    stream: int = 0  # which video stream is described: the first that is not cover art
    audio_tracks: int = 0  # how many audio streams the file holds


@dataclass
class Frame:
    index: int
    time: float  # presentation time in seconds from the start of the video
    image: np.ndarray  # H x W x 3, BGR, uint8


_ERROR_HINTS = [
    ("No such file or directory", "no such file"),
    ("Permission denied", "permission denied"),
    ("moov atom not found", "not a playable video: truncated, corrupt or no video at all "
                            "(moov atom not found)"),
    ("Invalid data found when processing input", "not a video file (invalid data)"),
    ("does not contain any stream", "no streams in file"),
]


def _ffmpeg_error(path: str, stderr: str) -> BadVideo:
    for needle, message in _ERROR_HINTS:
        if needle in stderr:
            return BadVideo(f"{path}: {message}")
    lines = [l.strip() for l in stderr.splitlines() if l.strip() and "At least one output" not in l]
    return BadVideo(f"{path}: ffmpeg failed: {lines[-1] if lines else 'no output'}")


def _seconds(hms: str) -> float:
    h, m, s = hms.split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)


def parse_probe(path: str, text: str) -> VideoInfo:
    """Read what `ffmpeg -i` prints about a file (works where no ffprobe is installed)."""
    videos = list(re.finditer(r"Stream #\d+:\d+[^\n]*?: Video: ([^\n]*)((?:\n    [^\n]*)*)", text))
    moving = [i for i, v in enumerate(videos) if "(attached pic)" not in v.group(1)]
    guess = re.search(r"Format (\S+) detected only with low score of \d+, misdetection possible", text)
    sized = moving and re.search(r"\d+x\d+", videos[moving[0]].group(1))
    if guess and re.search(r"Stream #\d+:\d+", text) and not sized:
        # Random bytes now and then look like a raw stream (mp3, h263, vvc) to ffmpeg's probe.
        raise BadVideo(f"{path}: not a playable video: unrecognised data "
                       f"(ffmpeg guessed {guess.group(1)}, with low confidence)")
    if not moving:
        if videos:
            raise BadVideo(f"{path}: no video stream (audio with cover art only)")
        if re.search(r"Stream #\d+:\d+", text):
            raise BadVideo(f"{path}: no video stream (audio or data only)")
        raise _ffmpeg_error(path, text)
    stream = videos[moving[0]]
    desc, side = stream.group(1), stream.group(2)
    if desc.startswith("ansi"):  # ffmpeg's tty demuxer renders any text file as "video"
        raise BadVideo(f"{path}: not a video file (text)")
    # "720x576"; not a codec tag's hex ("[2][0][0][0] / 0x0002", an MPEG-2 stream in MPEG-TS)
    size = re.search(r"(?<![\w])([1-9]\d{0,4})x([1-9]\d{0,4})(?![\w])", desc)
    if not size:
        if huge := re.search(r"Picture size (\d+x\d+) is invalid", text):
            raise BadVideo(f"{path}: frames of {huge.group(1)} are beyond what can be decoded "
                           f"(at most about 16000x16000, 256 megapixels)")
        raise BadVideo(f"{path}: video stream has no frame size (corrupt header?)")
    w, h = int(size.group(1)), int(size.group(2))
    sar = re.search(r"SAR (\d+):(\d+)", desc)
    if sar and int(sar.group(1)) > 0 and int(sar.group(2)) > 0 \
            and 1 / MAX_PIXEL_ASPECT <= int(sar.group(1)) / int(sar.group(2)) <= MAX_PIXEL_ASPECT:
        w = round(w * int(sar.group(1)) / int(sar.group(2)))
    rotation = re.search(r"rotation of (-?[\d.]+) degrees", side, re.IGNORECASE)
    rotation = round(float(rotation.group(1))) if rotation else 0
    if rotation % 180 == 90 or rotation % 180 == -90:
        w, h = h, w
    rate = re.search(r"([\d.]+)(k?) fps", desc) or re.search(r"([\d.]+)(k?) tbr", desc)
    fps = float(rate.group(1)) * (1000 if rate.group(2) else 1) if rate else 0.0
    fps = fps if fps > 0 else 25.0  # none given, or a damaged header's "0.0000 fps": frame times come from the frames
    duration = re.search(r"Duration: (\d+:\d+:[\d.]+)", text)
    start = re.search(r"start: (-?[\d.]+)", text)
    return VideoInfo(path=path, duration=_seconds(duration.group(1)) if duration else None,
                     fps=fps, width=w, height=h, rotation=rotation,
                     start_time=float(start.group(1)) if start else 0.0, stream=moving[0],
                     audio_tracks=len(re.findall(r"Stream #\d+:\d+[^\n]*?: Audio: ", text)))


# Pixels stretched further than this (a corrupt header's "SAR 1:7169" made a 16-pixel-wide picture
# 0 pixels wide) are shown as stored: real anamorphic video stays within 1:2 to 4:1.
MAX_PIXEL_ASPECT = 8


def probe(path: str) -> VideoInfo:
    if not os.path.exists(path):
        raise BadVideo(f"{path}: no such file")
    if os.path.isdir(path):
        raise BadVideo(f"{path}: is a directory, not a video file")
    if os.path.getsize(path) == 0:
        raise BadVideo(f"{path}: empty file")
    try:
        result = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", ffmpeg_input(path)],
                                capture_output=True, text=True, errors="replace", timeout=PROBE_LIMIT)
    except subprocess.TimeoutExpired:
        raise BadVideo(f"{path}: ffmpeg took longer than {PROBE_LIMIT} s to read the header") from None
    return parse_probe(path, result.stderr)


PROBE_LIMIT = 60  # seconds
# Without --time-limit, a video may take this long: far beyond a slow run on 2 cores (a 720p
# film analyses at about 5x realtime there), so only a stuck or crawling decode reaches it.
LIMIT_BASE, LIMIT_PER_SECOND, LIMIT_UNKNOWN_DURATION = 60.0, 10.0, 3600.0


def time_limit(info: VideoInfo) -> float:
    """Seconds a video may take to decode and analyse by default, from its duration."""
    return LIMIT_BASE + LIMIT_PER_SECOND * info.duration if info.duration else LIMIT_UNKNOWN_DURATION


def analysis_size(info: VideoInfo, short_side: int) -> tuple[int, int]:
    """Frame size (w, h) with the given short side, the display aspect kept, both even."""
    scale = short_side / min(info.width, info.height)
    even = lambda v: max(2, int(round(v / 2)) * 2)
    return even(info.width * scale), even(info.height * scale)


_SHOWINFO = re.compile(r"\] n:\s*(\d+) pts:\s*(-?\d+) pts_time:(\S+)")
_TIME_BASE = re.compile(r"config in time_base: (\d+)/(\d+)")


def ffmpeg_input(path: str) -> str:
    """The path as ffmpeg must read it: a local file, never a protocol ("http:", "concat:") that
    a name with a colon would otherwise select."""
    return "file:" + os.path.abspath(path)


def decode_command(info: VideoInfo, short_side: int, fps: Optional[float], start: float = 0.0) -> list[str]:
    """From `start` seconds on (a seek to the keyframe before, then decoded up to it), with the
    file's own timestamps (-copyts), which iter_frames counts from the container's start."""
    width, height = analysis_size(info, short_side)
    # ffmpeg-python cannot hash a name that is not UTF-8, so it builds the command around a
    # placeholder and the real name goes in afterwards.
    stream = ffmpeg.input("INPUT", **({"ss": f"{start:.6f}"} if start else {}))[f"v:{info.stream}"]
    if fps:
        # Keep real frames (not fps-filter duplicates) so each keeps its true timestamp.
        stream = stream.filter("select", f"isnan(prev_selected_t)+gte(t-prev_selected_t,{0.999 / fps:.6f})")
    stream = stream.filter("scale", width, height, flags="area").filter("setsar", 1).filter("showinfo")
    out = stream.output("pipe:", format="rawvideo", pix_fmt="bgr24", fps_mode="passthrough")
    args = out.global_args("-hide_banner", "-nostdin", "-loglevel", "info", *(["-copyts"] if start else [])
                           ).compile(cmd=ffmpeg_exe())
    args[args.index("INPUT")] = ffmpeg_input(info.path)
    return args


NO_PTS = -(2 ** 63)  # a packet without a presentation time (AVI): its decode time stands in


def keyframe_times(info: VideoInfo) -> list[float]:
    """The times of the video stream's keyframes, read from the packets' key flags without
    decoding (framecrc prints "F=" only for packets that are not plain keyframes). Counted from
    the container's start, as the decode pass counts. Decoding only keyframes instead took 4.7 s
    on a 2-hour film against 1.7 s, and VP9 and GIF decoders ignore that skip, marking every frame."""
    command = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error", "-i", ffmpeg_input(info.path),
               "-map", f"0:v:{info.stream}", "-c", "copy", "-f", "framecrc", "-"]
    listing = subprocess.run(command, capture_output=True, text=True, errors="replace").stdout
    base = re.search(r"^#tb \d+: (\d+)/(\d+)", listing, re.M)
    if not base:
        return []
    unit = int(base.group(1)) / int(base.group(2))
    times = []
    for line in listing.splitlines():
        fields = line.split(",")
        if not line.startswith("#") and len(fields) >= 6 and "F=" not in line:
            pts = int(fields[2])
            times.append((pts if pts != NO_PTS else int(fields[1])) * unit)
    return sorted(times)


def iter_frames(info: VideoInfo, short_side: int = 224, fps: Optional[float] = None,
                prefetch: int = 48, limit: Optional[float] = None, start: float = 0.0) -> Iterator[Frame]:
    """Stream frames (never the whole video in memory: at most `prefetch` frames wait in a
    queue, so ffmpeg keeps decoding while the consumer computes). `fps` caps the rate in
    ffmpeg; None keeps every frame. Raises BadVideo for unreadable or truncated input, and
    when decoding and the consumer's work together pass `limit` seconds (ffmpeg is stopped)."""
    deadline = time.monotonic() + limit if limit else None

    def too_slow():
        return BadVideo(f"{info.path}: took longer than the time limit of {limit:.0f} s "
                        f"(stuck or crawling decode; see --time-limit)")

    width, height = analysis_size(info, short_side)
    frame_bytes = width * height * 3
    proc = subprocess.Popen(decode_command(info, short_side, fps, start), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    times: "queue.Queue[Optional[float]]" = queue.Queue()
    frames: "queue.Queue[Optional[bytes]]" = queue.Queue(maxsize=prefetch)
    log: list[str] = []
    stop = threading.Event()

    def read_stderr():
        time_base = None
        for raw in proc.stderr:
            line = raw.decode("utf-8", "replace")
            if (m := _SHOWINFO.search(line)):
                pts = int(m.group(2))
                shown = float(pts * time_base) if time_base else float(m.group(3))
                times.put(shown - info.start_time if start else shown)
            elif (m := _TIME_BASE.search(line)) and time_base is None:
                time_base = Fraction(int(m.group(1)), int(m.group(2)))
            elif "side data" not in line and not line.startswith("[Parsed_showinfo"):
                log.append(line)
                del log[:-50]
        times.put(None)

    def read_stdout():
        while not stop.is_set():
            data = proc.stdout.read(frame_bytes)
            if len(data) < frame_bytes:
                break
            frames.put(data)
        frames.put(None)

    threads = [threading.Thread(target=f, daemon=True) for f in (read_stderr, read_stdout)]
    for t in threads:
        t.start()
    index, last_time, data, stopped = 0, None, b"", False
    try:
        while True:
            try:
                data = frames.get(timeout=None if deadline is None else max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise too_slow() from None
            if data is None:
                break
            if deadline is not None and time.monotonic() > deadline:
                raise too_slow()
            shown = times.get()
            if shown is None:
                break
            if shown < 0:
                # Frame times are seconds from the film's start (the shot detector refuses a time
                # before it); a frame a few hundredths before the last one is a valid file's (box.mp4).
                raise BadVideo(f"{info.path}: corrupt timestamps: a frame at {shown:.2f} s "
                               + ("before the start" if last_time is None else f"after one at {last_time:.2f} s"))
            last_time = shown
            yield Frame(index, shown, np.frombuffer(data, np.uint8).reshape(height, width, 3))
            index += 1
    finally:
        stop.set()
        if data is not None and proc.poll() is None:  # stopped before ffmpeg finished: not needed now
            stopped = True
            proc.kill()
        while data is not None:  # drain, so a reader blocked on a full queue sees `stop`
            data = frames.get()
        try:
            proc.wait(timeout=30)  # it closed its output: it is exiting
        except subprocess.TimeoutExpired:
            stopped = True
            proc.kill()
            proc.wait()
        for t in threads:
            t.join(timeout=5)
    if proc.returncode < 0 and not stopped:
        # The OOM killer's SIGKILL, typically: the machine's fault, not the file's (a batch retries it).
        raise VidcapError(f"{info.path}: ffmpeg was killed by signal {-proc.returncode} while decoding "
                          f"(out of memory?)")
    if proc.returncode != 0:
        raise _ffmpeg_error(info.path, "".join(log))
    if index == 0:
        raise BadVideo(f"{info.path}: no video frames could be decoded (corrupt file?)")
    # The last frame stays up for a frame's time: at 0.5 fps (the file's, or the `fps` it is read
    # at) a whole film ends 2 s after it.
    rate = min(info.fps, fps) if fps else info.fps
    slack = max(1.0, 0.1 * info.duration, 1.5 / rate) if info.duration else 0.0
    if info.duration and last_time is not None and last_time + slack < info.duration:
        raise BadVideo(f"{info.path}: truncated or corrupt: frames stop at {last_time:.2f} s "
                          f"of {info.duration:.2f} s")
