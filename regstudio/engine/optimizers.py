"""Optimizers over one flat parameter vector; their state is a flat vector too.

``lr`` may be changed between steps (the GUI does it live). AdamW's weight decay
is *decoupled*: it shrinks weights directly (``w -= lr * wd * w``), separate from
the gradient and from the L2 penalty in the loss (Loshchilov and Hutter, 2019).
"""

from __future__ import annotations

import numpy as np

from .blas import axpby, axpy


class Optimizer:
    name = ""

    def __init__(self, lr: float):
        self.lr = float(lr)

    def step(self, params: np.ndarray, grads: np.ndarray) -> None:
        raise NotImplementedError

    def prepare(self, params: np.ndarray) -> None:
        """Allocate (and touch) the state for ``params`` before the first step, so that step
        runs at the usual speed (fresh pages for a large model cost hundreds of ms: the
        trainer does it before its loop, where a Stop is seen at the next batch)."""

    def reset(self) -> None:
        """Forget the state (momentum, moment estimates), e.g. after a divergence."""

    def get_config(self) -> dict:
        return {"optimizer": self.name, "lr": self.lr}


class SGD(Optimizer):
    """``v = momentum * v + g``; ``w -= lr * v`` (PyTorch's form); Nesterov: ``w -= lr * (g + momentum * v)``."""

    name = "sgd"

    def __init__(self, lr: float = 0.01, momentum: float = 0.0, nesterov: bool = False):
        super().__init__(lr)
        self.momentum, self.nesterov = float(momentum), bool(nesterov)
        self.velocity: np.ndarray | None = None
        self._tmp: np.ndarray | None = None

    def prepare(self, params):
        self._buffer(params)
        if self.momentum and self.velocity is None:
            self.velocity = np.zeros_like(params)

    def step(self, params, grads):
        tmp = self._buffer(grads)
        if not self.momentum:
            axpy(-self.lr, grads, params, tmp)
            return
        if self.velocity is None:
            self.velocity = np.zeros_like(params)
        v = self.velocity
        axpby(1.0, grads, self.momentum, v, tmp)
        if self.nesterov:
            axpy(-self.lr * self.momentum, v, params, tmp)
            axpy(-self.lr, grads, params, tmp)
        else:
            axpy(-self.lr, v, params, tmp)

    def reset(self):
        self.velocity = None

    def _buffer(self, like):
        if self._tmp is None or self._tmp.shape != like.shape:
            self._tmp = np.zeros_like(like)  # touched now, not in the first step
        return self._tmp

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


class Adam(Optimizer):
    """Adam (Kingma and Ba, 2015) with bias correction, as in PyTorch."""

    name = "adam"

    def __init__(self, lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8):
        super().__init__(lr)
        self.beta1, self.beta2, self.eps = float(beta1), float(beta2), float(eps)
        self.t = 0
        self.m: np.ndarray | None = None
        self.v: np.ndarray | None = None

    def prepare(self, params):
        if self.m is None:
            self.m, self.v, self._tmp = (np.zeros_like(params) for _ in range(3))

    def step(self, params, grads):
        self.prepare(params)
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        real = params.dtype.type
        m, v, tmp = self.m, self.v, self._tmp
        axpby(1 - b1, grads, b1, m, tmp)
        np.multiply(grads, grads, out=tmp)
        axpby(1 - b2, tmp, b2, v, tmp)  # tmp may be scaled in place: it is rewritten next
        bias1 = 1 - b1**self.t
        bias2 = 1 - b2**self.t
        # w -= lr/bias1 * m / (sqrt(v)/sqrt(bias2) + eps)
        np.sqrt(v, out=tmp)
        tmp *= real(1 / np.sqrt(bias2))
        tmp += real(self.eps)
        np.divide(m, tmp, out=tmp)
        self._decay(params)
        axpy(-self.lr / bias1, tmp, params, tmp)

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
            params[self.decay_slice] *= params.dtype.type(1 - self.lr * self.weight_decay)

    def get_config(self):
        return {**super().get_config(), "weight_decay": self.weight_decay}


OPTIMIZERS = {cls.name: cls for cls in (SGD, Adam, AdamW)}
