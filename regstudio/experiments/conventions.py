"""A penalty's strength in other libraries' conventions.

Here the penalty is ``alpha * sum(w**2)`` (L2) or ``alpha * sum(|w|)`` (L1) added to the
*mean* loss of a batch, so the L2 gradient is ``2 * alpha * w``. Other libraries scale it
differently; each :class:`Equivalent` is the number that gives the same gradient there.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Equivalent:
    library: str   # e.g. "PyTorch"
    setting: str   # the code to write, e.g. "weight_decay=0.002"
    note: str      # why the number is what it is ("" when the convention is ours)


def weight_decay(l2: float) -> float:
    """PyTorch's coupled ``weight_decay`` (grad += wd * w) for our ``alpha = l2``."""
    return 2.0 * l2


def sklearn_alpha(l2: float, batch_size: int) -> float:
    """scikit-learn MLP ``alpha``: it adds ``alpha / (2 * batch) * sum(w**2)`` to the batch loss."""
    return 2.0 * batch_size * l2


def equivalents(l1: float, l2: float, batch_size: int, lr: float, optimizer: str) -> list[Equivalent]:
    """The chosen L1 / L2 strength in Keras, PyTorch and scikit-learn terms (empty: no penalty)."""
    out = []
    if l2 > 0:
        out.append(Equivalent("Keras", f"regularizers.l2({l2:.3g})", "same convention"))
        out.append(Equivalent("PyTorch", f"weight_decay={weight_decay(l2):.3g}",
                              "SGD/Adam: grad += wd·w = ∂(alpha·Σw²)/∂w"))
        out.append(Equivalent("scikit-learn MLP", f"alpha={sklearn_alpha(l2, batch_size):.3g}",
                              f"adds alpha/(2·batch)·Σw², batch {batch_size}"))
        if optimizer == "sgd":
            out.append(Equivalent("AdamW-style decoupled decay", f"≈ {weight_decay(l2):.3g}",
                                  f"per lr-scaled step (lr {lr:g})"))
    if l1 > 0:
        out.append(Equivalent("Keras", f"regularizers.l1({l1:.3g})", ""))
        out.append(Equivalent("PyTorch", f"add {l1:.3g}*sum(p.abs().sum()) to the loss", ""))
        out.append(Equivalent("scikit-learn MLP", "no L1", ""))
    return out
