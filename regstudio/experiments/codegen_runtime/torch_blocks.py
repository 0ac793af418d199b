"""The PyTorch script's parts: helper layers, the model, penalty plumbing, loss and score, the
optimizer, early stopping, the augmenting batch maker, evaluation and ``main()``.

Run as it is, the module is the script of a small regression experiment (its placeholder
settings below); set the flags another way and it is the script of that experiment.
"""

# --- export: imports ---
import argparse  # noqa: F401 (the script's main() uses it, here through parse_arguments)
import json  # noqa: F401 (the script's CONFIG reads with it)
import os  # noqa: F401 (likewise)

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

# --- end ---
from .data import BATCH_SIZE, FLIPS, INPUT_SHAPE, LR, SEED, load_data, parse_arguments, set_up_pipeline

# How this module runs (the generator sets these for each experiment and keeps only the
# branches they choose): a regression network, Adam, L2, early stopping, no augmentation.
REGRESSION, CROSS_ENTROPY, SIGMOID_BCE = True, False, False
HAS_L1, HAS_L2, PROXIMAL_L1, PENALIZED = False, True, False, True
USE_SGD, USE_ADAM, DECAY_BIASES = False, True, True
MOMENTUM, NESTEROV, WEIGHT_DECAY = 0.9, False, 0.0
AUGMENT, EARLY_STOPPING = False, True
ES_MONITOR, ES_MIN_DELTA, ES_PATIENCE, ES_MODE = "val_loss", 0.0, 5, "min"
ES_BASELINE, ES_RESTORE, ES_START = None, True, 0
Y_DTYPE, METRIC, VAL_SCORE = torch.float32, "r2", "val_r2"
HE_LAYERS, GLOROT_LAYERS, WEIGHTED_LAYERS = (), (0,), (0,)


def model_layers():  # the experiment's layers, written out in the script
    return [nn.Linear(2, 1)]


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


# --- export: build_model ---
def build_model():
    """The network, layer for layer as configured in Regularization Studio."""
    model = nn.Sequential(
        *model_layers(),
    )
    if HE_LAYERS:
        for i in HE_LAYERS:  # before ReLU-type activations: He normal
            nn.init.kaiming_normal_(model[i].weight, nonlinearity="relu")
    if GLOROT_LAYERS:
        for i in GLOROT_LAYERS:  # before other activations: Glorot uniform
            nn.init.xavier_uniform_(model[i].weight)
    for i in WEIGHTED_LAYERS:
        nn.init.zeros_(model[i].bias)
    return model


# --- export: penalties ---
# (index in the model, L1 alpha, L2 alpha) of each layer with weights; the global
# strengths, or the layer's own where it overrides them.
PENALTIES = [(0, 0.0, 1e-3)]
PENALIZE_BIAS = False


# --- export: penalized ---
def penalized(model):
    """(tensor, l1, l2) for every penalized tensor."""
    for i, l1, l2 in PENALTIES:
        yield model[i].weight, l1, l2
        if PENALIZE_BIAS:
            yield model[i].bias, l1, l2


# --- export: penalty ---
def penalty(model):
    """(the penalty alpha*sum|w| + alpha*sum(w**2), the part whose gradient backprop takes)."""
    total = grad_part = 0.0
    for w, l1, l2 in penalized(model):
        if HAS_L2:
            if l2:
                term = l2 * w.pow(2).sum()
                total, grad_part = total + term.detach(), grad_part + term
        if PROXIMAL_L1:
            if l1:  # proximal: no gradient, see soft_threshold()
                total = total + l1 * w.detach().abs().sum()
        elif HAS_L1:
            if l1:  # subgradient: autograd gives l1 * sign(w)
                term = l1 * w.abs().sum()
                total, grad_part = total + term.detach(), grad_part + term
    return total, grad_part


# --- export: soft_threshold ---
@torch.no_grad()
def soft_threshold(model, lr):
    """Proximal L1 step after each update: w = sign(w) * max(|w| - lr*alpha, 0)."""
    for w, l1, _ in penalized(model):
        if l1:
            w.copy_(w.sign() * (w.abs() - lr * l1).clamp(min=0))


# --- export: data_loss ---
def data_loss(outputs, y):
    if CROSS_ENTROPY:
        return F.cross_entropy(outputs, y)  # softmax cross-entropy, batch mean
    elif SIGMOID_BCE:
        return F.binary_cross_entropy_with_logits(outputs[:, 0], y.float())
    else:
        return F.mse_loss(outputs, y)  # mean over all elements, like Keras' mse


# --- export: score ---
if REGRESSION:
    def score(outputs, y):
        """R^2 = 1 - SSE / SST."""
        sst = (y - y.mean(0)).pow(2).sum().item()
        sse = (y - outputs).pow(2).sum().item()
        return 1 - sse / sst if sst > 0 else float("nan")
else:
    def score(outputs, y):
        """Accuracy."""
        if SIGMOID_BCE:
            return ((outputs[:, 0] > 0).long() == y).float().mean().item()
        else:
            return (outputs.argmax(1) == y).float().mean().item()


# --- export: make_optimizer ---
def make_optimizer(model):
    if USE_SGD:
        return torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM, nesterov=NESTEROV)
    elif USE_ADAM:
        return torch.optim.Adam(model.parameters(), lr=LR, betas=(0.9, 0.999), eps=1e-8)
    elif DECAY_BIASES:
        return torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=WEIGHT_DECAY)
    else:
        # decoupled weight decay on the weights only; biases are not decayed
        weights = [p for name, p in model.named_parameters() if name.endswith("weight")]
        biases = [p for name, p in model.named_parameters() if not name.endswith("weight")]
        return torch.optim.AdamW([{"params": weights, "weight_decay": WEIGHT_DECAY},
                                  {"params": biases, "weight_decay": 0.0}], lr=LR)


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
        set_up_pipeline(self)  # export: data.set_up_pipeline

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


# --- export: main ---
def main():
    args = parse_arguments()  # export: data.arguments
    torch.manual_seed(SEED)
    data = load_data(args.data)
    X, y = (torch.as_tensor(np.asarray(a), dtype=t) for a, t in
            zip(data["train"], (torch.float32, Y_DTYPE)))
    X_val, y_val = (torch.as_tensor(np.asarray(a), dtype=t) for a, t in
                    zip(data["val"], (torch.float32, Y_DTYPE)))
    if tuple(X.shape[1:]) != INPUT_SHAPE:
        raise SystemExit(f"the data have samples of shape {tuple(X.shape[1:])}, the model expects "
                         f"{INPUT_SHAPE}")
    model = build_model()
    optimizer = make_optimizer(model)
    if AUGMENT:
        augment = Augment(data)
    if EARLY_STOPPING:
        stopper = EarlyStopping(ES_MONITOR, min_delta=ES_MIN_DELTA, patience=ES_PATIENCE, mode=ES_MODE,
                                baseline=ES_BASELINE, restore_best_weights=ES_RESTORE, start_from_epoch=ES_START)
    shuffle = torch.Generator().manual_seed(SEED)
    for epoch in range(1, args.epochs + 1):
        model.train()
        total, seen = 0.0, 0
        for idx in torch.randperm(len(X), generator=shuffle).split(BATCH_SIZE):
            if AUGMENT:
                xb = augment(X[idx], idx)
            else:
                xb = X[idx]
            loss = data_loss(model(xb), y[idx])
            if PENALIZED:
                pen, pen_grad = penalty(model)
                optimizer.zero_grad()
                (loss + pen_grad).backward()
                optimizer.step()
                if PROXIMAL_L1:
                    soft_threshold(model, LR)
                total += (loss.item() + float(pen)) * len(idx)
            else:
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                total += loss.item() * len(idx)
            seen += len(idx)
        val_loss, val_score = evaluate(model, X_val, y_val)
        logs = {"train_loss": total / seen, "val_loss": val_loss, VAL_SCORE: val_score}
        print(f"epoch {epoch:4d}  " + "  ".join(f"{k} {v:.4f}" for k, v in logs.items()), flush=True)
        if not np.isfinite(logs["train_loss"]):
            print("diverged: the loss is not finite; lower the learning rate or the penalty")
            break
        if EARLY_STOPPING:
            if stopper.should_stop(epoch, logs, model):
                print(f"early stopping at epoch {epoch} (best epoch {stopper.best_epoch})")
                break
    if EARLY_STOPPING:
        stopper.finish(model)
    val_loss, val_score = evaluate(model, X_val, y_val)
    print(f"final val_loss {val_loss:.4f}  val_{METRIC} {val_score:.4f}")
    if len(data["test"][0]):
        X_test, y_test = (torch.as_tensor(np.asarray(a), dtype=t) for a, t in
                          zip(data["test"], (torch.float32, Y_DTYPE)))
        test_loss, test_score = evaluate(model, X_test, y_test)
        print(f"test  test_loss {test_loss:.4f}  test_{METRIC} {test_score:.4f}")
    return model


if __name__ == "__main__":
    main()
