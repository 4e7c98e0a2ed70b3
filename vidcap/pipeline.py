"""The main job, stage by stage: decode -> shots -> features -> facts -> narrator -> cues."""

import bisect
import json
from functools import lru_cache
from dataclasses import asdict, dataclass, field
from typing import Callable, Optional

import numpy as np

from . import __version__, cache
from .errors import BadVideo
from .narration.cues import Cue, ReadabilityRules, Span, make_cues, unsaid
from .narration.dialogue import merge, no_dialogue, speech_cues
from .analysis.speech import DEFAULT_SPEECH_MODEL, Word, speech_spans, transcribe
from .analysis.decode import VideoInfo, iter_frames, keyframe_times, probe, time_limit
from .analysis.facts import ShotFacts, all_facts, concept_table
from .analysis.features import DEFAULT_ENCODER, Encoder, FeatureSpool, FrameRows, cpu_cores, load_encoder, set_threads
from .narration.narrator import DEFAULT_NARRATOR, get_narrator
from .analysis.perception.observe import STILL_DIFF, FrameObserver, split_thumbnails
from .analysis.perception.setting import window_mass
from .analysis.perception.technical import black_segments, fades, without_bars
from .analysis.perception.text import text_onsets
from .analysis.shots import Shot, ShotDetector, ShotSettings, parts, shrink, split_at, start_fades
from .timing import timed

ANALYSIS_VERSION = 41  # bump when what analyse() stores changes
SEGMENT_SECONDS = 600.0
SHORTEST = 0.001  # seconds: a video whose frames span less has no time to hold a subtitle
SMALL_WIDTH = 256  # every decoded frame is shrunk to this width for luma, motion and the change check


@dataclass(frozen=True)
class Options:
    sample_fps: float = 2.0  # frames per second through the CNN (plus the first frame of each shot)
    short_side: int = 224  # analysis frame size, scaled in ffmpeg
    decode_fps: Optional[float] = None  # cap on decoded frames per second; None: every frame
    encoder: str = DEFAULT_ENCODER
    batch_size: int = 16
    shots: ShotSettings = ShotSettings()
    rules: ReadabilityRules = ReadabilityRules()
    narrator: str = DEFAULT_NARRATOR
    use_cache: bool = True
    still_diff: float = STILL_DIFF  # sampling by change (perception.observe); 0: analyse every sampled frame
    time_limit: Optional[float] = None  # seconds to decode and analyse a video; None: from its duration (decode.time_limit)
    content: str = "descriptions"  # or "speech" (dialogue only) or "both" (SDH: dialogue, descriptions between)
    speech_model: Optional[str] = None  # speech.SPEECH_MODELS name or a CTranslate2 Whisper folder; None: the default
    audio_track: int = 0  # which audio stream speech is heard on, from 0
    segment_seconds: float = SEGMENT_SECONDS  # a long film is analysed in stretches of this length (segment_borders)
    analysis_workers: int = 1  # processes analysing those stretches at once


@dataclass
class Analysis:
    """What one decode pass yields: shots (a long take as its parts: shots.parts); per sampled
    frame its time, CNN features, ImageNet concept scores (facts.concept_table), mean luma and the
    perception measurements (`measures`, also holding the classifier's mass on window classes as
    `window`, and per-decoded-frame luma as `every_*`); what OCR read; and the objects detected on some of the
    sampled frames (perception.observe)."""
    info: VideoInfo
    duration: float
    shots: list[Shot]
    times: np.ndarray
    features: FrameRows  # float16, read from a file as asked for
    concepts: np.ndarray  # float16, (samples, concepts): ImageNet probability mass per concept
    brightness: np.ndarray
    measures: dict
    ocr: list
    objects: list
    voices: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))  # (start, end) where a voice is heard
    thumbnails: list = field(default_factory=list)  # [(time, JPEG bytes)] for the review page
    blacks: list = field(default_factory=list)  # technical.black_segments of every decoded frame
    fades: list = field(default_factory=list)  # technical.fades into and out of them
    seconds: dict = field(default_factory=dict)  # per stage of analyse(); empty when it came from the cache

    def frames_in(self, shot: Shot) -> np.ndarray:
        return np.flatnonzero((self.times >= shot.start - 1e-6) & (self.times < shot.end - 1e-6))


@dataclass
class Result:
    info: VideoInfo
    duration: float
    shots: list[Shot]
    facts: list[ShotFacts]
    cues: list[Cue]
    model: dict = field(default_factory=dict)
    segments: list[dict] = field(default_factory=list)  # technical: black, fades, bars, credits
    sentences: list[list[str]] = field(default_factory=list)  # the narrator's, per shot, before cues
    unsaid: list[dict] = field(default_factory=list)  # sentences no cue had room for (cues.unsaid)
    seconds: dict = field(default_factory=dict)  # per stage (timing.timed)
    thumbnails: list = field(default_factory=list)  # [{"time", "jpeg", "boxes"}]: the review page's
    speech: list = field(default_factory=list)  # [speech.Word] heard, with --content speech or both

    @property
    def shot_count(self) -> int:
        """Shots between cuts: a long take described in parts is one shot."""
        return sum(s.cut for s in self.shots)

    def to_dict(self) -> dict:
        r = lambda t: round(t, 3)
        return {
            "video": {"path": self.info.path, "duration": r(self.duration), "fps": self.info.fps,
                      "width": self.info.width, "height": self.info.height},
            "shots": [{"start": r(s.start), "end": r(s.end), "cut": s.cut, "facts": f.to_dict()}
                      for s, f in zip(self.shots, self.facts)],
            "segments": self.segments,
            "cues": [{"start": r(c.start), "end": r(c.end), "text": c.text} for c in self.cues],
            "unsaid": self.unsaid,
            **({"speech": [asdict(w) for w in self.speech]} if self.model.get("content", "descriptions") != "descriptions" else {}),
            "model": self.model,
        }


def _cache_fields(path: str, options: Options) -> dict:
    return {"sha256": cache.file_digest(path), "version": ANALYSIS_VERSION,
            "encoder": options.encoder, "concepts": concept_table().digest, "sample_fps": options.sample_fps,
            "short_side": options.short_side, "decode_fps": options.decode_fps, "still_diff": options.still_diff,
            "segment_seconds": options.segment_seconds, "shots": asdict(options.shots), "audio_track": options.audio_track}


def analyse(path: str, options: Options = Options(), encoder: Optional[Encoder] = None,
            progress: Optional[Callable[[float, Optional[float]], None]] = None) -> Analysis:
    """`progress(seconds decoded, duration)` is called as frames arrive, when given."""
    info = probe(path)
    key = cache.cache_key(_cache_fields(path, options)) if options.use_cache else None
    if key and (hit := cache.load("analysis", key)) is not None and "rows" in hit:
        features = FrameRows(hit["rows"], int(hit["feature_width"]), hit["feature_source"])
        if features.complete():
            return _from_arrays(info, hit, features)

    spool = FeatureSpool()
    borders = segment_borders(info, options.segment_seconds)
    stretches = list(zip(borders, borders[1:] + [None]))
    if options.analysis_workers > 1 and len(stretches) > 1:
        parts = _analyse_in_parallel(info, options, stretches, spool, progress)
    else:
        encoder = encoder or load_encoder(options.encoder)
        parts = [_analyse_stretch(info, options, encoder, spool, start, end, progress) for start, end in stretches]
    last_time = max(p["last_time"] for p in parts)
    duration = max(info.duration or 0.0, last_time + 1.0 / info.fps)
    if duration < SHORTEST:  # a time base gone wrong (one flipped byte in the moov: 4,096,025 frames a second)
        frames = sum(len(p["arrays"]["every_time"]) for p in parts)
        raise BadVideo(f"{info.path}: corrupt timestamps: its {frames} frames span {duration * 1000:.4f} ms")
    bounds = [0.0] + sorted({c for p in parts for c in p["cuts"] if 0 < c < duration}) + [duration]
    source = np.concatenate([p["source"] + sum(q["encoded"] for q in parts[:i]) for i, p in enumerate(parts)])
    arrays = {"duration": np.array(duration), "shots": np.array(list(zip(bounds, bounds[1:]))),
              "feature_source": source, "feature_width": np.array(parts[0]["width"]),
              **_joined([p["arrays"] for p in parts])}
    seconds = {}
    with timed(seconds, "voices"):
        voices = voices_heard(info, options.audio_track, options.time_limit or time_limit(info))
        arrays["voices"] = np.array(voices, np.float64).reshape(-1, 2)
    features = spool.finish(source, parts[0]["width"])
    if key:
        cache.save("analysis", key, arrays, rows=features.file)
    analysis = _from_arrays(info, arrays, features)
    analysis.seconds = {k: sum(p["seconds"].get(k, 0.0) for p in parts) for k in {k for p in parts for k in p["seconds"]}}
    analysis.seconds.update(seconds)
    return analysis


def voices_heard(info: VideoInfo, track: int, limit: float) -> list[tuple[float, float]]:
    """speech_spans, or none where the file has no such audio track (probe counted them: no
    ffmpeg is started for a silent film) or its audio cannot be decoded (in `limit` seconds): the
    pictures are still described."""
    if track >= info.audio_tracks:
        return []
    try:
        return speech_spans(info.path, track, limit)
    except BadVideo:
        return []


def segment_borders(info: VideoInfo, seconds: float) -> list[float]:
    """Where a film is cut into stretches that are analysed apart (and in parallel, with
    Options.analysis_workers): at the first keyframe after every `seconds`, so that a stretch
    decodes from its own start. The same borders whatever the number of workers, so the result
    does not depend on it. [0.0] for a film of less than 1.5 stretches."""
    if not info.duration or info.duration < 1.5 * seconds:
        return [0.0]
    keys = sorted(keyframe_times(info))
    borders = [0.0]
    for k in range(1, int(info.duration // seconds) + 1):
        first = max(bisect.bisect_left(keys, k * seconds), bisect.bisect_right(keys, borders[-1]))
        if first < len(keys) and keys[first] < info.duration - seconds / 2:
            borders.append(keys[first])
    return borders


def _analyse_stretch(info: VideoInfo, options: Options, encoder: Encoder, spool: FeatureSpool | list,
                     start: float, end: Optional[float], progress=None) -> dict:
    """Decode and analyse the frames from `start` to `end` (None: the film's end). The frames of
    the half second before `start` go to the shot detector alone, so that a cut right at `start`
    is found. The CNN's rows are appended to `spool`: the film's FeatureSpool, or in a worker
    process a list that goes back with the result."""
    detector = ShotDetector(info.fps, options.shots)
    observer = FrameObserver(still_diff=options.still_diff)
    table = concept_table()
    times, brightness, concepts, windows, batch = [], [], [], [], []
    source, encoded = [], 0  # per sampled frame, the row of the CNN's output it takes (a still frame: the last one's)

    def flush():
        if batch:
            with timed(observer.seconds, "cnn"):
                f, p = encoder.encode(batch)
            spool.append(f)
            # concept scores rather than 1,000 class probabilities: 6 MB for 2 hours, not 58
            concepts.append(table.scores(p).astype(np.float16))
            windows.append(window_mass(p).astype(np.float16))
            batch.clear()

    next_sample, last_time = 0.0, start
    # The detectors allow no cut within min_shot of the first frame they see: they start that much earlier.
    lead = options.shots.min_shot + 1.5 / info.fps if start > 0 else 0.0
    frames = iter_frames(info, options.short_side, options.decode_fps, start=max(0.0, start - lead),
                         limit=options.time_limit or time_limit(info))
    while True:
        with timed(observer.seconds, "decode (waiting on ffmpeg)"):
            frame = next(frames, None)
        if frame is None or (end is not None and frame.time >= end - 1e-6):
            frames.close()
            break
        with timed(observer.seconds, "shots"):
            small = shrink(frame.image, SMALL_WIDTH)
            new_shot = detector.push(frame.time, shrink(small, options.shots.detect_width))
        if frame.time < start - 1e-6:
            continue
        last_time = frame.time
        if progress:
            progress(frame.time, info.duration)
        sampled = new_shot or frame.time >= next_sample - 1e-6
        picture = without_bars(frame.image) if sampled else frame.image
        fresh = observer.add(frame.time, picture, small, sampled, new_shot)
        if sampled:
            next_sample = frame.time + 1.0 / options.sample_fps
            times.append(frame.time)
            brightness.append(observer.every["luma"][-1])  # one measure of light, as black frames use
            if fresh:
                source.append(encoded)
                encoded += 1
                batch.append(picture)
            else:
                source.append(source[-1])
            if len(batch) >= options.batch_size:
                flush()
    flush()
    detector.finish(last_time + 1.0 / info.fps)
    arrays = {"times": np.array(times), "concepts": _rows(concepts, source, len(table.concepts)),
              "window": _rows(windows, source, 1)[:, 0],
              "brightness": np.array(brightness, np.float32), **observer.arrays()}
    return {"arrays": arrays, "source": np.array(source, np.int64), "encoded": encoded, "width": encoder.feature_dim,
            "cuts": [c for c in detector.cuts if c >= start - 1e-6], "last_time": last_time,
            "seconds": observer.seconds}


def _joined(stretches: list[dict]) -> dict:
    """The arrays of consecutive stretches as one film's: arrays end to end, JSON lists joined."""
    if len(stretches) == 1:
        return stretches[0]
    out = {}
    for name, first in stretches[0].items():
        if first.ndim == 0:  # a JSON list (observe.FrameObserver.arrays)
            out[name] = np.array(json.dumps([x for s in stretches for x in json.loads(str(s[name]))]))
        else:
            out[name] = np.concatenate([s[name] for s in stretches])
    return out


def _analyse_in_parallel(info: VideoInfo, options: Options, stretches: list, spool: FeatureSpool, progress) -> list[dict]:
    """The stretches in `options.analysis_workers` processes; their CNN rows come back to `spool` in order."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    parts = []
    context = multiprocessing.get_context("spawn")  # no fork of a process holding model threads
    threads = max(1, cpu_cores() // options.analysis_workers)  # the models' threads, shared out
    with ProcessPoolExecutor(options.analysis_workers, mp_context=context,
                             initializer=set_threads, initargs=(threads,)) as pool:
        for part in pool.map(_stretch_in_worker, [(info.path, options, a, b) for a, b in stretches]):
            spool.append(part.pop("rows"))
            parts.append(part)
            if progress:
                progress(part["last_time"], info.duration)
    return parts


def _stretch_in_worker(job) -> dict:
    """One stretch, its CNN rows kept in memory (a list takes them as a spool would) to be sent back."""
    path, options, start, end = job
    rows = []
    part = _analyse_stretch(probe(path), options, _worker_encoder(options.encoder), rows, start, end)
    part["rows"] = np.concatenate(rows).astype(np.float16) if rows else np.zeros((0, part["width"]), np.float16)
    return part


@lru_cache(maxsize=1)
def _worker_encoder(name: str) -> Encoder:
    return load_encoder(name)


def _rows(batches: list[np.ndarray], source: list[int], width: int) -> np.ndarray:
    """Per sampled frame, the encoder's row it takes (a still frame repeats the last one's; the
    rows taken never go back). Empties `batches` as it fills the result, so that the film's rows
    are never held twice."""
    out = np.empty((len(source), width), np.float16)
    source = np.asarray(source, np.int64)
    first = 0
    while batches:
        batch = batches.pop(0)
        lo, hi = np.searchsorted(source, [first, first + len(batch)])
        out[lo:hi] = batch[source[lo:hi] - first]
        first += len(batch)
    return out


def _from_arrays(info: VideoInfo, a: dict, features: FrameRows) -> Analysis:
    """The analysis, its shots as the parts that are described: a long take's stretches
    (shots.parts), a shot split where new text comes on screen, so that a title which
    appears late in a shot is read out when it appears, and a cut inside a fade to black moved
    to where the fade begins (shots.start_fades)."""
    named = {"duration", "shots", "times", "feature_source", "feature_width", "rows", "rows_saved", "concepts",
             "brightness", "ocr", "objects", "voices", "thumb_times", "thumb_sizes", "thumb_jpegs"}
    ocr = json.loads(str(a["ocr"]))
    shots = parts([Shot(float(s), float(e)) for s, e in a["shots"]])
    shots = split_at(shots, [t for shot in shots for t in text_onsets(ocr, shot, a["times"], a["text_chars"])])
    blacks = black_segments(a["every_time"], a["every_luma"], a["every_spread"], float(a["duration"]))
    found = fades(a["every_time"], a["every_luma"], blacks)
    black_ends = {b["start"]: b["end"] for b in blacks}
    shots = start_fades(shots, [(f["start"], black_ends[f["end"]]) for f in found if f["type"] == "fade out"])
    return Analysis(info, float(a["duration"]), shots, a["times"], features, a["concepts"],
                    a["brightness"], {k: v for k, v in a.items() if k not in named},
                    ocr, json.loads(str(a["objects"])), a["voices"],
                    split_thumbnails(a["thumb_times"], a["thumb_sizes"], a["thumb_jpegs"]), blacks, found)


def describe_video(path: str, options: Options = Options(), encoder: Optional[Encoder] = None,
                   narrator=None, progress=None) -> Result:
    """The whole job for one video. A batch worker passes the encoder and narrator it loaded
    once; otherwise they are loaded here (the encoder only when the analysis is not cached)."""
    narrator = narrator or get_narrator(options.narrator)
    analysis = analyse(path, options, encoder, progress)
    seconds = dict(analysis.seconds)
    with timed(seconds, "facts"):
        facts, segments = all_facts(analysis)
    with timed(seconds, "narration, cues"):
        sentences = narrator.narrate(facts, analysis)
        spans = [Span(s.start, s.end, said) for s, said in zip(analysis.shots, sentences)]
        cues = make_cues(spans, analysis.duration, analysis.info.fps, options.rules)
    not_said = unsaid(spans, cues)
    model = {"narrator": narrator.name, "encoder": options.encoder,
             "sample_fps": options.sample_fps, "vidcap": __version__, "content": options.content}
    words = []
    if options.content != "descriptions":
        with timed(seconds, "speech"):
            words = transcribe_cached(path, options)
        fps, rules = analysis.info.fps, options.rules
        dialogue = speech_cues(words, analysis.duration, fps, rules)
        if options.content == "speech":
            cues, not_said = dialogue or [no_dialogue(analysis.duration, rules)], []
        else:
            cues, left_out = merge(cues, dialogue, fps, rules)
            not_said += [{"start": c.start, "end": c.end, "text": " ".join(c.text.split())} for c in left_out]
        model["speech_model"] = options.speech_model or DEFAULT_SPEECH_MODEL
    looks = {round(o["time"], 6): o["boxes"] for o in analysis.objects}
    thumbnails = [{"time": t, "jpeg": jpeg, "boxes": looks.get(round(t, 6), [])} for t, jpeg in analysis.thumbnails]
    return Result(analysis.info, analysis.duration, analysis.shots, facts, cues, model, segments, sentences,
                  not_said, seconds, thumbnails, words)


SPEECH_VERSION = 2  # bump when what transcribe() returns changes


def transcribe_cached(path: str, options: Options) -> list[Word]:
    """speech.transcribe, kept in the cache beside the analysis (keyed by the file and the model)."""
    fields = {"sha256": cache.file_digest(path), "speech": SPEECH_VERSION,
              "model": options.speech_model or DEFAULT_SPEECH_MODEL, "track": options.audio_track}
    key = cache.cache_key(fields) if options.use_cache else None
    if key and (hit := cache.load("speech", key)) is not None:
        return [Word(**w) for w in json.loads(str(hit["words"]))]
    words = transcribe(path, options.speech_model, options.audio_track)
    if key:
        cache.save("speech", key, {"words": np.array(json.dumps([asdict(w) for w in words]))})
    return words
