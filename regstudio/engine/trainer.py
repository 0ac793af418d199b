"""``Trainer.fit``: mini-batches, penalties, callbacks, events, stop/pause and live changes.

Each epoch yields one metrics row (the ``history.csv`` columns):

* ``train_loss`` = ``data_loss`` + ``penalty``, averaged over the epoch's batches
  while training (dropout active), as Keras reports it;
* ``val_loss``: the data loss on the validation split in evaluation mode
  (no penalty, so it compares with ``data_loss``);
* ``train_acc``/``val_acc`` for classes, ``train_r2``/``val_r2`` for regression;
* ``lr``, ``seconds``, and ``layers``: per-layer L1/L2 norms and sparsity.
"""

from __future__ import annotations

import itertools
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .callbacks import Callback, CallbackList, History
from .control import TrainingControl, dropout_index
from .events import BatchProgress, Diverged, EpochEnd, Finished, LiveChange, WeightsSnapshot
from .losses import Loss
from .metrics import accuracy, overfitting_point, r2_score
from .model import Sequential
from .optimizers import Optimizer
from .regularizers import PenaltyPlan
from .threads import one_blas_thread


class ArrayBatches:
    """Batches gathered from an array into a reused buffer (no copy of the whole set)."""

    def __init__(self, X: np.ndarray):
        self.X = X
        self._buf: np.ndarray | None = None

    def __call__(self, idx: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        shape = (len(idx), *self.X.shape[1:])
        if self._buf is None or self._buf.shape[0] < len(idx):
            self._buf = np.empty(shape, self.X.dtype)
        out = self._buf[: len(idx)]
        # mode="clip": the indices are valid, and the default mode="raise" gathers into a
        # hidden temporary first and copies it into ``out`` (about 40% slower here)
        np.take(self.X, idx, axis=0, out=out, mode="clip")
        return out


def minibatches(n: int, batch_size: int, rng: np.random.Generator):
    """Index arrays of a fresh permutation, sliced; the last batch may be smaller."""
    order = rng.permutation(n)
    for start in range(0, n, batch_size):
        yield order[start : start + batch_size]


class Trainer:
    """Trains a :class:`Sequential` model.

    ``regularization`` holds the global ``l1``, ``l2``, ``apply_to_bias`` and
    per-layer ``overrides`` (layer name -> ``{"l1", "l2"}``); the penalty plan is
    rebuilt from it when a live change arrives. ``batch_source(idx, rng)`` makes a
    training batch (augmentation plugs in here); ``live_handlers`` maps extra live
    keys (``"augmentation"``) to functions applying them.
    """

    def __init__(self, model: Sequential, loss: Loss, optimizer: Optimizer, *,
                 l1: float = 0.0, l2: float = 0.0, apply_to_bias: bool = False,
                 l1_method: str = "proximal", overrides: dict | None = None,
                 batch_size: int = 32, epochs: int = 10, seed: int = 0,
                 callbacks: list[Callback] = (), batch_source=None, live_handlers=None,
                 task: str = "classification", splits: int = 1, threads: int = 1):
        self.model, self.loss, self.optimizer = model, loss, optimizer
        # Each batch is computed as `splits` consecutive parts whose gradients are summed, on
        # replicas that share the parameters; with `threads` > 1 that many threads take the
        # parts in turn (one BLAS thread each), so a faster core does more of them. The
        # numbers depend on `splits`, never on `threads` or on which thread took a part.
        self.replicas = [model] + [model.replica([seed, i]) for i in range(1, max(1, int(splits)))]
        self.threads = min(max(1, int(threads)), len(self.replicas))
        self._pool: ThreadPoolExecutor | None = None
        self.reg = {"l1": float(l1), "l2": float(l2), "apply_to_bias": apply_to_bias,
                    "overrides": overrides or {}}
        self.penalty = PenaltyPlan.for_model(model, l1, l2, apply_to_bias, l1_method, overrides)
        self.batch_size, self.epochs, self.seed = int(batch_size), int(epochs), int(seed)
        self.history = History()
        self.callbacks = CallbackList([self.history, *callbacks], trainer=self)
        self.batch_source = batch_source
        self.live_handlers = dict(live_handlers or {})
        self.task = task
        self.stop_training = False
        self.changes: list[LiveChange] = []
        self.progress_seconds = 0.02  # BatchProgress at most 50 times a second

    # -- live changes -------------------------------------------------------------------
    def _apply(self, key: str, value, epoch: int, batch: int, emit) -> None:
        if key in ("regularization.l1", "regularization.l2"):
            name = key.split(".")[1]
            old = self.reg[name]
            self.reg[name] = float(value)
            self.penalty.set_global(self.model, self.reg["l1"], self.reg["l2"],
                                    self.reg["apply_to_bias"], self.reg["overrides"])
        elif key == "training.lr":
            old, self.optimizer.lr = self.optimizer.lr, float(value)
        elif (index := dropout_index(key)) is not None:
            layer = self.model.layers[index] if index < len(self.model.layers) else None
            if layer is None or layer.kind != "dropout":
                raise ValueError(f"{key}: layer {index} is not a dropout layer")
            old = layer.rate
            for replica in self.replicas:
                replica.layers[index].rate = float(value)
        elif key in self.live_handlers:
            old = self.live_handlers[key](value)
        else:
            raise ValueError(f"{key} cannot be changed while training")
        change = LiveChange(epoch, batch, key, old, value)
        self.changes.append(change)
        emit(change)

    # -- training -----------------------------------------------------------------------
    def fit(self, X, y, X_val, y_val, on_event=None, control: TrainingControl | None = None) -> History:
        """Train for ``self.epochs`` epochs (or until stopped); returns the History callback.

        ``on_event(event)`` is called in this thread between batches. The run's end
        state is in ``self.stop_reason`` and ``self.best_epoch``. Overflow on the way to
        divergence is expected and detected, so NumPy's warnings about it are silenced.
        """
        parallel = self.threads > 1 and len(self.replicas) > 1
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"), one_blas_thread(parallel):
            self._pool = ThreadPoolExecutor(self.threads - 1) if parallel else None
            try:
                return self._fit(X, y, X_val, y_val, on_event, control)
            finally:
                if self._pool is not None:
                    self._pool.shutdown()
                self._pool = None

    def _forward_backward(self, replica: Sequential, x, y, weight: float) -> tuple[float, float]:
        """Gradients of ``weight`` x the mean loss over (x, y) into the replica's buffer;
        returns (summed loss, correct predictions or summed squared error)."""
        out = replica.forward(x, training=True)
        value, dout = self.loss.value_and_grad(out, y)
        if weight != 1.0:
            dout *= weight
        replica.backward(dout)
        if self.task == "classification":
            metric = accuracy(out, y) * len(y)
        else:
            metric = float(np.sum((out - y.reshape(out.shape)) ** 2))
        return value * len(y), metric

    def _batch(self, xb, yb) -> tuple[float, float]:
        """Mean data loss of the batch and its metric sum; gradients left in ``model.grads``."""
        n = len(yb)
        k = len(self.replicas)
        bounds = [i * n // k for i in range(k + 1)]
        parts = [(replica, xb[a:b], yb[a:b], (b - a) / n)
                 for replica, a, b in zip(self.replicas, bounds[:-1], bounds[1:], strict=True) if b > a]
        results: list = [None] * len(parts)
        order = itertools.count()  # next() is atomic: each part is taken exactly once

        def take_parts():
            while (i := next(order)) < len(parts):
                results[i] = self._forward_backward(*parts[i])

        helpers = []
        if self._pool is not None and len(parts) > 1:
            helpers = [self._pool.submit(take_parts) for _ in range(min(self.threads, len(parts)) - 1)]
        take_parts()
        for helper in helpers:
            helper.result()
        for replica, *_ in parts:
            if replica is not self.model:
                self.model.grads += replica.grads
        return sum(r[0] for r in results) / n, sum(r[1] for r in results)

    def _fit(self, X, y, X_val, y_val, on_event, control) -> History:
        emit = on_event or (lambda event: None)
        model, penalty = self.model, self.penalty
        params, grads = model.params, model.grads
        rng = np.random.default_rng(self.seed)
        source = self.batch_source or ArrayBatches(X)
        n = len(X)
        n_batches = -(-n // self.batch_size)
        classes = self.task == "classification"
        y_var_sum = float(np.sum((y - y.mean(axis=0)) ** 2)) if not classes else 0.0
        last_good = params.copy()
        self.stop_training = False
        self.stop_reason, message = "completed", ""
        self.callbacks.on_train_begin()
        emit(WeightsSnapshot(0, model.get_weights()))
        if control is None or not control.stopped:
            self.optimizer.prepare(params)
        recent: list[float] = []
        last_progress = -np.inf
        epoch = 0
        while epoch < self.epochs:
            epoch += 1
            started = time.perf_counter()
            sums = np.zeros(3)  # data loss, penalty, correct predictions or squared error
            seen = 0
            for batch, idx in enumerate(minibatches(n, self.batch_size, rng), start=1):
                if control is not None:
                    waited = time.perf_counter()
                    running = control.wait_if_paused()
                    started += time.perf_counter() - waited  # time paused is not training time
                    if not running:
                        self.stop_reason = "cancelled"
                        break
                    for key, value in control.take_changes():
                        self._apply(key, value, epoch, batch, emit)
                data_loss, metric = self._batch(source(idx, rng), y[idx])
                sums[2] += metric
                pen = 0.0
                if penalty.active:
                    pen = penalty.value(params)
                    penalty.add_grad(params, grads)
                self.optimizer.step(params, grads)
                penalty.proximal_step(params, self.optimizer.lr)
                if not np.isfinite(data_loss + pen):
                    self.stop_reason = "diverged"
                    break
                sums[0] += data_loss * len(idx)
                sums[1] += pen * len(idx)
                seen += len(idx)
                recent.append(data_loss + pen)
                now = time.perf_counter()
                if now - last_progress >= self.progress_seconds or batch == n_batches:
                    last_progress = now
                    emit(BatchProgress(epoch, batch, n_batches, seen / max(now - started, 1e-9),
                                       data_loss + pen, tuple(recent)))
                    recent.clear()
            if self.stop_reason == "cancelled":
                break
            row = None
            if self.stop_reason != "diverged" and np.isfinite(params).all():
                row = self._epoch_row(epoch, sums, seen, y_var_sum, X_val, y_val, started)
            if row is None or (len(X_val) and not np.isfinite(row["val_loss"])):
                params[...] = last_good
                message = (f"the loss or the weights became infinite or NaN in epoch {epoch}; "
                           "try a lower learning rate or a weaker penalty")
                if control is not None and control.pause_on_divergence:
                    # Back to the last good weights, paused: the user lowers the learning rate or
                    # the penalty and resumes; the epoch starts over.
                    self.optimizer.reset()
                    self.stop_reason = "completed"
                    emit(Diverged(epoch, message))
                    control.pause()
                    epoch -= 1
                    continue
                self.stop_reason = "diverged"
                break
            np.copyto(last_good, params)
            self.callbacks.on_epoch_end(epoch, row)
            emit(EpochEnd(epoch, row))
            emit(WeightsSnapshot(epoch, model.get_weights()))
            if control is not None:
                control.epoch_done()
            if self.stop_training:
                self.stop_reason = "early_stopping"
                break
        self.callbacks.on_train_end()
        self.best_epoch = overfitting_point([r["val_loss"] for r in self.history.rows])
        self.stop_message = message
        emit(Finished(self.stop_reason, self.best_epoch, message))
        return self.history

    def _epoch_row(self, epoch, sums, seen, y_var_sum, X_val, y_val, started) -> dict:
        classes = self.task == "classification"
        data_loss, pen = float(sums[0] / seen), float(sums[1] / seen)
        row = {"epoch": epoch, "train_loss": data_loss + pen, "data_loss": data_loss, "penalty": pen}
        row.update(self.evaluate(X_val, y_val, prefix="val_"))
        if classes:
            row["train_acc"] = float(sums[2] / seen)
        else:
            row["train_r2"] = float(1 - sums[2] / y_var_sum) if y_var_sum > 0 else float("nan")
        row["lr"] = self.optimizer.lr
        row["seconds"] = time.perf_counter() - started
        row["layers"] = self.model.layer_norms()
        return row

    def evaluate(self, X, y, prefix: str = "") -> dict:
        """Data loss and accuracy or R² in evaluation mode (no dropout, no penalty)."""
        if len(X) == 0:
            return {f"{prefix}loss": float("nan"),
                    f"{prefix}{'acc' if self.task == 'classification' else 'r2'}": float("nan")}
        out = self.model.outputs(X)
        result = {f"{prefix}loss": self.loss.value(out, y)}
        if self.task == "classification":
            result[f"{prefix}acc"] = accuracy(out, y)
        else:
            result[f"{prefix}r2"] = r2_score(out, y)
        return result
