"""The PyTorch script's static parts: helper layers, penalty plumbing, the R² score, early
stopping, the augmenting batch maker and evaluation."""

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

SEED = 0  # the experiment's settings, in the scripts
PENALTIES = [(0, 0.0, 1e-3)]  # (index in the model, L1 alpha, L2 alpha)
PENALIZE_BIAS = False
FLIPS = [("hflip", 0.5)]  # (op, probability)
OTHER_OPS = [{"op": "rotate", "degrees": 10.0, "p": 1.0}]


def data_loss(outputs, y):  # the scripts write the experiment's own loss (here: regression's)
    return F.mse_loss(outputs, y)


# --- export: ToNCHW ---
class ToNCHW(nn.Module):
    """(N, H, W, C) images, as Regularization Studio stores them -> (N, C, H, W) for nn.Conv2d."""

    def forward(self, x):
        return x.permute(0, 3, 1, 2)


# --- export: KeepProbabilityDropout ---
class KeepProbabilityDropout(nn.Module):
    """Dropout as in the original paper (Srivastava et al., 2014): training drops units
    without rescaling the kept ones; evaluation multiplies by 1 - rate. nn.Dropout is the
    "inverted" form (kept units x 1/(1-rate) while training); both have the same mean."""

    def __init__(self, rate):
        super().__init__()
        self.rate = rate

    def forward(self, x):
        if self.training:
            return x * (torch.rand_like(x) >= self.rate)
        return x * (1.0 - self.rate)


# --- export: penalized ---
def penalized(model):
    """(tensor, l1, l2) for every penalized tensor."""
    for i, l1, l2 in PENALTIES:
        yield model[i].weight, l1, l2
        if PENALIZE_BIAS:
            yield model[i].bias, l1, l2


# --- export: soft_threshold ---
@torch.no_grad()
def soft_threshold(model, lr):
    """Proximal L1 step after each update: w = sign(w) * max(|w| - lr*alpha, 0)."""
    for w, l1, _ in penalized(model):
        if l1:
            w.copy_(w.sign() * (w.abs() - lr * l1).clamp(min=0))


# --- export: score_r2 ---
def score(outputs, y):
    """R^2 = 1 - SSE / SST."""
    sst = (y - y.mean(0)).pow(2).sum().item()
    sse = (y - outputs).pow(2).sum().item()
    return 1 - sse / sst if sst > 0 else float("nan")


# --- export: EarlyStopping ---
class EarlyStopping:
    """Keras' EarlyStopping rules, epochs numbered from 1: an improvement is a change
    larger than min_delta in the right direction (and beating baseline, if set, resets
    the wait); stop after patience epochs without one; ignore the first
    start_from_epoch epochs; restore_best_weights puts back the best epoch's weights."""

    def __init__(self, monitor, min_delta, patience, mode, baseline, restore_best_weights,
                 start_from_epoch):
        self.monitor, self.min_delta, self.patience = monitor, abs(min_delta), patience
        self.mode, self.baseline, self.restore = mode, baseline, restore_best_weights
        self.start_from_epoch = start_from_epoch
        self.best = float("inf") if mode == "min" else -float("inf")
        self.best_epoch, self.best_state, self.wait = 0, None, 0

    def improves(self, value, reference):
        if self.mode == "min":
            return value + self.min_delta < reference
        return value - self.min_delta > reference

    def should_stop(self, epoch, logs, model):
        current = logs[self.monitor]
        if epoch <= self.start_from_epoch:
            return False
        if self.restore and self.best_state is None:
            self.best_state, self.best_epoch = snapshot(model), epoch
        self.wait += 1
        if self.improves(current, self.best):
            self.best, self.best_epoch = current, epoch
            if self.restore:
                self.best_state = snapshot(model)
            if self.baseline is None or self.improves(current, self.baseline):
                self.wait = 0
            return False
        return self.wait >= self.patience and epoch > 1

    def finish(self, model):
        if self.restore and self.best_state is not None:
            model.load_state_dict(self.best_state)
            print(f"restored the weights of epoch {self.best_epoch}")


def snapshot(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


# --- export: Augment ---
class Augment:
    """Makes a training batch: augmented images, standardized, as a tensor."""

    def __init__(self, data):
        self.images, self.to_X, self.pipeline = data["images"], data["to_X"], None
        self.rng = np.random.default_rng(SEED)
        if OTHER_OPS and self.images is not None:
            from regstudio.data import Pipeline
            self.pipeline = Pipeline.from_config({"enabled": True, "ops": OTHER_OPS})
        elif OTHER_OPS:
            names = ", ".join(op["op"] for op in OTHER_OPS)
            print(f"note: augmentation {names} skipped (needs regstudio and its uint8 images)")

    def __call__(self, x, idx):
        if self.pipeline is not None:
            images = self.pipeline(self.images[idx.numpy()], self.rng)
            x = torch.from_numpy(self.to_X(images))
        else:
            x = x.clone()
        for op, p in FLIPS:  # NHWC: width is axis 2, height axis 1
            chosen = torch.rand(len(x)) < p
            x[chosen] = x[chosen].flip(2 if op == "hflip" else 1)
        return x


# --- export: evaluate ---
@torch.no_grad()
def evaluate(model, X, y):
    """Data loss (no penalty) and score in evaluation mode (no dropout)."""
    model.eval()
    if len(X) == 0:
        return float("nan"), float("nan")
    outputs = torch.cat([model(X[i:i + 1024]) for i in range(0, len(X), 1024)])
    return data_loss(outputs, y).item(), score(outputs, y)
