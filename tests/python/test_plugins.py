"""Plugins in-process: forward/backward equal NumPy and central differences,
data models sample, checks agree with `attnlab check-plugin`."""

import re
import subprocess

import numpy as np
import pytest

import attnlab


def numpy_softmax(scores):
    shifted = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def random_scores(shape=(3, 4, 7), seed=1):
    rng = np.random.default_rng(seed)
    return 2.0 * rng.standard_normal(shape), rng.standard_normal(shape)


def central_difference_vjp(activation, scores, grad_out, step=1e-6):
    grad = np.zeros_like(scores)
    for index in np.ndindex(scores.shape):
        up, down = scores.copy(), scores.copy()
        up[index] += step
        down[index] -= step
        grad[index] = np.sum(grad_out * (activation.forward(up) - activation.forward(down))) / (2 * step)
    return grad


def test_plugins_lists_the_builtins():
    records = {record["id"]: record for record in attnlab.plugins()}
    for id, kind in [("softmax", "activation"), ("softmax1", "activation"), ("bayes-softmax", "activation"),
                     ("single-location", "data-model"), ("sgd", "optimizer")]:
        assert records[id]["kind"] == kind
        assert records[id]["file"].endswith(".so")


def test_softmax_forward_equals_numpy():
    scores, _ = random_scores()
    weights = attnlab.activation("softmax").forward(scores)
    assert weights.shape == scores.shape
    assert np.max(np.abs(weights - numpy_softmax(scores))) < 1e-12


def test_softmax_backward_equals_numpy_vjp():
    scores, grad_out = random_scores(seed=2)
    grad_scores, grad_parameters = attnlab.activation("softmax").backward(scores, grad_out)
    weights = numpy_softmax(scores)
    expected = weights * (grad_out - np.sum(weights * grad_out, axis=-1, keepdims=True))
    assert np.max(np.abs(grad_scores - expected)) < 1e-12
    assert grad_parameters.shape == (0,)


@pytest.mark.parametrize("id", ["softmax", "softmax1", "bayes-softmax"])
def test_backward_equals_central_differences(id):
    activation = attnlab.activation(id)
    scores, grad_out = random_scores((2, 3, 5), seed=3)
    grad_scores, _ = activation.backward(scores, grad_out)
    numeric = central_difference_vjp(activation, scores, grad_out)
    assert np.max(np.abs(grad_scores - numeric)) < 1e-7


def test_softmax1_forward_equals_numpy():
    scores, _ = random_scores(seed=4)
    exp = np.exp(scores)
    expected = exp / (1.0 + exp.sum(axis=-1, keepdims=True))
    assert np.max(np.abs(attnlab.activation("softmax1").forward(scores) - expected)) < 1e-12


def test_head_mask_zeroes_inactive_heads():
    scores, _ = random_scores()
    weights = attnlab.activation("softmax").forward(scores, mask=[True, False, True, True])
    assert np.all(weights[:, 1, :] == 0.0)
    assert np.max(np.abs(weights[:, 0, :] - numpy_softmax(scores)[:, 0, :])) < 1e-12


def test_forward_refuses_a_wrong_shape():
    with pytest.raises(ValueError, match="batch, heads, length"):
        attnlab.activation("softmax").forward(np.zeros((4, 5)))


def test_data_model_samples_are_reproducible():
    model = attnlab.data_model("single-location", {"D": 20, "L": 4, "mean": [1.0, 0.0], "std": [1.0, 0.5]})
    tokens, labels = model.sample(5, seed=7)
    assert tokens.shape == (5, 4, 20) and labels.shape == (5,)
    again, labels_again = model.sample(5, seed=7)
    assert np.array_equal(tokens, again) and np.array_equal(labels, labels_again)
    assert model.teacher_keys.shape == (2, 20)
    assert model.bayes_prediction(tokens).shape == (5,)


def test_bayes_risk_equals_the_cli(executable):
    printed = subprocess.run([executable, "bayes-risk", "--samples", "5000"], capture_output=True, text=True,
                             check=True).stdout
    mean = float(re.search(r"Bayes risk = (\S+)", printed).group(1))
    risk = attnlab.bayes_risk(samples=5000)
    assert risk["samples"] == 5000
    assert risk["mean"] == pytest.approx(mean, rel=1e-5)


def test_check_plugin_agrees_with_the_cli(executable):
    printed = subprocess.run([executable, "check-plugin", "softmax1"], capture_output=True, text=True).stdout
    records = attnlab.check_plugin("softmax1")
    assert records and all(record["passed"] for record in records)
    for record in records:
        assert re.search(rf"^\s+PASS\s+{re.escape(record['name'])}\s", printed, re.MULTILINE), record
