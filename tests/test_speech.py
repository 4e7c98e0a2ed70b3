"""Issue 14: what is said, with what is seen (SDH). Speech is generated with espeak-ng (Debian, installed
by `make setup`) so its words are known; Whisper tiny.en transcribes it offline."""

import json
import os
import shutil
import subprocess

import jiwer
import pytest

from test_cues import check_rules
from vidcap.cli import main
from vidcap.errors import BadVideo
from vidcap.learning import synth
from vidcap.narration.cues import Cue
from vidcap.narration.dialogue import merge, speech_cues
from vidcap.analysis.speech import Word, speech_spans, transcribe
from vidcap.pipeline import Options, analyse, describe_video

SAID = ("The train leaves the station at nine. "
        "Please take your seats and keep your tickets ready for the conductor.")
WER_BOUND = 0.25  # measured 0.0 to 0.1 on espeak-ng's en-us voice (tiny.en, int8)


def normalised(text: str) -> str:
    return jiwer.RemovePunctuation()(text.lower()).replace("9", "nine").strip()


@pytest.fixture(scope="module")
def spoken_clip(tmp_path_factory):
    """12 s of video (a still title card, then a plain shot) with SAID spoken from 1 s."""
    espeak = shutil.which("espeak-ng")
    assert espeak, "espeak-ng is not installed: run `make setup` (Debian: apt-get install espeak-ng)"
    folder = tmp_path_factory.mktemp("speech")
    wav, video, clip = folder / "said.wav", folder / "picture.mp4", folder / "spoken.mp4"
    subprocess.run([espeak, "-v", "en-us", "-s", "150", "-w", str(wav), SAID], check=True)
    card = synth.text_card(["PLATFORM 4"], (320, 240), 30)
    synth.make_drawn_video(str(video), lambda i, t: card, 300)
    synth.run_ffmpeg(["-i", str(video), "-i", str(wav), "-filter_complex", "[1:a]adelay=1000:all=1[a]",
                      "-map", "0:v", "-map", "[a]", "-c:v", "copy", "-c:a", "aac", "-shortest", str(clip)])
    return str(clip)


def test_speech_is_transcribed_with_word_times(spoken_clip):
    words = transcribe(spoken_clip)
    error = jiwer.wer(normalised(SAID), normalised(" ".join(w.text for w in words)))
    assert error <= WER_BOUND, (error, [w.text for w in words])
    assert 0.5 <= words[0].start <= 1.6  # spoken from 1 s (Whisper's word times are good to a few tenths)
    assert all(a.start <= b.start for a, b in zip(words, words[1:]))


def test_where_a_voice_is_heard_without_transcribing(spoken_clip, clips):
    spans = speech_spans(spoken_clip)
    assert len(spans) == 1, spans
    start, end = spans[0]
    assert 0.5 <= start <= 1.5 and end >= 6.0  # SAID is spoken from 1 s, for about 6 s
    assert speech_spans(clips["cuts.mp4"]) == []  # no audio track
    with pytest.raises(BadVideo):  # ffmpeg stopped at the time limit
        speech_spans(spoken_clip, limit=1e-3)
    assert analyse(spoken_clip).voices.tolist() == [list(spans[0])]  # kept with the analysis, for the facts


def test_both_gives_dialogue_timed_to_speech_and_descriptions_where_no_one_speaks(spoken_clip, tmp_path):
    result = describe_video(spoken_clip, Options(content="both"))
    check_rules(result.cues, result.duration, 25)
    dialogue = [c for c in result.cues if any(w.text in c.text for w in result.speech)]
    assert dialogue and dialogue[0].start == pytest.approx(result.speech[0].start, abs=0.2)
    heard = " ".join(" ".join(c.text.split()) for c in dialogue)
    assert jiwer.wer(normalised(SAID), normalised(heard)) <= WER_BOUND
    seen = [c for c in result.cues if c not in dialogue]
    for cue in seen:  # a description never overlaps what is said
        assert all(cue.end <= d.start or cue.start >= d.end for d in dialogue)
    assert main(["describe", spoken_clip, "--content", "both", "-o", str(tmp_path / "out.json")]) == 0
    written = json.loads((tmp_path / "out.json").read_text())
    assert written["model"]["content"] == "both" and written["speech"][0]["text"]


def test_speech_only_and_a_film_with_no_speech(clips, spoken_clip):
    spoken = describe_video(spoken_clip, Options(content="speech"))
    assert spoken.cues and all(any(w.text in c.text for w in spoken.speech) for c in spoken.cues)
    silent = describe_video(clips["cuts.mp4"], Options(content="speech"))
    assert [c.text for c in silent.cues] == ["[no dialogue]"] and silent.speech == []


def test_a_missing_audio_track_is_one_clear_error(spoken_clip, tmp_path, capsys):
    assert main(["describe", spoken_clip, "--content", "both", "--audio-track", "2",
                 "-o", str(tmp_path / "out.srt")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no audio track 2" in err


def test_long_speech_is_split_into_readable_cues():
    words, t = [], 0.0
    for i in range(60):  # 60 words at 3 a second, a sentence every 10
        text = f"word{i}" + ("." if i % 10 == 9 else "")
        words.append(Word(t, t + 0.25, text))
        t += 0.33
    cues = speech_cues(words, 25.0, 25)
    check_rules(cues, 25.0, 25)
    assert " ".join(" ".join(c.text.split()) for c in cues) == " ".join(w.text for w in words)


def test_descriptions_move_into_silence_or_are_left_out():
    dialogue = [Cue(1.0, 4.0, "Hello there."), Cue(6.0, 9.0, "Goodbye.")]
    descriptions = [Cue(0.0, 5.0, "A man at a desk."),  # fits in 4.08-5.0 s? no: 0-0.92 s is too short too
                    Cue(3.0, 10.0, "A door opens onto a street.")]
    placed, left_out = merge(descriptions, dialogue, 25)
    assert [c.text for c in left_out] == ["A man at a desk."]
    moved = next(c for c in placed if c.text.startswith("A door"))
    assert 9.0 < moved.start and moved.end <= 10.0 + 1e-6 or 4.0 < moved.start and moved.end < 6.0
    check_rules(placed, 10.0, 25)


def test_a_batch_manifest_sets_the_content_per_file(spoken_clip, clips, tmp_path):
    manifest = tmp_path / "films.csv"
    manifest.write_text(f"path,output,content\n{spoken_clip},spoken,both\n{clips['cuts.mp4']},cuts,\n")
    assert main(["batch", str(manifest), "-o", str(tmp_path / "out"), "--workers", "1"]) == 0
    spoken = (tmp_path / "out" / "spoken.srt").read_text().lower()
    assert "train" in spoken and "station" in spoken
    assert "[no dialogue]" not in (tmp_path / "out" / "cuts.srt").read_text()
    bad = tmp_path / "bad.csv"
    bad.write_text(f"path,content\n{spoken_clip},subtitles\n")
    assert main(["batch", str(bad), "-o", str(tmp_path / "out2")]) == 2


def test_the_default_weights_are_multilingual_and_named_weights_resolve(spoken_clip, tmp_path, capsys):
    """Whisper base (the default) hears German as German; tiny.en is there by name; a name that is
    neither nor a model folder is one clear line."""
    from vidcap.analysis.speech import model_folder

    wav = tmp_path / "de.wav"
    subprocess.run([shutil.which("espeak-ng"), "-v", "de", "-s", "140", "-w", str(wav),
                    "Der Zug fährt um neun Uhr vom Bahnhof ab. Bitte nehmen Sie Ihre Plätze ein und halten Sie "
                    "die Fahrkarten bereit."], check=True)
    words = transcribe(str(wav))
    heard = " ".join(w.text for w in words).lower()
    assert "zug" in heard and "bahnhof" in heard, heard
    assert transcribe(str(wav)) == words  # espeak's German is heard with low confidence: the same words again
    assert os.path.isfile(os.path.join(model_folder("tiny.en"), "model.bin"))
    assert main(["describe", spoken_clip, "--content", "speech", "--speech-model", "large-v9", "-o",
                 str(tmp_path / "x.srt")]) == 1
    err = capsys.readouterr().err
    assert "speech model 'large-v9': not one of base, tiny.en" in err and err.count("\n") == 1
