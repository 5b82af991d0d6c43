"""The conventional PyTorch pipeline hextorch is compared against.

A map-style Dataset that decodes one position per __getitem__ from hextorch's shard
files and applies one of the four Hex symmetries (the same augmentation: every position
under all four symmetries per epoch), a torch DataLoader with shuffling, and the same
networks, loss, optimiser, batch size and thread count. Same LibTorch underneath (Debian's
python3-torch), so any difference comes from the pipeline.

    python3 train_reference.py DATASET_DIR PRESET BATCH_SIZE BATCHES THREADS PRECISION [compute-only|full] [DEVICE]

Prints one JSON line: samples/s through the DataLoader pipeline, and the pure compute
rate (the same batch over and over) for reference.
"""
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HEADER = 64


class ShardPositions(torch.utils.data.Dataset):
    """Every (position, symmetry) pair of the training split, decoded one at a time."""

    def __init__(self, directory):
        manifest = json.load(open(os.path.join(directory, "dataset.json")))
        self.n = manifest["boardSize"]
        cells = self.n * self.n
        self.plane_bytes = (cells + 7) // 8
        self.record_size = 2 * self.plane_bytes + 10
        chunks = []
        for shard in manifest["splits"]["train"]["shards"]:
            raw = np.fromfile(os.path.join(directory, shard["file"]), dtype=np.uint8)
            chunks.append(raw[HEADER:HEADER + shard["records"] * self.record_size].reshape(-1, self.record_size))
        self.records = np.concatenate(chunks)
        idx = np.arange(cells)
        r, c = idx // self.n, idx % self.n
        self.maps = [idx, (self.n - 1 - r) * self.n + (self.n - 1 - c), c * self.n + r,
                     (self.n - 1 - c) * self.n + (self.n - 1 - r)]

    def __len__(self):
        return 4 * len(self.records)

    def __getitem__(self, k):
        record = self.records[k % len(self.records)]
        symmetry = k // len(self.records)
        cells = self.n * self.n
        bits = np.unpackbits(record[:2 * self.plane_bytes], bitorder="little")
        blue = bits[:cells].astype(np.float32)
        red = bits[self.plane_bytes * 8:self.plane_bytes * 8 + cells].astype(np.float32)
        flags = int(record[2 * self.plane_bytes])
        red_to_move, red_won, has_policy = flags & 1, (flags >> 1) & 1, (flags >> 2) & 1
        policy = int(record[2 * self.plane_bytes + 2]) | (int(record[2 * self.plane_bytes + 3]) << 8)
        mapping = self.maps[symmetry]
        planes = np.zeros((3, cells), dtype=np.float32)
        swap = symmetry >= 2
        planes[1 if swap else 0, mapping] = blue
        planes[0 if swap else 1, mapping] = red
        if red_to_move ^ swap:
            planes[2] = 1.0
        target = int(mapping[policy]) if has_policy else -1
        value = float(red_won ^ swap)
        return torch.from_numpy(planes.reshape(3, self.n, self.n)), target, value


def conv(i, o, k, s=1):
    return nn.Conv2d(i, o, k, stride=s, padding=k // 2, bias=False)


class Block(nn.Module):
    def __init__(self, i, o, s):
        super().__init__()
        self.conv1, self.bn1 = conv(i, o, 3, s), nn.BatchNorm2d(o)
        self.conv2, self.bn2 = conv(o, o, 3), nn.BatchNorm2d(o)
        self.projection = nn.Sequential(conv(i, o, 1, s), nn.BatchNorm2d(o)) if s != 1 or i != o else None

    def forward(self, x):
        y = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return F.relu(y + (self.projection(x) if self.projection is not None else x))


class Snowflake(nn.Module):
    def __init__(self, n, dropout=0.1):
        super().__init__()
        self.stem = nn.Sequential(conv(3, 64, 5), nn.BatchNorm2d(64), nn.ReLU())
        blocks, i = [], 64
        for o, s in [(64, 1), (128, 2), (256, 2), (512, 2)]:
            blocks += [Block(i, o, s), Block(o, o, 1)]
            i = o
        self.blocks = nn.Sequential(*blocks)
        self.policy = nn.Sequential(nn.Dropout(dropout), nn.Linear(512, n * n))
        self.value_conv = nn.Sequential(conv(512, 32, 1), nn.BatchNorm2d(32), nn.ReLU())
        self.value = nn.Sequential(nn.Linear(32, 256), nn.ReLU(), nn.Dropout(dropout), nn.Linear(256, 1))

    def forward(self, x):
        x = self.blocks(self.stem(x))
        return self.policy(x.mean((2, 3))), torch.tanh(self.value(self.value_conv(x).mean((2, 3)))).squeeze(1)


class Tower(nn.Module):
    def __init__(self, n, blocks, width, dropout=0.1):
        super().__init__()
        self.stem = nn.Sequential(conv(3, width, 3), nn.BatchNorm2d(width), nn.ReLU())
        self.blocks = nn.Sequential(*[Block(width, width, 1) for _ in range(blocks)])
        self.policy = nn.Sequential(conv(width, 32, 1), nn.BatchNorm2d(32), nn.ReLU(), nn.Conv2d(32, 1, 1))
        self.value_conv = nn.Sequential(conv(width, 32, 1), nn.BatchNorm2d(32), nn.ReLU())
        self.value = nn.Sequential(nn.Linear(32, 128), nn.ReLU(), nn.Dropout(dropout), nn.Linear(128, 1))

    def forward(self, x):
        x = self.blocks(self.stem(x))
        return self.policy(x).flatten(1), torch.tanh(self.value(self.value_conv(x).mean((2, 3)))).squeeze(1)


def make_model(preset, n):
    if preset == "snowflake":
        return Snowflake(n)
    if preset == "resnet":
        return Tower(n, 6, 96)
    return Tower(n, 2, 32)


def main():
    directory, preset = sys.argv[1], sys.argv[2]
    batch_size, batches, threads = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    bf16 = sys.argv[6] == "bf16"
    compute_only = len(sys.argv) > 7 and sys.argv[7] == "compute-only"
    device = torch.device(sys.argv[8] if len(sys.argv) > 8 else "cpu")
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    dataset = ShardPositions(directory)
    loader = torch.utils.data.DataLoader(dataset, batch_size=batch_size, shuffle=True, num_workers=0, drop_last=True)
    model = make_model(preset, dataset.n).to(device)
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-4)

    def step(planes, policy, value):
        planes, policy, value = planes.to(device), policy.to(device), value.to(device)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
            logits, v = model(planes)
        logits, v = logits.float(), v.float()
        has = policy >= 0
        ce = F.cross_entropy(logits, policy, ignore_index=-1, reduction="sum") / has.sum().clamp(min=1)
        loss = 0.15 * ce + 0.85 * F.mse_loss((v + 1) / 2, value.float())
        optimiser.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 4.0)
        optimiser.step()

    def sync():
        if device.type == "cuda":
            torch.cuda.synchronize()

    model.train()
    iterator = iter(loader)
    for _ in range(3):
        step(*next(iterator))
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(0 if compute_only else batches):
        step(*next(iterator))
    if compute_only:  # keep the figures defined; only the compute loop below counts
        start, cpu = start - 1, cpu - 1
    sync()
    pipeline = batches * batch_size / (time.perf_counter() - start)
    pipeline_cpu = batches * batch_size / (time.process_time() - cpu)

    sync()
    fixed = next(iterator)
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(batches):
        step(*fixed)
    sync()
    compute = batches * batch_size / (time.perf_counter() - start)
    compute_cpu = batches * batch_size / (time.process_time() - cpu)
    print(json.dumps({"samplesPerSecond": pipeline, "computeSamplesPerSecond": compute,
                      "samplesPerCpuSecond": pipeline_cpu, "computeSamplesPerCpuSecond": compute_cpu,
                      "torch": torch.__version__}))


if __name__ == "__main__":
    main()
