"""A first tour of attnlab from Python. From the repository root, after a build:

    PYTHONPATH=build/python /usr/bin/python3 examples/python/compare_and_check.py [OUTPUT_FOLDER]

1. compares softmax, softmax-1 and Bayes-softmax with small settings (a few
   seconds), in a child attnlab process;
2. plots the test error against t and each model's key overlaps m[h, f] with
   matplotlib into OUTPUT_FOLDER/compare_and_check.png;
3. checks an activation against a NumPy implementation of it: forward, and
   backward against the NumPy vector-Jacobian product.

OUTPUT_FOLDER (default: a fresh folder under results/) receives the run and the figure.
"""

import sys
from datetime import datetime
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display needed
import matplotlib.pyplot as plt
import numpy as np

import attnlab

folder = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("results") / datetime.now().strftime("python-%Y%m%d-%H%M%S")
folder.mkdir(parents=True, exist_ok=True)

# 1. A small comparison: D = 50, t up to 400, two heads, one seed.
run = attnlab.compare(
    out=folder / "compare",
    data={"D": 50},
    model={"heads": 2},
    train={"time": 400, "threads": 1},
    eval={"test_size": 1024, "log_points": 15, "bayes_samples": 20000},
    figures=False,
)
print(run.summary[["activation", "final_test_mse", "excess_risk", "status"]].to_string(index=False))

# 2. Test error and key overlaps, from the DataFrame and the arrays.
activations = list(run.metrics.activation.unique())
figure, axes = plt.subplots(1, 1 + len(activations), figsize=(4.2 * (1 + len(activations)), 3.6))
for activation, rows in run.metrics.groupby("activation", sort=False):
    axes[0].plot(rows.t, rows.test_mse, marker=".", label=activation)
axes[0].axhline(run.summary.bayes_risk.iloc[0], color="black", linestyle="--", label="Bayes risk")
axes[0].set(xscale="symlog", xlim=(0, None), xlabel="t = samples / D", ylabel="test MSE", title="test error")
axes[0].legend()
t = run.metrics[run.metrics.activation == activations[0]].t.to_numpy()
for axis, activation in zip(axes[1:], activations):
    overlaps = run.overlaps[activation]  # (log points, heads, features)
    for h in range(overlaps.shape[1]):
        for f in range(overlaps.shape[2]):
            axis.plot(t, overlaps[:, h, f], color=f"C{f}", linestyle=["-", "--", ":", "-."][h % 4],
                      label=f"m[{h},{f}]")
    axis.set(xscale="symlog", xlim=(0, None), xlabel="t", title=f"{activation}: key overlaps")
    axis.legend(fontsize="x-small", ncol=2)
figure.tight_layout()
figure.savefig(folder / "compare_and_check.png", dpi=100)
print(f"figure: {folder / 'compare_and_check.png'}")

# 3. softmax-1 (softmax with an extra 1 in the denominator) against NumPy.
def softmax1(scores):
    top = np.maximum(scores.max(axis=-1, keepdims=True), 0.0)
    e = np.exp(scores - top)
    return e / (np.exp(-top) + e.sum(axis=-1, keepdims=True))


rng = np.random.default_rng(0)
scores = 3.0 * rng.standard_normal((8, 4, 16))  # (batch, heads, length)
grad_out = rng.standard_normal(scores.shape)
plugin = attnlab.activation("softmax1")
weights = plugin.forward(scores)
grad_scores, _ = plugin.backward(scores, grad_out)
# The softmax-1 VJP: w * (g - sum(w * g)), as for softmax.
expected = weights * (grad_out - np.sum(weights * grad_out, axis=-1, keepdims=True))
forward_error = np.max(np.abs(weights - softmax1(scores)))
backward_error = np.max(np.abs(grad_scores - expected))
print(f"softmax1 vs NumPy: forward max |error| {forward_error:.2e}, backward max |error| {backward_error:.2e}")
assert forward_error < 1e-12 and backward_error < 1e-12

checks = attnlab.check_plugin("softmax1")
print(f"check_plugin: {sum(c['passed'] for c in checks)} of {len(checks)} checks passed")
assert all(c["passed"] for c in checks)
