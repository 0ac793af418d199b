"""Losses over a batch: ``value_and_grad(outputs, targets) -> (mean loss, d loss / d outputs)``.

The model's last layer is linear; the loss owns the output non-linearity
(softmax, sigmoid) so the gradient is the stable ``p - y`` form.
"""

from __future__ import annotations

import numpy as np

from .activations import sigmoid, softmax


class Loss:
    name = ""

    def value_and_grad(self, outputs: np.ndarray, targets: np.ndarray) -> tuple[float, np.ndarray]:
        raise NotImplementedError

    def value(self, outputs: np.ndarray, targets: np.ndarray) -> float:
        return self.value_and_grad(outputs, targets)[0]

    def predict(self, outputs: np.ndarray) -> np.ndarray:
        """Outputs mapped to what a user reads: probabilities or values."""
        return outputs


class SoftmaxCrossEntropy(Loss):
    """Mean of ``-log softmax(z)[y]`` with integer class targets."""

    name = "softmax_cross_entropy"

    def value_and_grad(self, outputs, targets):
        n = outputs.shape[0]
        shifted = outputs - np.maximum.reduce(outputs, axis=1, keepdims=True)
        exp = np.exp(shifted)
        total = np.add.reduce(exp, axis=1, keepdims=True)
        rows = np.arange(n)
        loss = float(np.add.reduce(np.log(total[:, 0]) - shifted[rows, targets])) / n
        grad = np.divide(exp, total * n, out=exp)
        grad[rows, targets] -= 1 / n
        return loss, grad

    def predict(self, outputs):
        return softmax(outputs)


class SigmoidBinaryCrossEntropy(Loss):
    """Binary cross-entropy on one logit per sample; targets are 0/1 class indices."""

    name = "sigmoid_binary_cross_entropy"

    def value_and_grad(self, outputs, targets):
        z = outputs[:, 0]
        t = targets.astype(outputs.dtype)
        # log(1 + exp(-|z|)) + max(z, 0) - z*t, the stable form of BCE-with-logits.
        loss = float(np.mean(np.logaddexp(0, -np.abs(z)) + np.maximum(z, 0) - z * t))
        grad = ((sigmoid(z) - t) / z.shape[0])[:, None].astype(outputs.dtype)
        return loss, grad

    def predict(self, outputs):
        p = sigmoid(outputs[:, :1])
        return np.concatenate([1 - p, p], axis=1)


class MeanSquaredError(Loss):
    """Mean over all elements of ``(output - target)**2`` (Keras' ``mse``)."""

    name = "mse"

    def value_and_grad(self, outputs, targets):
        diff = outputs - targets.reshape(outputs.shape)
        loss = float(np.mean(diff * diff))
        diff *= 2.0 / diff.size
        return loss, diff


LOSSES = {cls.name: cls for cls in (SoftmaxCrossEntropy, SigmoidBinaryCrossEntropy, MeanSquaredError)}


def get_loss(name: str) -> Loss:
    if name not in LOSSES:
        raise ValueError(f"unknown loss {name!r}; choose one of {', '.join(LOSSES)}")
    return LOSSES[name]()
