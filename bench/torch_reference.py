#!/usr/bin/python3
"""The attnlab model written the obvious way in PyTorch, as a speed reference.

Same data model (single-location, Gaussian prior, teacher directions on the
coordinate axes), same learner (H heads of keys, values and score biases,
heads summed), same online SGD on fresh batches with the square loss, in
float64 on one thread, gradients by autograd. Prints one JSON line:
samples per second and the mean training error, so that a reader can see
that both programs learn the same thing at the same speed of learning.

    bench/torch_reference.py --activation softmax --D 200 --L 20 --H 4 --F 2 --batch 1
"""
import argparse
import json
import math
import time

import torch


def activation(name, scores):
    """scores: (B, H, L) -> attention weights of the same shape."""
    if name == "softmax":
        return torch.softmax(scores, dim=-1)
    if name == "softmax1":
        # exp(s) / (1 + sum exp(s)), shifted by m = max(0, max s) for stability.
        m = torch.clamp(scores.amax(dim=-1, keepdim=True), min=0.0)
        e = torch.exp(scores - m)
        return e / (torch.exp(-m) + e.sum(dim=-1, keepdim=True))
    if name == "bayes-softmax":
        b, h, l = scores.shape
        return torch.softmax(scores.reshape(b, h * l), dim=-1).reshape(b, h, l)
    raise SystemExit(f"torch_reference: unknown activation '{name}'")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--activation", default="softmax")
    parser.add_argument("--D", type=int, default=200)
    parser.add_argument("--L", type=int, default=20)
    parser.add_argument("--H", type=int, default=4)
    parser.add_argument("--F", type=int, default=2)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--samples", type=int, default=20000)
    parser.add_argument("--eta", type=float, default=0.1, help="per-sample step eta / D, as attnlab's sgd")
    parser.add_argument("--delta", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    dtype = torch.float64
    d, l, h, f, batch = args.D, args.L, args.H, args.F, args.batch
    # Prior: mean on the first feature, decreasing standard deviations.
    prior_mean = torch.zeros(f, dtype=dtype)
    prior_mean[0] = 1.0
    prior_std = torch.tensor([2.0 / (i + 1) for i in range(f)], dtype=dtype)

    keys = (0.1 * torch.randn(h, d, dtype=dtype)).requires_grad_()
    values = (0.1 * torch.randn(h, d, dtype=dtype)).requires_grad_()
    biases = torch.zeros(h, dtype=dtype, requires_grad=True)
    parameters = [keys, values, biases]
    rate = args.eta / d
    inv_sqrt_d = 1.0 / math.sqrt(d)
    rows = torch.arange(batch)

    steps = max(1, args.samples // batch)
    squared_error = 0.0
    start = time.perf_counter()
    for _ in range(steps):
        # Data: isotropic tokens, one location per sample carries theta on
        # the feature axes; the label is that token's value coordinate.
        tokens = torch.randn(batch, l, d, dtype=dtype)
        noise = torch.randn(batch, dtype=dtype)
        location = torch.randint(l, (batch,))
        theta = prior_mean + prior_std * torch.randn(batch, f, dtype=dtype)
        tokens[rows, location, :f] += theta
        labels = tokens[rows, location, f] + args.delta * noise

        scores = (tokens @ keys.T) * inv_sqrt_d + biases  # (B, L, H)
        head_values = (tokens @ values.T) * inv_sqrt_d  # (B, L, H)
        weights = activation(args.activation, scores.transpose(1, 2))  # (B, H, L)
        predictions = (weights * head_values.transpose(1, 2)).sum(dim=(1, 2))
        loss = 0.5 * ((predictions - labels) ** 2).sum()
        loss.backward()
        with torch.no_grad():
            for p in parameters:
                p -= rate * p.grad
                p.grad = None
        squared_error += 2.0 * loss.item()
    seconds = time.perf_counter() - start
    samples = steps * batch
    print(json.dumps({"program": "torch", "activation": args.activation, "D": d, "L": l, "H": h, "F": f,
                      "batch": batch, "samples": samples, "seconds": seconds,
                      "samples_per_second": samples / seconds, "train_mse": squared_error / samples}))


if __name__ == "__main__":
    main()
