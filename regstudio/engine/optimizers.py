"""Optimizers over one flat parameter vector; their state is a flat vector too.

``lr`` may be changed between steps (the GUI does it live). AdamW's weight decay
is *decoupled*: it shrinks weights directly (``w -= lr * wd * w``), separate from
the gradient and from the L2 penalty in the loss (Loshchilov and Hutter, 2019).
"""

from __future__ import annotations

import numpy as np

from .regularizers import add_l2_gradient
from .threads import blas_on_one_core


class Optimizer:
    name = ""

    def __init__(self, lr: float):
        self.lr = float(lr)
        self._tmp: np.ndarray | None = None

    def step(self, params: np.ndarray, grads: np.ndarray, l2=()) -> None:
        """Update ``params`` from ``grads``. ``l2`` lists ``(slice, alpha)`` parts whose L2
        penalty gradient ``2 * alpha * w`` joins the gradient first (``grads`` may change)."""
        if l2:
            add_l2_gradient(params, grads, l2, self._scratch(params))
        self._update(params, grads)

    def _update(self, params: np.ndarray, grads: np.ndarray) -> None:
        raise NotImplementedError

    def reset(self) -> None:
        """Forget the state (momentum, moment estimates), e.g. after a divergence."""

    def _scratch(self, like: np.ndarray) -> np.ndarray:
        if self._tmp is None or self._tmp.shape != like.shape or self._tmp.dtype != like.dtype:
            self._tmp = np.empty_like(like)
        return self._tmp

    def get_config(self) -> dict:
        return {"optimizer": self.name, "lr": self.lr}


def bank_of(params: np.ndarray, grads: np.ndarray) -> np.ndarray | None:
    """The (4, n) array whose rows 1 and 2 are ``params`` and ``grads`` (a model's
    ``Sequential.bank``), or None when they are separate arrays."""
    bank = params.base
    if (bank is None or grads.base is not bank or bank.ndim != 2 or bank.shape[0] != 4
            or not bank.flags.c_contiguous or params.shape != bank.shape[1:]):
        return None
    start, row = bank.ctypes.data, bank.strides[0]
    if params.ctypes.data != start + row or grads.ctypes.data != start + 2 * row:
        return None
    return bank


class SGD(Optimizer):
    """``v = momentum * v + g``; ``w -= lr * v`` (PyTorch's form); Nesterov: ``w -= lr * (g + momentum * v)``.

    With momentum (not Nesterov) on a model's parameter bank (see :func:`bank_of`) the step
    is one BLAS matrix-vector product over the bank's rows: row 0 or 3 (in turn) holds
    ``u = -lr * v`` and the product writes ``momentum * u - lr * (g + 2 * alpha * w)`` into
    the other, then ``w += u``: two passes over memory where NumPy alone makes six. (On one
    core: spread over two, the product is faster but ``u`` then travels between their caches.)
    A new ``lr`` rescales ``u``, so ``v`` is kept as PyTorch keeps it.
    """

    name = "sgd"

    def __init__(self, lr: float = 0.01, momentum: float = 0.0, nesterov: bool = False):
        super().__init__(lr)
        self.momentum, self.nesterov = float(momentum), bool(nesterov)
        self.velocity: np.ndarray | None = None
        self._row: int | None = None  # the bank row holding u, None before the first step
        self._row_lr = self.lr  # the lr u was scaled with

    def step(self, params, grads, l2=()):
        bank = bank_of(params, grads) if self.momentum and not self.nesterov else None
        if bank is None:
            super().step(params, grads, l2)
        else:
            self._banked_step(bank, l2)

    def _update(self, params, grads):
        real = params.dtype.type
        lr, mu = real(self.lr), real(self.momentum)
        tmp = self._scratch(grads)
        if not self.momentum:
            params -= np.multiply(grads, lr, out=tmp)
            return
        if self.velocity is None:
            self.velocity = np.zeros_like(params)
        v = self.velocity
        v *= mu
        v += grads
        if self.nesterov:
            np.multiply(v, mu, out=tmp)
            tmp += grads
            tmp *= lr
        else:
            np.multiply(v, lr, out=tmp)
        params -= tmp

    def _banked_step(self, bank: np.ndarray, l2) -> None:
        lr, mu = self.lr, self.momentum
        if self._row is None:
            self._row = 0
            bank[0].fill(0)
        elif self._row_lr != lr:
            bank[self._row] *= bank.dtype.type(lr / self._row_lr)
        self._row_lr = lr
        if self._row == 0:
            rows, out, order = bank[0:3], bank[3], (0, 1, 2)  # rows u, w, g
        else:
            rows, out, order = bank[1:4], bank[0], (2, 0, 1)  # rows w, g, u
        with blas_on_one_core():
            for part, alpha in _runs(bank.shape[1], l2):
                coeffs = np.empty((1, 3), bank.dtype)
                coeffs[0, order] = (mu, -2 * alpha * lr, -lr)
                np.matmul(coeffs, rows[:, part], out=out[None, part])
        bank[1] += out
        self._row = 3 - self._row

    def reset(self):
        self.velocity, self._row = None, None

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


def _runs(n: int, l2) -> list[tuple[slice, float]]:
    """``[0, n)`` cut into runs of one L2 strength: the ``l2`` parts, 0 between them."""
    runs, at = [], 0
    for part, alpha in sorted(l2, key=lambda item: item[0].start):
        if part.start > at:
            runs.append((slice(at, part.start), 0.0))
        runs.append((part, alpha))
        at = part.stop
    if at < n:
        runs.append((slice(at, n), 0.0))
    return runs


class Adam(Optimizer):
    """Adam (Kingma and Ba, 2015) with bias correction, as in PyTorch."""

    name = "adam"

    def __init__(self, lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8):
        super().__init__(lr)
        self.beta1, self.beta2, self.eps = float(beta1), float(beta2), float(eps)
        self.t = 0
        self.m: np.ndarray | None = None
        self.v: np.ndarray | None = None

    def _update(self, params, grads):
        if self.m is None:
            self.m, self.v = np.zeros_like(params), np.zeros_like(params)
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        m, v, tmp = self.m, self.v, self._scratch(params)
        m *= np.float32(b1)
        np.multiply(grads, np.float32(1 - b1), out=tmp)
        m += tmp
        v *= np.float32(b2)
        np.multiply(grads, grads, out=tmp)
        tmp *= np.float32(1 - b2)
        v += tmp
        bias1 = 1 - b1**self.t
        bias2 = 1 - b2**self.t
        # w -= lr/bias1 * m / (sqrt(v)/sqrt(bias2) + eps)
        np.sqrt(v, out=tmp)
        tmp *= np.float32(1 / np.sqrt(bias2))
        tmp += np.float32(self.eps)
        np.divide(m, tmp, out=tmp)
        tmp *= np.float32(self.lr / bias1)
        self._decay(params)
        params -= tmp

    def reset(self):
        self.t, self.m, self.v = 0, None, None

    def _decay(self, params):
        """Hook for AdamW's decoupled decay, applied before the Adam update (as PyTorch does)."""

    def get_config(self):
        return {**super().get_config(), "beta1": self.beta1, "beta2": self.beta2, "eps": self.eps}


class AdamW(Adam):
    """Adam with decoupled weight decay: ``w -= lr * weight_decay * w`` on ``decay_slice``."""

    name = "adamw"

    def __init__(self, lr: float = 0.001, weight_decay: float = 0.01, decay_slice: slice = slice(None),
                 **kwargs):
        super().__init__(lr, **kwargs)
        self.weight_decay = float(weight_decay)
        self.decay_slice = decay_slice

    def _decay(self, params):
        if self.weight_decay:
            params[self.decay_slice] *= np.float32(1 - self.lr * self.weight_decay)

    def get_config(self):
        return {**super().get_config(), "weight_decay": self.weight_decay}


OPTIMIZERS = {cls.name: cls for cls in (SGD, Adam, AdamW)}
