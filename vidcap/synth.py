"""Generated test videos with known content: cuts at known times, variable frame rate, rotation,
non-square pixels, start offsets. Made with ffmpeg's lavfi sources, so no data is downloaded."""

import subprocess
from typing import Sequence

from .decode import ffmpeg_exe

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
