import json
import os

import numpy as np
import pytest
import torch

from vidcap.model import SPECIALS, ModelDimensions, Narrator, load_checkpoint, save_checkpoint
from vidcap.narrator import LstmNarrator, detokenize, tokenize

VOCAB = SPECIALS + ["a", "red", "circle", "on", "black", ".", "the", "camera", "pans", "left", "title", ":",
                    '"', "<text0>", "back", "to"]


def tiny_model(seed=0) -> Narrator:
    torch.manual_seed(seed)
    return Narrator(ModelDimensions(n_features=12, n_facts=5, n_vocab=len(VOCAB), n_hidden=16,
                                    n_embed=8, max_words=12)).eval()


def video_inputs(frames=90, shots=7, seed=1):
    rng = np.random.default_rng(seed)
    shot_ids = np.sort(rng.integers(0, shots, frames))
    shot_ids = np.unique(shot_ids, return_inverse=True)[1]
    starts = np.r_[True, shot_ids[1:] != shot_ids[:-1]].astype(np.float32)
    facts = rng.normal(size=(shot_ids.max() + 1, 5)).astype(np.float32)[shot_ids]
    return (rng.normal(size=(frames, 12)).astype(np.float32), facts, starts, shot_ids)


def test_chunked_narration_with_state_handed_over_equals_one_call():
    model = tiny_model()
    inputs = video_inputs()
    texts = [["HELLO"]] * (inputs[3].max() + 1)
    whole = LstmNarrator(model, VOCAB, "t", chunk=10_000).narrate_inputs(inputs, texts)
    for chunk in (1, 7, 31):
        assert LstmNarrator(model, VOCAB, "t", chunk=chunk).narrate_inputs(inputs, texts) == whole
    assert any(whole)


def test_beam_search_scores_at_least_greedy():
    model = tiny_model(3)
    memory = torch.randn(1, 5, 16)
    mask = torch.ones(1, 5, dtype=torch.bool)
    previous = torch.tensor([[0]])
    facts = torch.randn(1, 5)
    for beam in (1, 3):
        words = model.generate(memory, mask, previous, facts, beam=beam)
        assert all(0 <= w < len(VOCAB) for w in words) and len(words) <= 12


def test_checkpoint_is_safetensors_and_json_and_round_trips(tmp_path):
    model = tiny_model()
    save_checkpoint(model, VOCAB, str(tmp_path), {"metrics": {"bleu4": 0.5}})
    assert sorted(os.listdir(tmp_path)) == ["config.json", "model.safetensors"]
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["vocab"] == VOCAB and config["dims"]["n_hidden"] == 16
    loaded, vocab, _ = load_checkpoint(str(tmp_path))
    inputs = video_inputs()
    texts = [[]] * (inputs[3].max() + 1)
    assert LstmNarrator(loaded, vocab, "t").narrate_inputs(inputs, texts) == \
        LstmNarrator(model.half().float(), VOCAB, "t").narrate_inputs(inputs, texts)


def test_missing_checkpoint_is_a_clear_error(tmp_path):
    from vidcap.errors import VidcapError

    with pytest.raises(VidcapError, match="cannot load narrator model"):
        load_checkpoint(str(tmp_path))


def test_tokens_keep_on_screen_text_as_placeholders():
    sentences = ['Title: "THE LONG NIGHT"', "A red circle on black."]
    tokens = tokenize(sentences, ["THE LONG NIGHT"])
    assert tokens == ["title", ":", "<text0>", ".", "a", "red", "circle", "on", "black", "."]
    assert detokenize(tokens, ["THE LONG NIGHT"]) == ['Title: "THE LONG NIGHT".', "A red circle on black."]
    assert detokenize(["the", "camera", "pans", "left", "."], []) == ["The camera pans left."]


def test_hyphenated_words_stay_one_token():
    assert tokenize(["A close-up of a face."], []) == ["a", "close-up", "of", "a", "face", "."]


def test_the_shipped_narrator_loads_and_describes(bikes_copy):
    from vidcap.narrator import DEFAULT_MODEL, get_narrator
    from vidcap.pipeline import Options, describe_video

    narrator = get_narrator("lstm")
    assert narrator.name == "lstm:vidcap-lstm-v1" and os.path.isdir(DEFAULT_MODEL)
    result = describe_video(bikes_copy, Options())
    assert result.model["narrator"] == "lstm:vidcap-lstm-v1"
    assert all(c.text for c in result.cues)
