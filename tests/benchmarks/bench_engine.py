"""Engine speed against PyTorch on the CPU, measured interleaved in one process.

    python tests/benchmarks/bench_engine.py [--threads N] [--rounds R]

(a) MLP 784-256-256-10, ReLU, batch 128, SGD momentum, L2 1e-4, dropout 0.25
(b) the same without regularization
(c) small CNN on 28x28x1: Conv(16,3,same)-ReLU-Pool2-Conv(32,3,same)-ReLU-Pool2-Dense(128)-
    Dropout(0.25)-Dense(10), batch 64
Prints samples/s for each engine and the ratio regstudio/PyTorch (> 1: we are faster), and
the MLP step time against the bare matrix products it contains.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from regstudio.engine import SGD, Sequential, SoftmaxCrossEntropy, Trainer, set_threads

MLP = [{"type": "dense", "units": 256, "activation": "relu"}, {"type": "dropout", "rate": 0.25},
       {"type": "dense", "units": 256, "activation": "relu"}, {"type": "dropout", "rate": 0.25},
       {"type": "dense"}]
CNN = [{"type": "conv2d", "filters": 16, "kernel": 3}, {"type": "maxpool2d"},
       {"type": "conv2d", "filters": 32, "kernel": 3}, {"type": "maxpool2d"},
       {"type": "dense", "units": 128, "activation": "relu"}, {"type": "dropout", "rate": 0.25},
       {"type": "dense"}]

CASES = {
    "a: MLP + L2 + dropout": dict(layers=MLP, shape=(784,), batch=128, l2=1e-4, dropout=True, n=8192),
    "b: MLP plain": dict(layers=MLP, shape=(784,), batch=128, l2=0.0, dropout=False, n=8192),
    "c: small CNN": dict(layers=CNN, shape=(28, 28, 1), batch=64, l2=0.0, dropout=True, n=2048),
}


def _layers(case):
    if case["dropout"]:
        return case["layers"]
    return [spec for spec in case["layers"] if spec["type"] != "dropout"]


def ours(case, X, y):
    from regstudio.experiments.build import parallelism  # the same choice the app makes

    model = Sequential.from_config(_layers(case), case["shape"], 10, seed=0)
    trainer = Trainer(model, SoftmaxCrossEntropy(), SGD(0.01, momentum=0.9), l2=case["l2"],
                      batch_size=case["batch"], epochs=1, seed=0, **parallelism(_layers(case)))
    empty = X[:0], y[:0]

    def epoch():
        trainer.fit(X, y, *empty)
    return epoch


def theirs(case, X, y):
    import torch

    nn = torch.nn
    mods = []
    if case["shape"] == (784,):
        mods = [nn.Linear(784, 256), nn.ReLU()]
        if case["dropout"]:
            mods.append(nn.Dropout(0.25))
        mods += [nn.Linear(256, 256), nn.ReLU()]
        if case["dropout"]:
            mods.append(nn.Dropout(0.25))
        mods.append(nn.Linear(256, 10))
        Xt = torch.from_numpy(X)
    else:
        mods = [nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                nn.Linear(32 * 7 * 7, 128), nn.ReLU(), nn.Dropout(0.25), nn.Linear(128, 10)]
        Xt = torch.from_numpy(np.ascontiguousarray(X.transpose(0, 3, 1, 2)))
    net = nn.Sequential(*mods)
    yt = torch.from_numpy(y)
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    weights = [m.weight for m in net if isinstance(m, (nn.Linear, nn.Conv2d))]
    gen = torch.Generator().manual_seed(0)

    def epoch():
        net.train()
        order = torch.randperm(len(Xt), generator=gen)
        for start in range(0, len(Xt), case["batch"]):
            idx = order[start : start + case["batch"]]
            opt.zero_grad(set_to_none=True)
            loss = nn.functional.cross_entropy(net(Xt[idx]), yt[idx])
            if case["l2"]:
                loss = loss + case["l2"] * sum((w * w).sum() for w in weights)
            loss.backward()
            opt.step()
    return epoch


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def interleaved(runners: dict, rounds: int) -> dict:
    """Best time of each runner over ``rounds`` rounds that take every runner in turn."""
    best = {k: float("inf") for k in runners}
    for _ in range(rounds):
        for k, fn in runners.items():
            best[k] = min(best[k], timed(fn))
    return best


def matmul_floor(case, X):
    """Time of the bare matrix products of one MLP epoch: 3 per dense layer (forward, dW, dx)."""
    rng = np.random.default_rng(0)
    sizes = [784, 256, 256, 10]
    Ws = [rng.standard_normal((a, b)).astype(np.float32) for a, b in zip(sizes, sizes[1:], strict=False)]
    b = case["batch"]
    acts = [np.empty((b, s), np.float32) for s in sizes]
    acts[0][...] = X[:b]

    def epoch():
        for _ in range(len(X) // b):
            for i, W in enumerate(Ws):
                np.matmul(acts[i], W, out=acts[i + 1])
            for i, W in reversed(list(enumerate(Ws))):
                acts[i].T @ acts[i + 1]
                if i:
                    acts[i + 1] @ W.T
    return epoch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    threads = set_threads(args.threads)
    try:
        import torch

        torch.set_num_threads(threads)
    except ImportError:
        torch = None
        print("PyTorch not installed: printing regstudio's numbers only")
    rng = np.random.default_rng(0)
    print(f"threads: {threads}; best of {args.rounds} interleaved epochs")
    for name, case in CASES.items():
        X = rng.standard_normal((case["n"], *case["shape"])).astype(np.float32)
        y = rng.integers(0, 10, case["n"]).astype(np.int64)
        runners = {"regstudio": ours(case, X, y)}
        if torch is not None:
            runners["pytorch"] = theirs(case, X, y)
        if case["shape"] == (784,):
            runners["matmuls"] = matmul_floor(case, X)
        for fn in runners.values():
            fn()  # warm-up
        best = interleaved({k: fn for k, fn in runners.items() if k != "matmuls"}, args.rounds)
        if "matmuls" in runners:
            # a loop of its own: PyTorch's OpenMP threads keep spinning for a while after its
            # epoch and would slow whatever runs next, flattering the step / matmuls ratio
            step = interleaved({k: runners[k] for k in ("regstudio", "matmuls")}, args.rounds)
        line = f"{name:24s} regstudio {case['n'] / best['regstudio']:9.0f} samples/s"
        if "pytorch" in best:
            line += (f" | pytorch {case['n'] / best['pytorch']:9.0f} samples/s"
                     f" | ratio {best['pytorch'] / best['regstudio']:.2f}x")
        if "matmuls" in runners:
            line += f" | step / bare matmuls {step['regstudio'] / step['matmuls']:.2f}"
        print(line, flush=True)


if __name__ == "__main__":
    main()
