"""What a loss curve shows, Qt-free: the y range worth looking at, a one-line verdict, and
the curves a saved run can be overlaid by.

``view_range`` ranges the axis on the epoch curves after their first points, ignores
spikes and a blow-up (divergence), and says when a log axis reads better. ``verdict`` says
"overfitting" only when the validation loss has clearly turned up after its minimum.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

BLOW_UP = 10.0  # a point 10x above every earlier point starts a blow-up (divergence)
FENCE = 3.0  # spikes: peaks above Q3 + 3 IQR of the curve (Tukey's "far out")
DECADES = 2.0  # a log axis when the range spans more than two decades
MARGIN = 0.06  # share of the range added above and below

OVERLAY_CURVES = {  # key: (menu text, history column(s), pane of the Loss view)
    "val_loss": ("validation loss", ("val_loss",), "loss"),
    "data_loss": ("training data loss", ("data_loss", "train_loss"), "loss"),
    "val_metric": ("validation accuracy / R²", ("val_acc", "val_r2"), "metric"),
}


@dataclass(frozen=True)
class ViewRange:
    lo: float
    hi: float
    log: bool  # lo and hi are log10 values when True (pyqtgraph's log-mode view coordinates)


def blow_up_index(v) -> int:
    """Index of the first point of a blow-up: not finite, or BLOW_UP times above every
    earlier point; ``len(v)`` when there is none."""
    v = np.asarray(v, float)
    bad = ~np.isfinite(v)
    n = int(np.argmax(bad)) if bad.any() else len(v)
    if n < 2:
        return n
    top = np.maximum.accumulate(v[:n])[:-1]
    jump = (top > 0) & (v[1:n] > BLOW_UP * top)
    return int(np.argmax(jump)) + 1 if jump.any() else n


def before_blow_up(curves: Sequence) -> tuple[list[np.ndarray], int | None]:
    """One run's epoch curves cut before its blow-up, and the index of the first epoch that
    blew up (None if none did). A curve blows up at its ``blow_up_index``, or at once when
    its first value is BLOW_UP³ times above another curve's first (the validation loss
    after an epoch that diverged, beside the epoch's mean training loss); the other curves
    are cut at the earliest blow-up after their first point."""
    arrays = [np.asarray(c, float) for c in curves]
    cuts = [blow_up_index(a) for a in arrays]
    firsts = [a[0] for a in arrays if len(a) and np.isfinite(a[0])]
    low = min((f for f in firsts if f > 0), default=None)
    if low is not None:
        cuts = [0 if len(a) and a[0] > BLOW_UP ** 3 * low else c for a, c in zip(arrays, cuts, strict=True)]
    blown = [c for a, c in zip(arrays, cuts, strict=True) if c < len(a)]
    if not blown:
        return arrays, None
    common = min((c for c in cuts if c > 0), default=0)
    return [a[:min(c, common)] for a, c in zip(arrays, cuts, strict=True)], min(blown)


def skip_count(n: int) -> int:
    """First points left out of the range: the first epoch once there are 3, a twentieth of
    a long run (at most 5)."""
    return 0 if n < 3 else min(5, max(1, n // 20))


def kept_points(v) -> np.ndarray:
    """The points of one curve that the range should show: before any blow-up, after the
    first points, without spikes (local maxima above Q3 + FENCE IQR; a steady descent or
    climb is kept whole)."""
    v = np.asarray(v, float)
    v = v[:blow_up_index(v)]
    v = v[skip_count(len(v)):]
    if len(v) >= 4:
        q1, q3 = _quartiles(v)
        high = v > q3 + FENCE * max(q3 - q1, 1e-12 * abs(q3))
        peak = np.r_[v[0] >= v[1], (v[1:-1] >= v[:-2]) & (v[1:-1] >= v[2:]), v[-1] >= v[-2]]
        v = v[~(high & peak)]
    return v


def _quartiles(v: np.ndarray) -> tuple[float, float]:
    """``np.percentile(v, [25, 75])`` (linear interpolation) from one sort: a tenth of the
    time on the short curves the loss view ranges several times a second."""
    s = np.sort(v)
    out = []
    for q in (0.25, 0.75):
        pos = q * (len(s) - 1)
        lo = int(pos)
        hi = min(lo + 1, len(s) - 1)
        out.append(float(s[lo] + (s[hi] - s[lo]) * (pos - lo)))
    return out[0], out[1]


def _span(curves, log: bool) -> tuple[float, float] | None:
    kept = [k for k in (kept_points(c) for c in curves) if len(k)]
    vals = np.concatenate(kept) if kept else np.empty(0)
    if log:
        vals = np.log10(vals[vals > 0])
    return (float(vals.min()), float(vals.max())) if len(vals) else None


def spans_decades(curves) -> bool:
    """More than DECADES between the smallest and the largest kept positive value."""
    kept = [k[k > 0] for k in (kept_points(c) for c in curves)]
    vals = np.concatenate(kept) if kept else np.empty(0)
    return len(vals) > 0 and float(vals.max()) > 10 ** DECADES * float(vals.min())


def view_range(primary: Sequence, secondary: Sequence = (), log: bool | None = None) -> ViewRange | None:
    """The y range for the ``primary`` curves (validation first, then training data loss:
    all in view) and the ``secondary`` ones (total loss, penalty: as far as the primary
    curves keep at least a third of the height), with a margin. ``log`` None chooses a log
    axis when the curves span more than DECADES and the later half of the first primary
    curve (validation: where it turns up or levels off) gets half as much height again on
    it. None without data."""
    if log is None:
        lin = _range(primary, secondary, False)
        if lin is None or not spans_decades([*primary, *secondary]):
            return lin
        logr = _range(primary, secondary, True)
        kept = kept_points(primary[0] if len(primary) else secondary[0])
        late = kept[len(kept) // 2:]
        better = logr is not None and _share(late, logr) > 1.5 * _share(late, lin)
        return logr if better else lin
    return _range(primary, secondary, bool(log))


def _range(primary, secondary, log: bool) -> ViewRange | None:
    span = _span(primary, log) or _span(secondary, log)
    if span is None:
        return None
    lo, hi = span
    extra = _span(secondary, log)
    if extra is not None:
        reach = (hi - lo) or (1.0 if log else abs(hi) or 1.0)
        lo, hi = max(min(lo, extra[0]), lo - reach), min(max(hi, extra[1]), hi + reach)
    pad = MARGIN * (hi - lo) or (0.1 if log else 0.05 * abs(hi) or 0.05)
    return ViewRange(lo - pad, hi + pad, log)


def share(curve, rng: ViewRange) -> float:
    """The share of the view's height that a curve's kept points span (tests, lessons)."""
    return _share(kept_points(curve), rng)


def _share(points: np.ndarray, rng: ViewRange) -> float:
    if rng.log:
        points = np.log10(points[points > 0])
    if not len(points):
        return 0.0
    return max(0.0, min(points.max(), rng.hi) - max(points.min(), rng.lo)) / (rng.hi - rng.lo)


@dataclass(frozen=True)
class Verdict:
    kind: str  # overfitting, underfitting, penalty, flat, improving, levelled; "" (too few)
    best_epoch: int | None
    text: str


NO_GAP = 0.8  # training data loss at least 80 % of the validation loss: no gap left
FLAT = 0.1  # "flat": the losses fell less than 10 % below their first value
MIN_EPOCHS = 3
SMOOTH = 3  # epochs averaged when telling a turn from noise


def turn_margin(v: np.ndarray) -> float:
    """How far above its minimum a loss must end to count as turned up: 5 % of the minimum,
    or twice the noise of one epoch's value if larger (estimated from the last ten
    epoch-to-epoch differences: std / sqrt 2, blind to a steady trend)."""
    recent = np.diff(v[-11:])
    noise = float(np.std(recent, ddof=1) / np.sqrt(2)) if len(recent) >= 2 else 0.0
    return max(0.05 * abs(float(np.min(v))), 2 * noise)


def rise(v: np.ndarray) -> float:
    """How far the mean of the last SMOOTH epochs lies above the lowest mean of SMOOTH
    consecutive epochs (averages: the minimum of single noisy epochs lies too low)."""
    if len(v) < SMOOTH:
        return 0.0
    means = np.convolve(v, np.ones(SMOOTH) / SMOOTH, "valid")
    return float(means[-1] - means.min())


def turned_up(v: np.ndarray) -> bool:
    """The lowest value is not the last and the curve ends clearly above it."""
    return len(v) >= SMOOTH and int(np.argmin(v)) < len(v) - 1 and rise(v) > turn_margin(v)


def verdict(epochs: Sequence, val: Sequence, train: Sequence | None = None) -> Verdict:
    """What the validation curve (and the training data loss ``train``) shows.

    - overfitting: the validation loss ``turned_up`` (its lowest epoch is not the last, and
      the mean of the last 3 epochs lies more than ``turn_margin`` above the lowest mean of
      3 consecutive epochs), while the training data loss did not turn up as well;
    - underfitting: as above, but the training data loss rose too, to NO_GAP of the
      validation loss or more (the penalty wins); "penalty" when it rose but stays below;
    - flat: both losses stayed within FLAT of their first value (underfitting?);
    - improving: the last epoch is the best, or within the margin and still falling;
    - levelled: otherwise (the curve has flattened out near its minimum).
    """
    ep = np.asarray(epochs, float)
    v = np.asarray(val, float)
    ok = np.isfinite(v)
    v, ep = v[ok], ep[ok]
    if len(v) < MIN_EPOCHS:
        return Verdict("", None, "")
    i = int(np.argmin(v))
    best_epoch, best, last = int(ep[i]), float(v[i]), float(v[-1])
    margin = turn_margin(v)
    t = np.asarray(train, float) if train is not None else np.empty(0)
    t = t[ok] if len(t) == len(ok) else t[np.isfinite(t)]
    if turned_up(v):
        if turned_up(t):
            if t[-1] > NO_GAP * last:
                return Verdict("underfitting", best_epoch,
                               f"underfitting: both losses rose after epoch {best_epoch} to about "
                               f"{last:.3g}: too strong a penalty?")
            return Verdict("penalty", best_epoch,
                           f"both losses rose after epoch {best_epoch} (validation {best:.3g} → "
                           f"{last:.3g}): the penalty pulls the fit back")
        return Verdict("overfitting", best_epoch,
                       f"overfitting after epoch {best_epoch}: validation loss {best:.3g} → {last:.3g}")
    if all(c.min() > (1 - FLAT) * c[0] for c in (v, t) if len(c)):
        return Verdict("flat", best_epoch, f"flat: underfitting? the losses stay near {v[0]:.3g}")
    tail = v[-min(len(v), 5):]
    if i == len(v) - 1 or (tail[-1] < tail[0] - margin):
        return Verdict("improving", best_epoch,
                       f"still improving: lowest validation loss {best:.3g} at epoch {best_epoch}")
    return Verdict("levelled", best_epoch,
                   f"levelled off: lowest validation loss {best:.3g} at epoch {best_epoch}")
