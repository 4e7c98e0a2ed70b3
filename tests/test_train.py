import json
import os

import pytest

from vidcap.learning.datasets import convert_activitynet, convert_msrvtt, convert_msvd, load_folder, read_srt
from vidcap.errors import VidcapError
from vidcap.learning.evaluate import coverage, evaluate, pair_by_overlap
from vidcap.learning.synth import make_captioned_dataset
from vidcap.learning.train import train


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    folder = tmp_path_factory.mktemp("generated")
    make_captioned_dataset(str(folder), 24, seed=3)
    return str(folder)


def test_generated_videos_come_with_exact_descriptions(generated):
    videos = load_folder(generated)
    assert len(videos) == 24
    for video in videos:
        assert 2 <= len(video.cues) <= 4
        assert all(text.startswith(("A ", "Back to the ")) for _, _, text in video.cues)


def test_the_narrator_learns_from_captioned_video(generated, tmp_path):
    """A small version of the BLEU-4 >= 0.8 benchmark (make bench-train): it must learn."""
    metrics = train(generated, str(tmp_path / "model"), epochs=12, val_share=0.25, seed=1, log=lambda m: None)
    assert metrics["val_bleu4"] >= 0.3, metrics
    history = json.loads((tmp_path / "model" / "train_state.json").read_text())["history"]
    assert history[-1]["train_loss"] < history[0]["train_loss"] / 3


def test_the_narrator_learns_from_several_videos_a_step(generated, tmp_path):
    """Four videos' stretches a step (a GPU's way): fewer, wider steps, and it still learns."""
    metrics = train(generated, str(tmp_path / "model"), epochs=24, val_share=0.25, seed=1, videos_per_step=4,
                    log=lambda m: None)
    assert metrics["val_bleu4"] >= 0.3, metrics


def test_training_resumes_from_the_last_checkpoint(generated, tmp_path):
    out = str(tmp_path / "model")
    train(generated, out, epochs=1, val_share=0.25, log=lambda m: None)
    assert sorted(os.listdir(out)) == ["config.json", "model.safetensors", "optimizer.safetensors",
                                       "train_state.json"]
    seen = []
    train(generated, out, epochs=2, val_share=0.25, log=seen.append)
    assert [json.loads(m)["epoch"] for m in seen] == [2]


def test_converters_write_video_and_srt_pairs(generated, tmp_path):
    video = load_folder(generated)[0].video
    clips = tmp_path / "clips"
    clips.mkdir()
    for name in ("video7", "-4wsuPCjDBc_5_15", "v_abc"):
        os.symlink(video, clips / f"{name}.mp4")
    msrvtt = tmp_path / "msrvtt.json"
    msrvtt.write_text(json.dumps({"videos": [{"video_id": "video7", "start time": 10.0, "end time": 13.5}],
                                  "sentences": [{"video_id": "video7", "caption": "a man plays a guitar"},
                                                {"video_id": "video7", "caption": "someone plays music"}]}))
    msvd = tmp_path / "AllVideoDescriptions.txt"
    msvd.write_text("# header\n-4wsuPCjDBc_5_15 a squirrel is eating a peanut\n-4wsuPCjDBc_5_15 a chipmunk eats\n")
    anet = tmp_path / "anet.json"
    anet.write_text(json.dumps({"v_abc": {"duration": 5.0, "timestamps": [[0.0, 2.5], [2.0, 5.0]],
                                          "sentences": ["A dog runs.", " It jumps. "]}}))
    out = tmp_path / "out"
    assert convert_msrvtt(str(msrvtt), str(clips), str(out)) == 1
    assert convert_msvd(str(msvd), str(clips), str(out)) == 1
    assert convert_activitynet(str(anet), str(clips), str(out)) == 1
    assert read_srt(str(out / "video7.srt")) == [(0.0, 3.5, "A man plays a guitar.")]
    assert read_srt(str(out / "-4wsuPCjDBc_5_15.srt")) == [(0.0, 10.0, "A squirrel is eating a peanut.")]
    assert read_srt(str(out / "v_abc.srt")) == [(0.0, 2.5, "A dog runs."), (2.0, 5.0, "It jumps.")]
    assert len(load_folder(str(out))) == 3


def test_empty_data_folder_is_a_clear_error(tmp_path):
    with pytest.raises(VidcapError, match="no video with a .srt"):
        load_folder(str(tmp_path))


def test_evaluation_pairs_by_time_and_scores():
    refs = [(0, 4, "A red circle on black."), (4, 8, "The camera pans left.")]
    assert pair_by_overlap(refs, [(0.5, 3.5, "A red circle on black.")]) == [
        ("A red circle on black.", "A red circle on black."), ("The camera pans left.", "")]
    assert coverage(refs, [(0.5, 3.5, "x"), (3.0, 5.0, "y")]) == pytest.approx(4.5 / 8)
    perfect = evaluate([(refs, refs)], meteor=True)
    assert perfect["BLEU-4"] == pytest.approx(1.0, abs=1e-3) and perfect["METEOR"] == pytest.approx(1.0, abs=1e-3)
    assert perfect["coverage"] == 1.0 and perfect["references"] == 2
    wrong = evaluate([(refs, [(0, 8, "Colour bars.")])], meteor=False)
    assert wrong["BLEU-4"] < 0.1 and wrong["CIDEr"] < 0.1


@pytest.mark.parametrize("people, words", [(2, "Two people."), (3, "Three people.")])
def test_distillation_groups_are_seen_and_named_by_the_teacher(tmp_path, people, words):
    """The default narrator learns to count people only from these generated groups."""
    from vidcap.learning.distill import group_frame, photographs
    from vidcap.pipeline import Options, describe_video
    from vidcap.learning.synth import make_drawn_video

    frame = group_frame(photographs()["astronaut"], (320, 240), people)
    path = str(tmp_path / "group.mp4")
    make_drawn_video(path, lambda i, t: frame, 50)
    result = describe_video(path, Options(narrator="rules", use_cache=False))
    assert result.facts[0].people["count"] == people
    assert result.sentences[0] == [words]


@pytest.mark.parametrize("portrait, fact", [("astronaut", "smiling"), ("hopper", "glasses")])
def test_distillation_close_ups_give_the_teacher_a_face_to_read(tmp_path, portrait, fact):
    """A smile and glasses reach the labels only from these close-ups of real photographs."""
    from vidcap.analysis.facts import PERSON_FACTS, fact_vector
    from vidcap.analysis.perception.people import find_faces
    from vidcap.learning.distill import close_up, photographs
    from vidcap.learning.synth import make_drawn_video
    from vidcap.pipeline import Options, describe_video

    photo = photographs()[portrait]
    frame = close_up(photo, max(find_faces(photo), key=lambda f: f[3]), (320, 240))
    path = str(tmp_path / "portrait.mp4")
    make_drawn_video(path, lambda i, t: frame, 100)
    result = describe_video(path, Options(narrator="rules", use_cache=False))
    facts = result.facts[0]
    assert facts.people["framing"] == "close-up" and facts.people.get(fact)
    assert fact_vector(facts, 0)[-len(PERSON_FACTS) - 9:][PERSON_FACTS.index(fact)] == 1.0
    assert ("smiling" if fact == "smiling" else "glasses") in " ".join(result.sentences[0])


def test_quoted_text_is_scored():
    """Review: 'A sign reads "HOTEL".' against 'A sign reads "TAXI".' scored BLEU-4 1.0."""
    refs = [(0, 4, 'A sign reads "TAXI ON CALL". A car in a street.')]
    right = evaluate([(refs, refs)], meteor=False)
    wrong = evaluate([(refs, [(0, 4, 'A sign reads "HOTEL". A car in a street.')])], meteor=False)
    assert right["BLEU-4"] == pytest.approx(1.0, abs=1e-3) and wrong["BLEU-4"] < 0.9


def test_concept_recall_and_false_claims():
    from vidcap.learning.evaluate import concept_recall, false_claims

    concepts = [["people", "person", "pedestrian"], ["lawn", "grass"], ["van", "vehicle"]]
    assert concept_recall("People walk across a lawn.", concepts) == pytest.approx(2 / 3)
    old_film = [["black and white", "monochrome"]]  # a phrase is named by all its words
    assert concept_recall("In black and white. A car.", old_film) == 1.0
    assert concept_recall("A white car.", old_film) == 0.0
    assert false_claims("Two people walk by water, at night.", ["people", "two", "walk", "lawn"]) == ["night", "water"]
