import os

import numpy as np
import pytest
import skimage.data
import torch

from vidcap import pipeline
from vidcap.errors import VidcapError
from vidcap.analysis.features import FeatureSpool, imagenet_categories, load_encoder


@pytest.fixture(scope="module")
def encoder():
    return load_encoder("efficientnet-lite0")


def top5(encoder, rgb):
    _, probs = encoder.encode([np.ascontiguousarray(rgb[:, :, ::-1])])
    cats = imagenet_categories()
    return [cats[i] for i in np.argsort(-probs[0])[:5]]


def test_efficientnet_lite0_weights_load_strictly_and_classify(encoder):
    assert encoder.feature_dim == 1280
    assert top5(encoder, skimage.data.chelsea())[0] in {"tabby", "tiger cat", "Egyptian cat"}
    assert top5(encoder, skimage.data.coffee())[0] == "espresso"


def test_features_are_batched_and_shaped(encoder):
    frames = [np.full((224, 398, 3), v, np.uint8) for v in (0, 128, 255)]
    features, probs = encoder.encode(frames)
    assert features.shape == (3, 1280) and probs.shape == (3, 1000)
    assert np.allclose(probs.sum(1), 1, atol=1e-4)


def test_onnxruntime_and_torch_give_the_same_features(encoder, real):
    """On a CPU the default encoder runs through onnxruntime (an ONNX export of the same weights);
    torch runs it on a GPU. Both must give what the narrator was trained on."""
    import cv2

    from vidcap.analysis.features import _torch_encoder

    capture = cv2.VideoCapture(real["bikes"])
    frames = [capture.read()[1] for _ in range(8)]
    assert encoder.device == "cpu (onnxruntime)"
    ours, theirs = encoder.encode(frames), _torch_encoder("efficientnet-lite0", "cpu").encode(frames)
    assert np.abs(ours[0] - theirs[0]).max() < 1e-3 and np.abs(ours[1] - theirs[1]).max() < 1e-4
    assert (ours[1].argmax(1) == theirs[1].argmax(1)).all()


def test_describing_on_a_cpu_never_imports_torch(real, tmp_path):
    """torch takes about 650 MB on import: a CPU run with the rule narrator does without it."""
    import subprocess
    import sys

    code = ("import sys; from vidcap.cli import main; assert main(['describe', '--no-cache', *sys.argv[1:]]) == 0; "
            "assert not [m for m in sys.modules if m.split('.')[0] in ('torch', 'torchvision')]")
    run = subprocess.run([sys.executable, "-c", code, real["bikes"], "-o", str(tmp_path / "bikes.srt")],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr


def test_torchvision_backbone_without_weights_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    with pytest.raises(VidcapError, match="resnet18-f37072fd.pth"):
        load_encoder("resnet18")


def test_torchvision_backbone_loads_from_the_local_cache(tmp_path, monkeypatch):
    import torchvision

    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    os.makedirs(tmp_path / "hub" / "checkpoints")
    torch.save(torchvision.models.resnet18().state_dict(),
               tmp_path / "hub" / "checkpoints" / "resnet18-f37072fd.pth")
    enc = load_encoder("resnet18")
    features, probs = enc.encode([np.zeros((224, 300, 3), np.uint8)])
    assert enc.feature_dim == 512 and features.shape == (1, 512) and probs.shape == (1, 1000)


def test_unknown_encoder():
    with pytest.raises(VidcapError, match="unknown encoder"):
        load_encoder("vgg")


def test_analysis_is_cached_by_content_and_settings(clips, monkeypatch, tmp_path):
    options = pipeline.Options(sample_fps=4)
    first = pipeline.analyse(clips["cuts.mp4"], options)

    def no_decode(*args, **kwargs):
        raise AssertionError("decoded again despite the cache")

    monkeypatch.setattr(pipeline, "iter_frames", no_decode)
    again = pipeline.analyse(clips["cuts.mp4"], options)
    assert np.allclose(again.features, first.features, atol=1e-2)
    assert [(s.start, s.end) for s in again.shots] == [(s.start, s.end) for s in first.shots]
    with pytest.raises(AssertionError, match="decoded again"):
        pipeline.analyse(clips["cuts.mp4"], pipeline.Options(sample_fps=3))  # other settings
    monkeypatch.undo()

    key = pipeline.cache.cache_key(pipeline._cache_fields(clips["cuts.mp4"], options))
    rows = pipeline.cache.cache_dir() / "analysis" / f"{key}.rows"
    rows.write_bytes(rows.read_bytes()[:100])  # a cached feature file cut short is analysed anew
    redone = pipeline.analyse(clips["cuts.mp4"], options)
    assert np.array_equal(np.asarray(redone.features), np.asarray(first.features))


def test_feature_rows_are_read_from_their_file_as_the_array_would_give_them(tmp_path):
    rows = np.arange(15, dtype=np.float16).reshape(5, 3)
    spool = FeatureSpool(str(tmp_path))
    spool.append(rows[:2])
    spool.append(rows[2:])
    source = [0, 1, 1, 2, 3, 4, 4]  # a still frame takes the row before it
    frames, whole = spool.finish(source, 3), rows[source]
    assert frames.shape == whole.shape and len(frames) == 7 and frames.complete()
    for index in (slice(None), slice(2, 5), np.array([1, 2, 3]), np.array([], int), 4, -1):
        assert np.array_equal(frames[index], whole[index])
    assert np.array_equal(np.diff(frames, axis=0), np.diff(whole, axis=0))
    assert os.listdir(tmp_path) == []  # the spool has no name: nothing is left behind
    assert np.array_equal(pipeline._rows([rows[:2], rows[2:]], source, 3), whole)  # how concept scores are kept
