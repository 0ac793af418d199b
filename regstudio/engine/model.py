"""Sequential model: layers built from a config list, parameters in one flat buffer.

All parameters live in one float32 vector (weights of every layer first, then the
biases) and all gradients in another of the same layout; layers hold views. The
optimizer and the penalties then work on a few long vectors instead of many
small arrays, and "every weight" is one contiguous slice.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import numpy as np

from ..options import Option, validate
from .activations import ACTIVATIONS, get_activation
from .layers import DTYPE, LAYER_TYPES, Conv2D, Dense, Dropout, Layer, MaxPool2D

_PENALTY_HELP = "Per-layer override of the global {name} strength (empty = use the global value)."
_ACT = Option("relu", "choice", choices=tuple(ACTIVATIONS), help="Non-linearity after the layer.")
_OVERRIDES = {
    "l1": Option(None, "float", 0.0, 10.0, help=_PENALTY_HELP.format(name="L1"), log=True, nullable=True),
    "l2": Option(None, "float", 0.0, 10.0, help=_PENALTY_HELP.format(name="L2"), log=True, nullable=True),
}

LAYER_OPTIONS: dict[str, dict[str, Option]] = {
    "dense": {
        "units": Option(64, "int", 1, 8192, help="Number of neurons.", nullable=True),
        "activation": _ACT,
        **_OVERRIDES,
    },
    "conv2d": {
        "filters": Option(16, "int", 1, 1024, help="Number of feature maps (kernels)."),
        "kernel": Option(3, "int", 1, 11, help="Kernel height and width."),
        "stride": Option(1, "choice", choices=(1, 2), help="Step between kernel positions."),
        "padding": Option("same", "choice", choices=("same", "valid"),
                          help="'same' keeps the size (zero border); 'valid' shrinks it."),
        "activation": _ACT,
        **_OVERRIDES,
    },
    "maxpool2d": {"size": Option(2, "int", 2, 4, help="Window and stride of the pooling.")},
    "flatten": {},
    "dropout": {
        "rate": Option(0.25, "float", 0.0, 0.95,
                       help="Share of units dropped at random in each training step."),
    },
}


class ModelSpecError(ValueError):
    """A layer list that cannot be built; the message names the layer."""


# Size limits of a built model (docs/limits.md), checked from the layer shapes before anything
# is allocated: memory for the parameters (with their gradients and Adam's two moments, 16
# bytes each), the work of one sample, and the layer outputs one batch holds.
MAX_PARAMS = 100_000_000
MAX_MACS_PER_SAMPLE = 1_000_000_000  # multiply-adds of one sample's forward pass
MAX_BATCH_VALUES = 2**28  # layer outputs of one batch: 1 GiB of float32
EVAL_BATCH = 256  # samples per evaluation chunk (Sequential.outputs): one size, one set of work buffers


def check_size(layers: list[Layer], batch_size: int = EVAL_BATCH) -> None:
    """Refuse built (not yet allocated) ``layers`` beyond the limits above with a
    ModelSpecError naming the layer at which a limit is crossed."""
    params = macs = values = 0
    batch = max(int(batch_size), EVAL_BATCH)
    for i, layer in enumerate(layers):
        key = f"model.layers[{i}] ({layer.kind})"
        n = sum(math.prod(shape) for shape in layer.param_shapes.values())
        params += n
        if params > MAX_PARAMS:
            raise ModelSpecError(f"{key}: the model would hold {params:,} parameters up to this layer, more "
                                 f"than the limit of {MAX_PARAMS:,} (see docs/limits.md); use fewer units "
                                 "or filters, or a max-pool or a stride of 2 before this layer")
        if "W" in layer.param_shapes:
            pixels = math.prod(layer.output_shape[:-1]) if len(layer.output_shape) == 3 else 1
            macs += pixels * math.prod(layer.param_shapes["W"])
            if macs > MAX_MACS_PER_SAMPLE:
                raise ModelSpecError(f"{key}: one sample would take {macs:,} multiply-adds up to this layer, "
                                     f"more than the limit of {MAX_MACS_PER_SAMPLE:,} (see docs/limits.md); "
                                     "use fewer or smaller filters, or pool earlier")
        values += math.prod(layer.output_shape)
        if values * batch > MAX_BATCH_VALUES:
            raise ModelSpecError(f"{key}: the layer outputs of a batch of {batch:,} samples would take "
                                 f"{values * batch * 4 / 2**20:,.0f} MB up to this layer, more than the "
                                 f"limit of {MAX_BATCH_VALUES * 4 // 2**20:,} MB (see docs/limits.md); use "
                                 "smaller layers" + (" or a smaller training.batch_size"
                                                     if batch > EVAL_BATCH else ""))


@dataclass(frozen=True)
class LayerInfo:
    index: int
    type: str
    output_shape: tuple[int, ...] | None
    n_params: int
    error: str | None = None


def _normalize_layer(i: int, spec, n_outputs: int | None, is_last: bool) -> dict:
    """Validate one layer dict against LAYER_OPTIONS; settle the output layer's size
    (left open when ``n_outputs`` is None, i.e. before the data is known)."""
    key = f"model.layers[{i}]"
    kind = spec.get("type") if isinstance(spec, dict) else spec
    if not isinstance(spec, dict) or not isinstance(kind, str) or kind not in LAYER_OPTIONS:
        raise ModelSpecError(f"{key}.type must be one of {', '.join(LAYER_OPTIONS)} (got {kind!r})")
    body = {k: v for k, v in spec.items() if k != "type"}
    try:
        out = {"type": spec["type"], **validate(body, LAYER_OPTIONS[spec["type"]], f"{key}.")}
    except ValueError as exc:
        raise ModelSpecError(str(exc)) from None
    if not is_last:
        if out["type"] == "dense" and out["units"] is None:
            raise ModelSpecError(f"{key}.units: only the output layer may leave units out")
        return out
    if out["type"] != "dense":
        raise ModelSpecError(f"{key}: the last layer must be a dense output layer, got {out['type']}")
    if "activation" not in spec:
        out["activation"] = "linear"
    if spec.get("units") is None:
        out["units"] = n_outputs
    elif n_outputs is not None and out["units"] != n_outputs:
        raise ModelSpecError(
            f"{key}.units: the output layer must have {n_outputs} units to match the data, "
            f"got {out['units']}"
        )
    return out


def normalized_layers(layers: list[dict], n_outputs: int | None) -> list[dict]:
    """Validated copies of the layer dicts, defaults filled; raises ModelSpecError naming the layer."""
    if not isinstance(layers, list) or not layers:
        raise ModelSpecError("model.layers: needs at least one layer (the dense output layer)")
    last = len(layers) - 1
    return [_normalize_layer(i, spec, n_outputs, i == last) for i, spec in enumerate(layers)]


def _make_layer(spec: dict, name: str, dropout_scaling: str) -> Layer:
    kind = spec["type"]
    if kind == "dense":
        return Dense(spec["units"], spec["activation"], name=name)
    if kind == "conv2d":
        return Conv2D(spec["filters"], spec["kernel"], spec["stride"], spec["padding"],
                      spec["activation"], name=name)
    if kind == "dropout":
        return Dropout(spec["rate"], dropout_scaling, name=name)
    if kind == "maxpool2d":
        return LAYER_TYPES[kind](spec["size"], name=name)
    return LAYER_TYPES[kind](name=name)


def describe_layers(layers: list[dict], input_shape: tuple, n_outputs: int) -> list[LayerInfo]:
    """Output shape and parameter count of each layer, or the reason it cannot be built.

    Never raises: a layer that fails carries ``error`` and the layers after it
    have no shape. The GUI shows this as the user types.
    """
    infos: list[LayerInfo] = []
    built: list[Layer] = []
    shape: tuple | None = tuple(input_shape)
    for i, spec in enumerate(layers):
        kind = spec.get("type", "?") if isinstance(spec, dict) else "?"
        if shape is None:
            infos.append(LayerInfo(i, kind, None, 0, None))
            continue
        try:
            full = _normalize_layer(i, spec, n_outputs, i == len(layers) - 1)
            layer = _make_layer(full, kind, "inverted")
            shape = layer.build(shape)
            built.append(layer)
            check_size(built)
            n = sum(math.prod(s) for s in layer.param_shapes.values())
            infos.append(LayerInfo(i, kind, tuple(shape), n, None))
        except ValueError as exc:
            message = str(exc).removeprefix(f"model.layers[{i}].").removeprefix(f"model.layers[{i}] ({kind}): ")
            infos.append(LayerInfo(i, kind, None, 0, message))
            shape = None
    return infos


def _fuse_convolution_and_pooling(layers: list[Layer]) -> None:
    """Convolution + max-pool: the convolution writes its pixels window by window, so
    the pool reduces contiguous blocks; with a ReLU convolution and a 2x2 pool the
    ReLU runs after pooling, on a quarter of the elements (they commute exactly, values
    and gradients alike)."""
    for conv, pool in zip(layers, layers[1:], strict=False):
        if isinstance(conv, Conv2D) and isinstance(pool, MaxPool2D):
            conv.pool_window, pool.window_major = pool.size, True
            if conv.activation_name == "relu" and pool.size == 2:
                conv.activation = get_activation("linear")
                pool.relu_after = True


class Sequential:
    """A stack of layers trained end to end.

    Build one with :meth:`from_config`; ``params``/``grads`` are the flat buffers,
    ``weights`` the slice of ``params`` holding every layer's ``W``. ``fuse=False``
    keeps every layer on its own (the fused model computes the same numbers faster).
    """

    def __init__(self, layers: list[Layer], input_shape: tuple, seed: int = 0,
                 layer_specs: list[dict] | None = None, dtype=DTYPE, fuse: bool = True):
        self.layers = layers
        self.dtype = np.dtype(dtype).type
        self.head = lambda outputs: outputs
        for layer in layers:
            layer.dtype = self.dtype
        self.input_shape = tuple(input_shape)
        self.layer_specs = layer_specs or [layer.get_config() for layer in layers]
        rng = np.random.default_rng(seed)
        shape = self.input_shape
        for layer in layers:
            shape = layer.build(shape)
        self.output_shape = shape
        if fuse:
            _fuse_convolution_and_pooling(layers)
        first_with_params = next((i for i, lay in enumerate(layers) if lay.param_shapes), len(layers))
        for i, layer in enumerate(layers):
            layer.needs_input_grad = i > first_with_params
        self._allocate(rng)
        for layer in layers:
            if isinstance(layer, Dropout):
                layer.rng = np.random.default_rng(rng.integers(2**63))
        self.dropout_rng = rng

    @classmethod
    def from_config(cls, layers: list[dict], input_shape: tuple, n_outputs: int, seed: int = 0,
                    dropout_scaling: str = "inverted", dtype=DTYPE, fuse: bool = True,
                    batch_size: int = EVAL_BATCH) -> Sequential:
        """Build from layer dicts; ModelSpecError names a layer that cannot be built or takes
        the model beyond :func:`check_size`'s limits (with batches of ``batch_size``)."""
        specs = normalized_layers(layers, n_outputs)
        built, counts = [], {}
        for i, spec in enumerate(specs):
            k = counts[spec["type"]] = counts.get(spec["type"], -1) + 1
            built.append(_make_layer(spec, f"{spec['type']}_{k}", dropout_scaling))
            try:
                shape = built[-1].build(input_shape if i == 0 else built[-2].output_shape)
                built[-1].output_shape = shape
            except ValueError as exc:
                raise ModelSpecError(f"model.layers[{i}]: {exc}") from None
        check_size(built, batch_size)
        return cls(built, input_shape, seed, specs, dtype, fuse)

    def _allocate(self, rng: np.random.Generator) -> None:
        entries = [(layer, key) for layer in self.layers for key in layer.weight_keys]
        n_weights = sum(math.prod(layer.param_shapes[k]) for layer, k in entries)
        entries += [(layer, key) for layer in self.layers for key in layer.param_shapes
                    if key not in layer.weight_keys]
        total = sum(math.prod(layer.param_shapes[k]) for layer, k in entries)
        self.params = np.zeros(total, self.dtype)
        self.grads = np.zeros(total, self.dtype)
        self.weights = slice(0, n_weights)
        self.slices: dict[str, slice] = {}
        initial = {id(layer): layer.initial_params(rng) for layer in self.layers}
        offset = 0
        for layer, key in entries:
            shape = layer.param_shapes[key]
            size = math.prod(shape)
            part = slice(offset, offset + size)
            layer.params[key] = self.params[part].reshape(shape)
            layer.grads[key] = self.grads[part].reshape(shape)
            layer.params[key][...] = initial[id(layer)][key]
            self.slices[f"{layer.name}.{key}"] = part
            offset += size

    # -- running ------------------------------------------------------------------------
    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        for layer in self.layers:
            x = layer.forward(x, training)
        return x

    def backward(self, dy: np.ndarray) -> None:
        for layer in reversed(self.layers):
            dy = layer.backward(dy)
            if dy is None:
                break

    def outputs(self, X: np.ndarray, batch_size: int = EVAL_BATCH) -> np.ndarray:
        """Raw outputs (logits or values) in evaluation mode, as a new array.

        Evaluated in chunks of one size, the last one padded with zero rows: the layers keep
        one set of work buffers for evaluation whatever the number of rows (a new size would
        allocate, and hold the GIL, for a fresh convolution plan each time)."""
        n = len(X)
        out = np.empty((n, *self.output_shape), self.dtype)
        for i in range(0, n, batch_size):
            chunk = X[i : i + batch_size]
            if len(chunk) < batch_size:
                padded = np.zeros((batch_size, *X.shape[1:]), X.dtype)
                padded[: len(chunk)] = chunk
                out[i:] = self.forward(padded, training=False)[: len(chunk)]
            else:
                out[i : i + batch_size] = self.forward(chunk, training=False)
        return out

    def predict(self, X: np.ndarray, batch_size: int = EVAL_BATCH) -> np.ndarray:
        """What a user reads: class probabilities or regression values (standardized units).

        ``head`` maps raw outputs through the loss's link (softmax, sigmoid); the
        builder sets it from the loss, the default is the identity.
        """
        return self.head(self.outputs(X, batch_size))

    # -- weights ------------------------------------------------------------------------
    def parameters(self) -> list[tuple[str, np.ndarray]]:
        """(name, view) of every parameter, e.g. ``("dense_0.W", array)``."""
        return [(name, self.params[part].reshape(self.param_shape(name)))
                for name, part in self.slices.items()]

    def param_shape(self, name: str) -> tuple[int, ...]:
        layer_name, key = name.rsplit(".", 1)
        return next(layer for layer in self.layers if layer.name == layer_name).param_shapes[key]

    def get_weights(self) -> dict[str, np.ndarray]:
        """A copy of every parameter by name."""
        return {name: view.copy() for name, view in self.parameters()}

    def set_weights(self, weights: dict[str, np.ndarray]) -> None:
        missing = set(self.slices) - set(weights)
        if missing:
            raise ValueError(f"weights missing for {', '.join(sorted(missing))}")
        for name, part in self.slices.items():
            value = np.asarray(weights[name], dtype=self.dtype)
            if value.shape != self.param_shape(name):
                raise ValueError(f"{name}: expected shape {self.param_shape(name)}, got {value.shape}")
            self.params[part] = value.reshape(-1)

    def replica(self, seed: int) -> Sequential:
        """A twin that shares this model's parameters (same flat buffer) but has its own
        gradients, work buffers and dropout streams: the trainer runs one per batch part."""
        twin = copy.copy(self)
        twin.layers = []
        for layer in self.layers:
            clone = copy.copy(layer)
            clone.params, clone.grads, clone._buffers = {}, {}, {}
            twin.layers.append(clone)
        twin.grads = np.zeros_like(self.grads)
        by_name = {layer.name: layer for layer in twin.layers}
        for name, part in self.slices.items():
            layer_name, key = name.rsplit(".", 1)
            shape = self.param_shape(name)
            by_name[layer_name].params[key] = self.params[part].reshape(shape)
            by_name[layer_name].grads[key] = twin.grads[part].reshape(shape)
        for i, (_index, layer) in enumerate(twin.dropout_layers()):
            layer.rng = np.random.default_rng([seed, i])
        return twin

    def n_params(self) -> int:
        return int(self.params.size)

    def dropout_layers(self) -> list[tuple[int, Dropout]]:
        return [(i, layer) for i, layer in enumerate(self.layers) if isinstance(layer, Dropout)]

    def layer_norms(self) -> list[dict]:
        """L1 and L2 norms and sparsity (share of |w| < 1e-3) of each layer's weights."""
        rows = []
        for layer in self.layers:
            if "W" not in layer.params:
                continue
            w = layer.params["W"]
            rows.append({
                "name": layer.name,
                "l1_norm": float(np.abs(w).sum(dtype=np.float64)),
                "l2_norm": float(np.sqrt(np.dot(w.ravel(), w.ravel()).astype(np.float64))),
                "sparsity": float(np.count_nonzero(np.abs(w) < 1e-3) / w.size),
            })
        return rows
