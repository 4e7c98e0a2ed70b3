"""Generated test videos with known content: cuts at known times, variable frame rate, rotation,
non-square pixels, start offsets. Made with ffmpeg's lavfi sources, so no data is downloaded."""

import subprocess
from typing import Callable, Optional, Sequence

import cv2
import numpy as np

from ..analysis.decode import ffmpeg_exe

# Visually distinct lavfi sources, so that each boundary between them is a hard cut.
SOURCES = ["testsrc2", "smptebars", "mandelbrot", "color=c=0x2040c0", "rgbtestsrc",
           "cellauto=rule=110", "color=c=0xd0a020", "life=ratio=0.3:mold=10"]


def run_ffmpeg(args: Sequence[str]):
    result = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
                             *args], capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"ffmpeg failed: {result.stderr.strip()[-500:]}")


def make_cuts_video(path: str, durations: Sequence[float], size: str = "320x240", fps: float = 25,
                    sources: Sequence[str] = SOURCES, pix_fmt: str = "yuv420p",
                    codec_args: Sequence[str] = ("-preset", "veryfast"), fade: float = 0):
    """Segments of the given durations, each from the next source: hard cuts at the running sums,
    or with `fade` seconds, fades through black (out at each segment's end, in at the next's start)."""
    args, parts = [], []
    for i, seconds in enumerate(durations):
        source = sources[i % len(sources)]
        sep = ":" if "=" in source else "="
        args += ["-f", "lavfi", "-i", f"{source}{sep}size={size}:rate={fps}"]
        fades = f",fade=in:d={fade},fade=out:st={seconds - fade}:d={fade}" if fade else ""
        parts.append(f"[{i}:v]trim=duration={seconds},setpts=PTS-STARTPTS{fades},format={pix_fmt}[v{i}]")
    graph = ";".join(parts) + ";" + "".join(f"[v{i}]" for i in range(len(durations)))
    graph += f"concat=n={len(durations)}:v=1:a=0[out]"
    run_ffmpeg([*args, "-filter_complex", graph, "-map", "[out]", "-c:v", "libx264",
                *codec_args, "-pix_fmt", pix_fmt, path])


def make_vfr_video(path: str, frame_times: Sequence[float], size: str = "320x240"):
    """One frame at each given time (seconds, increasing): a variable-frame-rate file."""
    expr = "+".join(f"eq(N,{i})*{t}" for i, t in enumerate(frame_times))
    run_ffmpeg(["-f", "lavfi", "-i", f"testsrc2=size={size}:rate=100",
                "-vf", f"setpts='({expr})/TB'", "-frames:v", str(len(frame_times)),
                "-fps_mode", "passthrough", "-c:v", "libx264", "-pix_fmt", "yuv420p",
                "-video_track_timescale", "1000", path])


def remux(src: str, path: str, rotation: float = 0, start: float = 0, sar: str = ""):
    """Copy a video, adding a display-matrix rotation, a start offset or a pixel aspect ratio."""
    pre = ["-display_rotation:v:0", str(rotation)] if rotation else []
    post = ["-output_ts_offset", str(start)] if start else []
    if sar:  # the pixel aspect is in the H.264 stream itself, so it takes a bitstream filter
        post += ["-bsf:v", f"h264_metadata=sample_aspect_ratio={sar.replace(':', '/')}"]
    run_ffmpeg([*pre, "-i", src, "-c", "copy", *post, path])


def make_audio_only(path: str, seconds: float = 1.0):
    run_ffmpeg(["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}", "-c:a", "aac", path])


def make_drawn_video(path: str, draw: Callable[[int, float], np.ndarray], frames: int,
                     size: tuple[int, int] = (320, 240), fps: float = 25):
    """Frames drawn in Python (draw(index, time) -> BGR array of `size`), encoded with x264."""
    w, h = size
    proc = subprocess.Popen([ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
                             "-f", "rawvideo", "-pix_fmt", "bgr24", "-s", f"{w}x{h}", "-r", str(fps),
                             "-i", "pipe:", "-c:v", "libx264", "-preset", "veryfast",
                             "-pix_fmt", "yuv420p", path], stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    for i in range(frames):
        proc.stdin.write(np.ascontiguousarray(draw(i, i / fps), np.uint8).tobytes())
    proc.stdin.close()
    if proc.wait() != 0:
        raise RuntimeError(f"ffmpeg failed: {proc.stderr.read().decode()[-500:]}")


def texture(width: int, height: int, seed: int = 0) -> np.ndarray:
    """A canvas of random shapes: plenty of corners for motion tracking, no text."""
    rng = np.random.default_rng(seed)
    canvas = np.full((height, width, 3), 90, np.uint8)
    for _ in range(width * height // 900):
        colour = tuple(int(c) for c in rng.integers(0, 255, 3))
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
        if rng.random() < 0.5:
            cv2.rectangle(canvas, (x, y), (x + int(rng.integers(5, 30)), y + int(rng.integers(5, 30))), colour, -1)
        else:
            cv2.circle(canvas, (x, y), int(rng.integers(3, 15)), colour, -1)
    return canvas


def text_card(lines: Sequence[str], size: tuple[int, int] = (320, 240), font_size: int = 28,
              background: int = 0, top: Optional[int] = None,
              fill: tuple[int, int, int] = (255, 255, 255)) -> np.ndarray:
    """Lines of text (white unless `fill`, RGB) centred on a plain grey level, in Pillow's
    bundled FreeType font."""
    from PIL import Image, ImageDraw, ImageFont

    w, h = size
    font = ImageFont.load_default(size=font_size)
    line_height = int(font_size * 1.6)
    card = Image.new("RGB", (w, h), (background,) * 3)
    draw = ImageDraw.Draw(card)
    y = top if top is not None else (h - line_height * len(lines)) // 2
    for i, line in enumerate(lines):
        left, _, right, _ = draw.textbbox((0, 0), line, font=font)
        draw.text(((w - (right - left)) // 2, y + i * line_height), line, font=font, fill=fill)
    return np.asarray(card)[:, :, ::-1].copy()


COLOURS = {"red": (40, 40, 220), "green": (60, 180, 60), "blue": (200, 90, 30), "yellow": (40, 220, 230),
           "white": (245, 245, 245), "purple": (160, 50, 140)}
BACKGROUNDS = {"black": (10, 10, 10), "grey": (128, 128, 128), "orange": (40, 140, 250)}
SHAPES = ("circle", "square", "triangle")


def draw_shape(canvas: np.ndarray, shape: str, colour: tuple, centre: tuple[int, int], radius: int):
    x, y = centre
    if shape == "circle":
        cv2.circle(canvas, (x, y), radius, colour, -1, cv2.LINE_AA)
    elif shape == "square":
        cv2.rectangle(canvas, (x - radius, y - radius), (x + radius, y + radius), colour, -1)
    else:
        points = np.array([(x, y - radius), (x - radius, y + radius), (x + radius, y + radius)], np.int32)
        cv2.fillPoly(canvas, [points], colour, cv2.LINE_AA)


def make_captioned_video(path: str, rng: np.random.Generator, size: tuple[int, int] = (160, 120),
                         fps: float = 12) -> list[tuple[float, float, str]]:
    """A video of 2 to 4 shots with known content and events, and its exact description as an
    .srt beside it: a coloured shape on a background, sometimes on a panning textured backdrop,
    sometimes a return to an earlier shot. Returns the (start, end, text) cues."""
    import datetime

    import srt as srt_lib

    w, h = size
    shots, t = [], 0.0
    for i in range(int(rng.integers(2, 5))):
        earlier = [s for s in shots[:-1] if not s["again"]]
        if earlier and rng.random() < 0.35:
            shot = dict(earlier[int(rng.integers(len(earlier)))], again=True)
            text = f"Back to the {shot['colour']} {shot['shape']}."
        else:
            shot = {"shape": SHAPES[int(rng.integers(3))], "colour": list(COLOURS)[int(rng.integers(len(COLOURS)))],
                    "background": list(BACKGROUNDS)[int(rng.integers(len(BACKGROUNDS)))],
                    "pan": [None, "left", "right"][int(rng.integers(3))], "seed": int(rng.integers(1 << 30)),
                    "again": False}
            text = f"A {shot['colour']} {shot['shape']} on {shot['background']}."
            if shot["pan"]:
                text += f" The camera pans {shot['pan']}."
        # Long enough for its sentence to make one readable cue (about 44 characters at 17/s).
        length = float(rng.uniform(2.6, 4.0))
        shots.append(dict(shot, start=t, end=t + length, text=text))
        t += length
    backdrops = {}

    def draw(i, time):
        shot = next(s for s in shots if time < s["end"]) if time < shots[-1]["end"] else shots[-1]
        key = shot["seed"]
        if key not in backdrops:
            # Half texture, half the named colour: enough corners for the camera motion to be measured.
            backdrop = texture(4 * w, h, seed=key) // 2
            backdrop[:] = backdrop + np.array(BACKGROUNDS[shot["background"]], np.uint8) // 2
            backdrops[key] = backdrop
        offset = int((time - shot["start"]) * 0.5 * w)
        x0 = {None: w, "right": w // 4 + offset, "left": 11 * w // 4 - offset}[shot["pan"]]
        frame = backdrops[key][:, x0:x0 + w].copy()
        draw_shape(frame, shot["shape"], COLOURS[shot["colour"]], (w // 2, h // 2), h // 3)
        return frame

    make_drawn_video(path, draw, int(t * fps), size, fps)
    cues = [(s["start"], s["end"], s["text"]) for s in shots]
    subtitles = [srt_lib.Subtitle(i + 1, datetime.timedelta(seconds=a), datetime.timedelta(seconds=b), text)
                 for i, (a, b, text) in enumerate(cues)]
    with open(path.rsplit(".", 1)[0] + ".srt", "w") as f:
        f.write(srt_lib.compose(subtitles))
    return cues


def make_captioned_dataset(folder: str, count: int, seed: int = 0) -> list[str]:
    import os

    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(seed)
    paths = []
    for i in range(count):
        path = os.path.join(folder, f"gen{seed:03d}_{i:04d}.mp4")
        make_captioned_video(path, rng)
        paths.append(path)
    return paths
