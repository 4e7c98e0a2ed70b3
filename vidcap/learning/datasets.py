"""Captioned video in the layouts users have: a folder of videos, each with a .srt describing it
(what vidcap writes), and converters from MSR-VTT, MSVD and ActivityNet Captions to that layout."""

import datetime
import json
import os
from dataclasses import dataclass

import srt

from ..analysis.decode import VIDEO_EXTENSIONS
from ..errors import VidcapError
from ..narration.writers import atomic_write


@dataclass
class CaptionedVideo:
    video: str
    cues: list[tuple[float, float, str]]


def read_srt(path: str) -> list[tuple[float, float, str]]:
    with open(path, encoding="utf-8-sig") as f:
        return [(s.start.total_seconds(), s.end.total_seconds(), " ".join(s.content.split()))
                for s in srt.parse(f.read())]


def load_folder(folder: str, videos: str | None = None) -> list[CaptionedVideo]:
    """Every video in `folder` (recursively) that has a .srt of the same name beside it; or,
    with `videos`, every .srt in `folder` whose video of the same name is in `videos`."""
    if not os.path.isdir(folder):
        raise VidcapError(f"{folder}: no such data folder")
    found = []
    for root, _, files in os.walk(folder):
        for name in sorted(files):
            stem, ext = os.path.splitext(name)
            if videos is not None:
                video = _find_video(videos, stem) if ext == ".srt" else None
                if video:
                    found.append(CaptionedVideo(video, read_srt(os.path.join(root, name))))
                continue
            subtitles = os.path.join(root, stem + ".srt")
            if ext.lower() in VIDEO_EXTENSIONS and os.path.exists(subtitles):
                found.append(CaptionedVideo(os.path.join(root, name), read_srt(subtitles)))
    if not found:
        raise VidcapError(f"{folder}: no video with a .srt beside it")
    return found


def write_srt(path: str, cues: list[tuple[float, float, str]]):
    atomic_write(path, srt.compose([
        srt.Subtitle(i + 1, datetime.timedelta(seconds=a), datetime.timedelta(seconds=b), text)
        for i, (a, b, text) in enumerate(cues)]))


def _find_video(video_dir: str, stem: str) -> str | None:
    for ext in VIDEO_EXTENSIONS:
        path = os.path.join(video_dir, stem + ext)
        if os.path.exists(path):
            return path
    return None


def _link(video: str, out_dir: str) -> str:
    target = os.path.join(out_dir, os.path.basename(video))
    if not os.path.lexists(target):
        os.symlink(os.path.abspath(video), target)
    return target


def _convert(clips: dict[str, list[tuple[float, float, str]]], video_dir: str, out_dir: str) -> int:
    os.makedirs(out_dir, exist_ok=True)
    written = 0
    for stem, cues in clips.items():
        video = _find_video(video_dir, stem)
        if video and cues:
            linked = _link(video, out_dir)
            write_srt(os.path.splitext(linked)[0] + ".srt", sorted(cues))
            written += 1
    return written


def convert_msrvtt(annotations: str, video_dir: str, out_dir: str) -> int:
    """MSR-VTT's JSON ("videos" with start/end times, "sentences" with captions): each clip gets
    one cue over the whole clip with its first caption."""
    with open(annotations) as f:
        data = json.load(f)
    spans = {v["video_id"]: (0.0, float(v["end time"]) - float(v["start time"])) for v in data["videos"]}
    clips: dict[str, list] = {}
    for s in data["sentences"]:
        if s["video_id"] in spans and s["video_id"] not in clips:
            clips[s["video_id"]] = [(*spans[s["video_id"]], s["caption"].strip().capitalize() + ".")]
    return _convert(clips, video_dir, out_dir)


def convert_msvd(descriptions: str, video_dir: str, out_dir: str, duration: float = 10.0) -> int:
    """MSVD's AllVideoDescriptions.txt ("clipid caption words" per line; clip ids end in
    _start_end seconds): one cue per clip with its first caption."""
    clips: dict[str, list] = {}
    with open(descriptions, encoding="utf-8") as f:
        for line in f:
            if not line.strip() or line.startswith("#") or " " not in line:
                continue
            clip, caption = line.strip().split(" ", 1)
            if clip not in clips:
                parts = clip.rsplit("_", 2)
                length = float(parts[2]) - float(parts[1]) if len(parts) == 3 and \
                    parts[1].isdigit() and parts[2].isdigit() else duration
                clips[clip] = [(0.0, length, caption.strip().capitalize() + ".")]
    return _convert(clips, video_dir, out_dir)


def convert_activitynet(annotations: str, video_dir: str, out_dir: str) -> int:
    """ActivityNet Captions' dense JSON ({id: {"duration", "timestamps", "sentences"}}): one cue
    per event."""
    with open(annotations) as f:
        data = json.load(f)
    clips = {vid: [(float(a), float(b), s.strip()) for (a, b), s in zip(v["timestamps"], v["sentences"])]
             for vid, v in data.items()}
    return _convert(clips, video_dir, out_dir)


CONVERTERS = {"msrvtt": convert_msrvtt, "msvd": convert_msvd, "activitynet": convert_activitynet}
