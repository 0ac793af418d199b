"""Weight penalties in Keras' convention, and their application to flat parameter buffers.

``L1(alpha)``: ``alpha * sum(|w|)``; ``L2(alpha)``: ``alpha * sum(w**2)`` (Keras'
``l2``; PyTorch's ``weight_decay`` = ``2 * alpha`` for plain SGD, and
scikit-learn's MLP ``alpha`` = ``2 * alpha * n_samples`` (it divides by 2n)).
The penalty is added to the data loss; the history reports both.

L1 can act in two ways (``PenaltyPlan.l1_method``):

* ``proximal`` (default): after each optimizer step, soft-threshold
  ``w = sign(w) * max(|w| - lr * alpha, 0)``. Weights the penalty pushes
  across zero end exactly at zero: a truly sparse network.
* ``subgradient``: add ``alpha * sign(w)`` to the gradient, as Keras and
  PyTorch code does. Weights hover around zero without reaching it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .blas import axpy


@dataclass(frozen=True)
class L1:
    alpha: float

    def penalty(self, w: np.ndarray) -> float:
        return float(self.alpha * np.abs(w).sum())

    def grad(self, w: np.ndarray) -> np.ndarray:
        return self.alpha * np.sign(w)

    def get_config(self) -> dict:
        return {"l1": self.alpha}


@dataclass(frozen=True)
class L2:
    alpha: float

    def penalty(self, w: np.ndarray) -> float:
        return float(self.alpha * np.sum(w * w))

    def grad(self, w: np.ndarray) -> np.ndarray:
        return 2 * self.alpha * w

    def get_config(self) -> dict:
        return {"l2": self.alpha}


@dataclass(frozen=True)
class L1L2:
    """Elastic net: ``l1 * sum|w| + l2 * sum w**2``."""

    l1: float = 0.0
    l2: float = 0.0

    def penalty(self, w: np.ndarray) -> float:
        return L1(self.l1).penalty(w) + L2(self.l2).penalty(w)

    def grad(self, w: np.ndarray) -> np.ndarray:
        return L1(self.l1).grad(w) + L2(self.l2).grad(w)

    def get_config(self) -> dict:
        return {"l1": self.l1, "l2": self.l2}


@dataclass
class Segment:
    """A contiguous run of parameters sharing one L1 and one L2 strength."""

    part: slice
    l1: float
    l2: float


class PenaltyPlan:
    """Penalties over a model's flat parameter vector, one segment per strength.

    Built from the global strengths, per-layer overrides and ``apply_to_bias``;
    the trainer calls :meth:`value`, :meth:`add_grad` and :meth:`proximal_step`.
    """

    def __init__(self, segments: list[Segment], l1_method: str = "proximal"):
        if l1_method not in ("proximal", "subgradient"):
            raise ValueError(f"l1_method must be 'proximal' or 'subgradient', got {l1_method!r}")
        self.segments = segments
        self.l1_method = l1_method
        self._tmp: np.ndarray | None = None

    @classmethod
    def for_model(cls, model, l1: float, l2: float, apply_to_bias: bool = False,
                  l1_method: str = "proximal", overrides: dict[str, dict] | None = None) -> PenaltyPlan:
        """``overrides`` maps a layer name to ``{"l1": a or None, "l2": b or None}``."""
        overrides = overrides or {}
        segments = []
        for name, part in model.slices.items():
            layer, key = name.rsplit(".", 1)
            if key != "W" and not apply_to_bias:
                continue
            own = overrides.get(layer, {})
            a1 = l1 if own.get("l1") is None else own["l1"]
            a2 = l2 if own.get("l2") is None else own["l2"]
            prev = segments[-1] if segments else None
            if prev and prev.part.stop == part.start and (prev.l1, prev.l2) == (a1, a2):
                prev.part = slice(prev.part.start, part.stop)
            else:
                segments.append(Segment(part, a1, a2))
        return cls(segments, l1_method)

    def set_global(self, model, l1: float, l2: float, apply_to_bias: bool, overrides) -> None:
        self.segments = PenaltyPlan.for_model(model, l1, l2, apply_to_bias, self.l1_method,
                                              overrides).segments

    @property
    def active(self) -> bool:
        return any(s.l1 or s.l2 for s in self.segments)

    def _scratch(self, params: np.ndarray) -> np.ndarray:
        if self._tmp is None or self._tmp.shape != params.shape:
            self._tmp = np.empty_like(params)
        return self._tmp

    def value(self, params: np.ndarray) -> float:
        """Total penalty ``sum(l1 * |w| + l2 * w**2)`` over the segments."""
        total = 0.0
        tmp = self._scratch(params)
        for s in self.segments:
            w = params[s.part]
            if s.l2:
                total += s.l2 * float(np.dot(w, w))
            if s.l1:
                total += s.l1 * float(np.abs(w, out=tmp[s.part]).sum(dtype=np.float64))
        return total

    def add_grad(self, params: np.ndarray, grads: np.ndarray) -> None:
        """Add the penalty's gradient: ``2 * l2 * w`` and, for the subgradient method, ``l1 * sign(w)``."""
        tmp = self._scratch(params)
        for s in self.segments:
            w, g, t = params[s.part], grads[s.part], tmp[s.part]
            if s.l2:
                axpy(2 * s.l2, w, g, t)
            if s.l1 and self.l1_method == "subgradient":
                np.sign(w, out=t)
                t *= w.dtype.type(s.l1)
                g += t

    def proximal_step(self, params: np.ndarray, lr: float) -> None:
        """Soft-threshold the weights: ``w = sign(w) * max(|w| - lr * l1, 0)``."""
        if self.l1_method != "proximal":
            return
        tmp = self._scratch(params)
        for s in self.segments:
            if not s.l1:
                continue
            w, t = params[s.part], tmp[s.part]
            np.abs(w, out=t)
            t -= w.dtype.type(lr * s.l1)
            np.maximum(t, 0, out=t)
            np.copysign(t, w, out=w)
