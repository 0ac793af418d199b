"""Layers with one contract: ``forward(x, training)`` caches what ``backward(dy)`` needs;
``backward`` writes the gradients of ``params`` into ``grads`` (same keys) and returns ``dx``.

Parameters and gradients are views into the model's flat buffers (see ``model.py``),
so layers update them in place and never rebind them. Work arrays are cached per
shape, so a training loop with a fixed batch size allocates nothing per batch.
"""

from __future__ import annotations

import math

import numpy as np

from . import initializers
from .activations import get_activation
from .conv import ConvGeometry, ConvPlan, accumulate, conv_geometry, conv_plan

DTYPE = np.float32
IM2COL_PIECE_BYTES = 1 << 19  # convolutions work in pieces of this size (half a typical L2)


class Layer:
    """Base class. ``build`` returns the output shape (per sample) and declares parameters."""

    kind = "layer"

    def __init__(self, name: str = ""):
        self.name = name or self.kind
        self.param_shapes: dict[str, tuple[int, ...]] = {}
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.input_shape: tuple[int, ...] = ()
        self.output_shape: tuple[int, ...] = ()
        self.needs_input_grad = True
        self.dtype = DTYPE  # set by the model (float64 for gradient checks)
        self._buffers: dict[tuple, np.ndarray] = {}

    # -- building ---------------------------------------------------------------------
    def build(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        self.input_shape = tuple(input_shape)
        self.output_shape = self.input_shape
        return self.output_shape

    def initial_params(self, rng: np.random.Generator) -> dict[str, np.ndarray]:
        return {}

    @property
    def weight_keys(self) -> tuple[str, ...]:
        """Parameters a weight penalty applies to by default (not biases)."""
        return ("W",) if "W" in self.param_shapes else ()

    def get_config(self) -> dict:
        return {"type": self.kind}

    # -- running ----------------------------------------------------------------------
    def forward(self, x: np.ndarray, training: bool) -> np.ndarray:
        return x

    def backward(self, dy: np.ndarray) -> np.ndarray | None:
        return dy

    def _buffer(self, key: str, shape: tuple[int, ...], zero: bool = False, dtype=None) -> np.ndarray:
        """A cached work array of this shape and the layer's dtype (or ``dtype``): zeros when
        new, and zero-filled again on every call with ``zero``."""
        tag = (key, shape)
        buf = self._buffers.get(tag)
        if buf is None:
            if len(self._buffers) > 24:  # many shapes seen (e.g. varied eval sizes): start over
                self._buffers.clear()
            buf = self._buffers[tag] = np.zeros(shape, dtype or self.dtype)
        elif zero:
            buf.fill(0)
        return buf

    def _ones(self, n: int) -> np.ndarray:
        ones = self._buffers.get(("ones", n))
        if ones is None:
            ones = self._buffers[("ones", n)] = np.ones(n, self.dtype)
        return ones


class Dense(Layer):
    """Fully connected: ``a = act(x @ W + b)``; inputs with more axes are flattened per sample."""

    kind = "dense"

    def __init__(self, units: int, activation: str | None = None, name: str = ""):
        super().__init__(name)
        self.units = int(units)
        self.activation_name = activation or "linear"
        self.activation = get_activation(self.activation_name)

    def build(self, input_shape):
        self.input_shape = tuple(input_shape)
        fan_in = math.prod(self.input_shape)
        self.param_shapes = {"W": (fan_in, self.units), "b": (self.units,)}
        self.output_shape = (self.units,)
        return self.output_shape

    def initial_params(self, rng):
        fan_in, fan_out = self.param_shapes["W"]
        init = initializers.for_activation(self.activation_name)
        return {"W": init((fan_in, fan_out), fan_in, fan_out, rng), "b": np.zeros(fan_out)}

    def get_config(self):
        return {"type": self.kind, "units": self.units, "activation": self.activation_name}

    def forward(self, x, training):
        n = x.shape[0]
        x2 = x.reshape(n, -1)
        z = self._buffer("z", (n, self.units))
        np.matmul(x2, self.params["W"], out=z)
        z += self.params["b"]
        self._x, self._a = x2, self.activation.forward(z)
        return self._a

    def backward(self, dy):
        dz = self.activation.backward(self._a, dy)
        np.matmul(self._x.T, dz, out=self.grads["W"])
        np.matmul(self._ones(dz.shape[0]), dz, out=self.grads["b"])
        if not self.needs_input_grad:
            return None
        dx = self._buffer("dx", self._x.shape)
        np.matmul(dz, self.params["W"].T, out=dx)
        return dx.reshape((dx.shape[0], *self.input_shape))


class Conv2D(Layer):
    """2-D convolution on NHWC tensors via im2col; kernel ``W`` has shape ``(KH, KW, C, F)``."""

    kind = "conv2d"

    def __init__(self, filters: int, kernel: int = 3, stride: int = 1, padding: str = "same",
                 activation: str | None = "relu", name: str = ""):
        super().__init__(name)
        self.filters, self.kernel, self.stride = int(filters), int(kernel), int(stride)
        self.padding = padding
        self.activation_name = activation or "linear"
        self.activation = get_activation(self.activation_name)
        # Set by the model when a max-pool of this size follows: the output pixels are then
        # computed in window-major order, (size**2, N, OH // size, OW // size, F), so the
        # pool reduces whole contiguous blocks, and pixels the pool would drop are skipped.
        self.pool_window = 1

    def build(self, input_shape):
        if len(input_shape) != 3:
            raise ValueError(f"Conv2D needs image input (height, width, channels), got shape {input_shape}")
        self.input_shape = tuple(input_shape)
        h, w, c = input_shape
        k, s = self.kernel, self.stride
        self._oh, self._top, _ = conv_geometry(h, k, s, self.padding)
        self._ow, self._left, _ = conv_geometry(w, k, s, self.padding)
        if self._oh < 1 or self._ow < 1:
            raise ValueError(f"a {k}x{k} kernel with 'valid' padding does not fit a {h}x{w} input")
        self._hp = (self._oh - 1) * s + k
        self._wp = (self._ow - 1) * s + k
        self._hp, self._wp = max(self._hp, h + self._top), max(self._wp, w + self._left)
        self.geometry = ConvGeometry((h, w), (self._hp, self._wp), (self._top, self._left),
                                     (self._oh, self._ow), k, s, c, self.filters)
        self.param_shapes = {"W": (k, k, c, self.filters), "b": (self.filters,)}
        self.output_shape = (self._oh, self._ow, self.filters)
        return self.output_shape

    def initial_params(self, rng):
        k, c, f = self.kernel, self.input_shape[2], self.filters
        init = initializers.for_activation(self.activation_name)
        return {"W": init((k, k, c, f), k * k * c, k * k * f, rng), "b": np.zeros(f)}

    def get_config(self):
        return {"type": self.kind, "filters": self.filters, "kernel": self.kernel,
                "stride": self.stride, "padding": self.padding, "activation": self.activation_name}

    def forward(self, x, training):
        n = x.shape[0]
        f, s = self.filters, self.pool_window
        plan = self._plan(n)
        plan.x_in[...] = x  # the border stays zero
        kernel = self.kernel_matrix
        kernel[:-1] = self.params["W"].reshape(-1, f)
        kernel[-1] = self.params["b"]
        z = self._buffer("z", (plan.rows, f))
        for fields, cells, col, rows in plan.pieces:
            np.copyto(cells, fields)
            np.matmul(col, kernel, out=z[rows])
        self._plan_used, self._a = plan, self.activation.forward(z)
        blocks = self._a.reshape(s * s, n, self._oh // s, self._ow // s, f)
        return blocks[0] if s == 1 else blocks

    @property
    def kernel_matrix(self) -> np.ndarray:
        """``W`` as a (taps + 1, F) matrix with ``b`` as its last row (a work buffer)."""
        return self._buffer("kernel", (math.prod(self.param_shapes["W"][:3]) + 1, self.filters))

    def _plan(self, n: int) -> ConvPlan:
        plan = self._buffers.get(("plan", n))
        if plan is None:
            plan = self._buffers[("plan", n)] = conv_plan(self.geometry, n, self.pool_window,
                                                          self.dtype, IM2COL_PIECE_BYTES)
        return plan

    def backward(self, dy):
        k, f, s = self.kernel, self.filters, self.pool_window
        plan = self._plan_used
        dz = self.activation.backward(self._a, dy.reshape(-1, f))
        dkernel = self._buffer("dkernel", self.kernel_matrix.shape, zero=True)
        part = self._buffer("dkernel_part", dkernel.shape)
        for fields, cells, col, rows in plan.pieces:
            if not plan.kept:
                np.copyto(cells, fields)
            # np.dot, not matmul: matmul keeps the GIL when the result is small (< ~500 values),
            # which stalls the other thread during this long product.
            dkernel += np.dot(col.T, dz[rows], out=part)
        self.grads["W"].reshape(-1, f)[...] = dkernel[:-1]
        self.grads["b"][...] = dkernel[-1]
        if not self.needs_input_grad:
            return None
        if s > 1:  # window-major rows back to row-major order
            n, ph, _, pw = plan.dz_rows.shape[:4]
            np.copyto(plan.dz_rows, dz.reshape(s, s, n, ph, pw, f).transpose(2, 3, 0, 4, 1, 5))
            dz = plan.dz_rows.reshape(-1, f)
        for array in plan.zero:
            array.fill(0)
        weights = self.params["W"].reshape(k * k, *self.params["W"].shape[2:])
        for tap, out, add in plan.steps:
            np.matmul(dz, weights[tap].T, out=out)
            if add is not None:
                accumulate(*add)
        for op, dst, src in plan.finish:
            op(dst, src)
        return plan.dx


class MaxPool2D(Layer):
    """Non-overlapping max pooling (window = stride = ``size``); odd edges are dropped."""

    kind = "maxpool2d"

    def __init__(self, size: int = 2, name: str = ""):
        super().__init__(name)
        self.size = int(size)
        # Set by the model when the layer before is a ReLU convolution: max-pooling commutes
        # with ReLU, so the ReLU runs here on the 4x smaller pooled output instead.
        self.relu_after = False
        # Set by the model when a convolution feeds this pool in window-major order
        # (see Conv2D.pool_window): each window position is then one contiguous block.
        self.window_major = False

    def build(self, input_shape):
        if len(input_shape) != 3:
            raise ValueError(f"MaxPool2D needs image input (height, width, channels), got shape {input_shape}")
        h, w, c = input_shape
        if h < self.size or w < self.size:
            raise ValueError(f"a {self.size}x{self.size} pool does not fit a {h}x{w} input")
        self.input_shape = tuple(input_shape)
        self.output_shape = (h // self.size, w // self.size, c)
        return self.output_shape

    def get_config(self):
        return {"type": self.kind, "size": self.size}

    def _windows(self, x):
        """The s*s views x[:, i::s, j::s], one per offset in the window."""
        if self.window_major:
            return list(x)
        s = self.size
        oh, ow, _ = self.output_shape
        return [x[:, i : i + s * oh : s, j : j + s * ow : s, :] for i in range(s) for j in range(s)]

    def forward(self, x, training):
        views = self._windows(x)
        shape = (views[0].shape[0], *self.output_shape)
        out = self._buffer("out", shape)
        if self.size == 2:
            # Pairwise maxima; in training each pair's comparison follows its maximum while
            # the pair is still in the cache (see _remember_maxima).
            top, bottom = self._buffer("top", shape), self._buffer("bottom", shape)
            np.maximum(views[0], views[1], out=top)
            if training:
                self._right_top = np.greater(views[1], views[0], out=self._mask("right_top", shape))
            np.maximum(views[2], views[3], out=bottom)
            if training:
                self._right_bottom = np.greater(views[3], views[2], out=self._mask("right_bottom", shape))
            np.maximum(top, bottom, out=out)
            if training:
                self._remember_maxima(top, bottom, out)
            if self.relu_after:
                np.maximum(out, 0, out=out)
        else:
            np.maximum(views[0], views[1], out=out)
            for view in views[2:]:
                np.maximum(out, view, out=out)
        self._x, self._out = x, out
        return out

    def _mask(self, key: str, shape: tuple[int, ...]) -> np.ndarray:
        return self._buffer(key, shape, dtype=np.bool_)

    def _remember_maxima(self, top, bottom, out) -> None:
        """Where each 2x2 maximum came from, as boolean masks for backward: the right of the
        top pair and of the bottom pair (set by forward), and the lower pair. Strict '>'
        keeps the first maximum on ties, like argmax. With the ReLU after pooling, the
        pair masks also carry the ReLU's own mask (pooled value > 0)."""
        self._lower = np.greater(bottom, top, out=self._mask("lower", out.shape))
        self._upper = None
        if self.relu_after:
            positive = np.greater(out, 0, out=self._mask("positive", out.shape))
            self._upper = np.greater(positive, self._lower, out=self._mask("upper", out.shape))  # positive & not lower
            self._lower &= positive

    def backward(self, dy):
        n = dy.shape[0]
        s = self.size
        oh, ow, _ = self.output_shape
        h, w, _ = self.input_shape
        if self.window_major:
            dx = self._buffer("dx", (s * s, n, oh, ow, dy.shape[3]))
        else:
            dx = self._buffer("dx", (n, *self.input_shape), zero=(h, w) != (oh * s, ow * s))
        dxs = self._windows(dx)
        if s == 2:
            # Each pair's gradient is split right after it is made, while it is cached.
            lower = np.multiply(dy, self._lower, out=self._buffer("g_lower", dy.shape))
            np.multiply(lower, self._right_bottom, out=dxs[3])
            np.subtract(lower, dxs[3], out=dxs[2])
            upper = self._buffer("g_upper", dy.shape)
            if self._upper is None:
                np.subtract(dy, lower, out=upper)
            else:  # the ReLU's mask is in both pair masks
                np.multiply(dy, self._upper, out=upper)
            np.multiply(upper, self._right_top, out=dxs[1])
            np.subtract(upper, dxs[1], out=dxs[0])
            return dx
        if self.relu_after:
            np.multiply(dy, self._out > 0, out=dy)
        hit = np.empty(dy.shape, dtype=bool)
        taken = np.zeros(dy.shape, dtype=bool)
        # Each window's gradient goes to its first maximum (ties broken like argmax).
        for view, dview in zip(self._windows(self._x), dxs, strict=True):
            np.equal(view, self._out, out=hit)
            hit &= ~taken
            np.multiply(dy, hit, out=dview)
            taken |= hit
        return dx


class Flatten(Layer):
    kind = "flatten"

    def build(self, input_shape):
        self.input_shape = tuple(input_shape)
        self.output_shape = (math.prod(input_shape),)
        return self.output_shape

    def forward(self, x, training):
        return x.reshape(x.shape[0], -1)

    def backward(self, dy):
        return dy.reshape((dy.shape[0], *self.input_shape))


class Dropout(Layer):
    """Drops each unit with probability ``rate`` while training.

    ``scaling="inverted"`` multiplies kept units by ``1/(1-rate)`` in training and
    is the identity at test time (PyTorch, Keras). ``scaling="keep_probability"``
    leaves kept units alone in training and multiplies by ``1-rate`` at test time
    (Srivastava et al., 2014). Both give the same expected activation.
    """

    kind = "dropout"

    def __init__(self, rate: float = 0.5, scaling: str = "inverted", name: str = ""):
        super().__init__(name)
        if scaling not in ("inverted", "keep_probability"):
            raise ValueError(f"dropout scaling must be 'inverted' or 'keep_probability', got {scaling!r}")
        self.rate = float(rate)
        self.scaling = scaling
        self.rng = np.random.default_rng(0)

    def get_config(self):
        return {"type": self.kind, "rate": self.rate}

    def forward(self, x, training):
        p = self.rate
        self._active = training and p > 0
        if not self._active:
            if self.scaling == "keep_probability" and p > 0:
                return x * self.dtype(1 - self._quantized_rate())
            return x
        # The mask comes from raw random bits (16 per unit, so the rate is applied in steps
        # of 1/65536), several times cheaper than drawing uniform floats.
        raw = self.rng.bit_generator.random_raw(-(-x.size // 4))
        bits = raw.view(np.uint16)[: x.size].reshape(x.shape)
        keep = bits >= round(p * 65536)
        rate = self._quantized_rate()
        scale = self.dtype(1 / (1 - rate)) if self.scaling == "inverted" else self.dtype(1)
        mask = np.multiply(keep, scale, out=self._buffer("mask", x.shape))
        self._mask = mask
        y = self._buffer("y", x.shape)
        np.multiply(x, mask, out=y)
        return y

    def _quantized_rate(self) -> float:
        """The rate as applied: a multiple of 1/65536 (see forward)."""
        return round(self.rate * 65536) / 65536

    def backward(self, dy):
        if not self._active:
            if self.scaling == "keep_probability" and self.rate > 0:
                return dy * self.dtype(1 - self._quantized_rate())
            return dy
        dx = self._buffer("dx", dy.shape)
        np.multiply(dy, self._mask, out=dx)
        return dx


LAYER_TYPES: dict[str, type[Layer]] = {
    cls.kind: cls for cls in (Dense, Conv2D, MaxPool2D, Flatten, Dropout)
}
