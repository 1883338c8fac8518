#!/usr/bin/env python3
"""PyTorch peer of radact's `train_step` benchmark: the same two MLPs (64-64-64-10 on batches of
64, 784-128-10 on batches of 128), ReLU, softmax cross-entropy, Adam (lr 1e-3), on one CPU
thread. Prints one JSON line per network with the median time of one training step, measured
like radact's benchmark in the thread's CPU time.

Data: synthetic inputs of the benchmark's shapes (values in [0, 1), 10 classes); the time of a
step does not depend on the values (no subnormals at these scales).
Run through `benches/peers/run`, which pins it to the same core as radact's benchmark.
"""
import json
import statistics
import sys
import time

try:
    import torch
except ImportError:
    print("pytorch: not installed, skipped", file=sys.stderr)
    sys.exit(0)

NETWORKS = [("64-64-64-10", 64, [64, 64, 64, 10], 1797), ("784-128-10", 128, [784, 128, 10], 8192)]


def measure(sizes, batch, images, rounds=15, steps=50):
    torch.manual_seed(0)
    layers = []
    for i, (a, b) in enumerate(zip(sizes, sizes[1:])):
        layers.append(torch.nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(torch.nn.ReLU())
    net = torch.nn.Sequential(*layers)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    x_all = torch.rand(images, sizes[0])
    y_all = torch.randint(0, 10, (images,))
    position = 0

    def step():
        nonlocal position
        if position + batch > images:
            position = 0
        x, y = x_all[position:position + batch], y_all[position:position + batch]
        position += batch
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(net(x), y)
        loss.backward()
        opt.step()

    for _ in range(steps):  # warm-up
        step()
    per_step = []
    for _ in range(rounds):
        start = time.thread_time_ns()
        for _ in range(steps):
            step()
        per_step.append((time.thread_time_ns() - start) / steps)
    return statistics.median(per_step)


def main():
    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    for name, batch, sizes, images in NETWORKS:
        ns = measure(sizes, batch, images)
        print(json.dumps({"peer": f"pytorch {torch.__version__}", "network": name,
                          "batch": batch, "median_ns": ns}), flush=True)


if __name__ == "__main__":
    main()
