import json
import os
import re

import numpy as np
import pytest
import torch

from vidcap.narration.model import SPECIALS, ModelDimensions, Narrator, load_checkpoint, save_checkpoint
from vidcap.narration.narrator import LstmNarrator, detokenize, tokenize

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


def test_decoding_never_chooses_special_tokens_and_keeps_to_allowed_words():
    """Review: generate() could emit <pad>, <bos> and <unk>, and detokenize printed them."""
    from vidcap.narration.model import BOS, EOS, PAD, UNK

    model = tiny_model(3)
    with torch.no_grad():  # make the specials the likeliest words by far
        model.out.bias[[PAD, BOS, UNK]] = 50.0
    memory, mask = torch.randn(1, 5, 16), torch.ones(1, 5, dtype=torch.bool)
    previous, facts = torch.tensor([[0]]), torch.randn(1, 5)
    words = model.generate(memory, mask, previous, facts)
    assert words and not {PAD, BOS, UNK} & set(words)
    allowed = torch.zeros(len(VOCAB), dtype=torch.bool)
    allowed[[VOCAB.index("red"), VOCAB.index(".")]] = True
    assert set(model.generate(memory, mask, previous, facts, allowed)) <= {VOCAB.index("red"), VOCAB.index("."), EOS}


def test_model_dimensions_default_to_the_fact_vector_size():
    from vidcap.analysis.facts import fact_vector_size

    assert ModelDimensions().n_facts == fact_vector_size()


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


def test_no_text_sentence_without_its_text():
    """Review: a placeholder with no OCR line became 'A sign reads.', and 'Title:.' was said."""
    assert detokenize(["a", "sign", "reads", "<text1>", ".", "the", "camera", "pans", "left", "."], ["TAXI"]) \
        == ["The camera pans left."]
    assert detokenize(["title", ":", "<text0>", "."], []) == []
    assert detokenize(["title", ":", ".", "a", "sign", "reads", "."], []) == []
    assert detokenize(["<bos>", "a", "<unk>", "red", "circle", "<pad>", "."], []) == ["A red circle."]
    assert detokenize(["a", "red", "circle", "on", "a", ".", "a", "."], []) == []
    assert detokenize(["the", "camera", "zooms", "in", "."], []) == ["The camera zooms in."]
    assert detokenize(["an", "<obj0>", "and", "a", "<obj1>", "."], [], ["bicycle", "orange"]) == ["A bicycle and an orange."]


def test_credits_quote_several_lines():
    """The teacher's credits sentence quotes two lines joined by " / "; tokenize dropped them."""
    lines = ["Anna Kowalski", "John Berg"]
    tokens = tokenize(["The end credits roll.", 'They read "Anna Kowalski / John Berg".'], lines)
    assert tokens == ["the", "end", "credits", "roll", ".", "they", "read", "<text0>", "/", "<text1>", "."]
    assert detokenize(tokens, lines) == ["The end credits roll.", 'They read "Anna Kowalski / John Berg".']


def test_hyphenated_words_stay_one_token():
    assert tokenize(["A close-up of a face."], []) == ["a", "close-up", "of", "a", "face", "."]


def test_the_shipped_narrator_loads_and_describes(bikes_copy):
    from vidcap.narration.narrator import DEFAULT_MODEL, get_narrator
    from vidcap.pipeline import Options, describe_video

    narrator = get_narrator("lstm")
    assert narrator.name == "lstm:vidcap-lstm-v2" and os.path.isdir(DEFAULT_MODEL)
    result = describe_video(bikes_copy, Options(narrator="lstm"))
    assert result.model["narrator"] == "lstm:vidcap-lstm-v2"
    said = " ".join(c.text.replace("\n", " ") for c in result.cues)
    assert 'A sign reads "TAXI".' in said and result.cues


def test_objects_are_slots_the_detections_fill():
    tokens = tokenize(["A bicycle and two cars in a street."], [], ["a bicycle", "two cars"])
    assert tokens == ["<obj0>", "and", "<obj1>", "in", "a", "street", "."]
    assert detokenize(tokens, [], ["a motorbike", "a bus"]) == ["A motorbike and a bus in a street."]
    assert detokenize(tokens, [], ["a motorbike"]) == []  # a slot with nothing detected: not said


def test_grounded_narration_says_only_words_the_facts_back():
    """With the shot's grounded words, the decoder keeps to them, function words and slots."""
    model = tiny_model(5)
    inputs = video_inputs()
    shots = inputs[3].max() + 1
    narrator = LstmNarrator(model, VOCAB, "t")
    free = narrator.narrate_inputs(inputs, [[]] * shots)
    grounded = narrator.narrate_inputs(inputs, [[]] * shots, None, [{"red"}] * shots)
    allowed = {"a", "red", "on", "the", "to", "back"}
    for sentences in grounded:
        for s in sentences:
            assert set(re.findall(r"[a-z]+", s.lower())) <= allowed
    assert free != grounded
