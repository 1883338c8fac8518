#!/usr/bin/env python3
"""JAX peer of radact's `train_step` benchmark: the same two MLPs as `torch_mlp.py`, one jitted
training step (forward, backward, Adam written out in jax.numpy, so that no optax is needed),
on one CPU core. Prints one JSON line per network with the median time of one step. XLA runs
the computation on threads of its own, so the time is wall-clock time (synchronised with
`block_until_ready`), which `run` makes comparable by pinning everything to one core.

JAX is not packaged by Debian; install it with `pip install jax` to include it. Without it, the
script says so and prints nothing.
"""
import json
import os
import statistics
import sys
import time

os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")
try:
    import jax
    import jax.numpy as jnp
except ImportError:
    print("jax: not installed, skipped", file=sys.stderr)
    sys.exit(0)

NETWORKS = [("64-64-64-10", 64, [64, 64, 64, 10], 1797), ("784-128-10", 128, [784, 128, 10], 8192)]


def init(sizes, key):
    params = []
    for a, b in zip(sizes, sizes[1:]):
        key, sub = jax.random.split(key)
        bound = 1.0 / a ** 0.5
        params.append((jax.random.uniform(sub, (a, b), minval=-bound, maxval=bound),
                       jnp.zeros((b,))))
    return params


def loss(params, x, y):
    for w, b in params[:-1]:
        x = jax.nn.relu(x @ w + b)
    w, b = params[-1]
    logits = x @ w + b
    return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(logits), y[:, None], axis=1))


@jax.jit
def step(params, m, v, t, x, y):
    grads = jax.grad(loss)(params, x, y)
    lr, b1, b2, eps = 1e-3, 0.9, 0.999, 1e-8
    t = t + 1
    m = jax.tree_util.tree_map(lambda m, g: b1 * m + (1 - b1) * g, m, grads)
    v = jax.tree_util.tree_map(lambda v, g: b2 * v + (1 - b2) * g * g, v, grads)
    scale = lr * jnp.sqrt(1 - b2 ** t) / (1 - b1 ** t)
    params = jax.tree_util.tree_map(lambda p, m, v: p - scale * m / (jnp.sqrt(v) + eps),
                                    params, m, v)
    return params, m, v, t


def measure(sizes, batch, images, rounds=15, steps=50):
    key = jax.random.PRNGKey(0)
    params = init(sizes, key)
    m = jax.tree_util.tree_map(jnp.zeros_like, params)
    v = jax.tree_util.tree_map(jnp.zeros_like, params)
    t = jnp.zeros(())
    x_all = jax.random.uniform(key, (images, sizes[0]))
    y_all = jax.random.randint(key, (images,), 0, 10)
    batches = [(x_all[i:i + batch], y_all[i:i + batch])
               for i in range(0, images - batch + 1, batch)]
    state = (params, m, v, t)
    for i in range(steps):  # warm-up and compilation
        state = step(*state, *batches[i % len(batches)])
    jax.block_until_ready(state)
    per_step = []
    for r in range(rounds):
        start = time.perf_counter_ns()
        for i in range(steps):
            state = step(*state, *batches[(r * steps + i) % len(batches)])
        jax.block_until_ready(state)
        per_step.append((time.perf_counter_ns() - start) / steps)
    return statistics.median(per_step)


def main():
    for name, batch, sizes, images in NETWORKS:
        ns = measure(sizes, batch, images)
        print(json.dumps({"peer": f"jax {jax.__version__}", "network": name,
                          "batch": batch, "median_ns": ns}), flush=True)


if __name__ == "__main__":
    main()
