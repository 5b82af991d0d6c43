"""hextorch's networks in PyTorch, for loading a `hextorch export --format pytorch` file.

One file, no dependency beyond torch. The module and parameter names match hextorch's
LibTorch networks (native/core/model/networks.cpp), so an exported state dict loads
with no missing or unexpected keys:

    import torch
    from hextorch_model import load_export

    model = load_export("model.pt")          # reads model.pt.json (the model card) too
    planes = torch.zeros(1, 3, 13, 13)       # Blue stones, Red stones, 1.0 if Red to move
    policy_logits, value = model(planes)     # [B, N*N], [B, 1]; value +1 = Red wins

Input: planes [B, 3, N, N] float: plane 0 = Blue stones, plane 1 = Red stones, plane 2 =
0.0 everywhere when Blue is to move, 1.0 when Red is. Cell (row r, column c) is index
r*N + c of the policy; `a1` is (0, 0). Blue joins rows 1..N, Red columns a..last.
Outputs: policy logits [B, N*N] (mask occupied cells before a softmax) and value [B, 1]
in [-1, 1], +1 meaning Red wins: P(Red wins) = (value + 1) / 2.

Presets: `snowflake` (the ResNet-18-like reference net, 11.3 M parameters on 13x13),
`resnet` (6 blocks x 96 channels by default) and `tiny` (2 x 32); the last two keep the
board resolution and have a convolutional policy head. Call `.eval()` before inference:
BatchNorm then uses its running statistics and dropout is off, as in the exports.
"""
import json

import torch
from torch import nn


def _conv(cin, cout, kernel, stride=1):
    return nn.Conv2d(cin, cout, kernel, stride=stride, padding=kernel // 2, bias=False)


class BasicBlock(nn.Module):
    """conv3x3-BN-ReLU-conv3x3-BN plus the skip (1x1 conv + BN when the shape changes), ReLU."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = _conv(cin, cout, 3, stride)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = _conv(cout, cout, 3)
        self.bn2 = nn.BatchNorm2d(cout)
        if stride != 1 or cin != cout:
            self.projection = _conv(cin, cout, 1, stride)
            self.projection_bn = nn.BatchNorm2d(cout)
        else:
            self.projection = None

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        skip = self.projection_bn(self.projection(x)) if self.projection is not None else x
        return torch.relu(y + skip)


class ValueHead(nn.Module):
    """Conv 1x1 -> 32, BN, ReLU, global average pool, Linear -> hidden, ReLU, dropout, Linear -> 1, tanh."""

    def __init__(self, cin, hidden, dropout):
        super().__init__()
        self.conv = _conv(cin, 32, 1)
        self.bn = nn.BatchNorm2d(32)
        self.fc1 = nn.Linear(32, hidden)
        self.dropout = nn.Dropout(dropout)
        self.fc2 = nn.Linear(hidden, 1)

    def forward(self, x):
        v = torch.relu(self.bn(self.conv(x))).mean((2, 3))
        return torch.tanh(self.fc2(self.dropout(torch.relu(self.fc1(v)))))


class Snowflake(nn.Module):
    """The reference "TwoHeadedResNet": 5x5 stem, 4 stages of 2 blocks (64/128/256/512), pooled heads."""

    def __init__(self, board_size=13, dropout=0.1):
        super().__init__()
        self.stem = _conv(3, 64, 5)
        self.stem_bn = nn.BatchNorm2d(64)
        blocks, cin = [], 64
        for cout, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
            for b in range(2):
                blocks.append(BasicBlock(cin, cout, stride if b == 0 else 1))
                cin = cout
        self.blocks = nn.Sequential(*blocks)
        self.policy_dropout = nn.Dropout(dropout)
        self.policy_fc = nn.Linear(512, board_size * board_size)
        self.value_head = ValueHead(512, 256, dropout)

    def forward(self, planes):
        x = self.blocks(torch.relu(self.stem_bn(self.stem(planes))))
        return self.policy_fc(self.policy_dropout(x.mean((2, 3)))), self.value_head(x)


class ResidualTower(nn.Module):
    """`resnet` and `tiny`: a 3x3 stem and residual blocks at board resolution, a 1x1 convolutional policy head."""

    def __init__(self, blocks, channels, dropout=0.1):
        super().__init__()
        self.stem = _conv(3, channels, 3)
        self.stem_bn = nn.BatchNorm2d(channels)
        self.blocks = nn.Sequential(*[BasicBlock(channels, channels, 1) for _ in range(blocks)])
        self.policy_conv = _conv(channels, 32, 1)
        self.policy_bn = nn.BatchNorm2d(32)
        self.policy_out = nn.Conv2d(32, 1, 1, bias=True)
        self.value_head = ValueHead(channels, 128, dropout)

    def forward(self, planes):
        x = self.blocks(torch.relu(self.stem_bn(self.stem(planes))))
        policy = self.policy_out(torch.relu(self.policy_bn(self.policy_conv(x)))).flatten(1)
        return policy, self.value_head(x)


PRESET_DEFAULTS = {"resnet": (6, 96), "tiny": (2, 32)}


def build(preset, board_size=13, blocks=0, channels=0, dropout=0.1):
    """The network of a hextorch preset; blocks/channels 0 mean the preset's default."""
    if preset == "snowflake":
        return Snowflake(board_size, dropout)
    if preset in PRESET_DEFAULTS:
        default_blocks, default_channels = PRESET_DEFAULTS[preset]
        return ResidualTower(blocks or default_blocks, channels or default_channels, dropout)
    raise ValueError(f"model preset {preset!r} is not one of snowflake, resnet, tiny")


def load_export(path, card=None, device="cpu"):
    """An exported state dict in its network, in eval mode; `card` defaults to PATH.json."""
    with open(card or f"{path}.json", encoding="utf-8") as f:
        meta = json.load(f)
    model = build(meta["model"], meta["boardSize"], meta.get("blocks", 0), meta.get("channels", 0), meta.get("dropout", 0.1))
    model.load_state_dict(torch.load(path, map_location=device))
    return model.to(device).eval()
