"""Convolutional networks: the three-layer conv net and a VGG-style deep conv net.

Both follow the CS231n model contract (``model.params``, ``model.loss(X, y=None)``)
and run on the fast layers of :mod:`cs231nbook.fast_layers`. Their convolutions
preserve the spatial size (stride 1, pad ``(K - 1) // 2`` for odd ``K``); only
the 2x2 max pools (stride 2) halve it. Any number of input channels and any
image size works, as long as every pool gets even-sized feature maps. The
chapter *Conv nets* trains both on the bundled digits.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from .. import _checks
from ..layer_utils import (
    affine_relu_backward,
    affine_relu_forward,
    conv_bn_relu_backward,
    conv_bn_relu_forward,
    conv_bn_relu_pool_backward,
    conv_bn_relu_pool_forward,
    conv_relu_backward,
    conv_relu_forward,
    conv_relu_pool_backward,
    conv_relu_pool_forward,
)
from ..layers import affine_backward, affine_forward, softmax_loss
from ._common import add_l2, check_dtype, check_model_input, check_reg, check_seed
from .kaiming import check_weight_scale, init_weight

POOL_PARAM = {"pool_height": 2, "pool_width": 2, "stride": 2}


def _listed(value: Any) -> Any:
    """A 1-D ndarray as a list (``np.array([8, 8])`` works like ``[8, 8]``, as ``hidden_dims``
    of ``FullyConnectedNet`` does); anything else unchanged, for the caller to check."""
    if isinstance(value, np.ndarray) and value.ndim == 1:
        return value.tolist()
    return value


def _check_input_dims(name: str, value: Any) -> tuple[int, int, int]:
    """``(C, H, W)`` as three positive ints."""
    value = _listed(value)
    if not isinstance(value, Sequence) or isinstance(value, str):
        raise TypeError(
            f"{name} must be the shape (C, H, W) of one image; got {_checks.show(value)}"
        )
    if len(value) != 3:
        raise ValueError(f"{name} must be the shape (C, H, W) of one image; got {value!r}")
    C, H, W = (_checks.positive_int(f"{name}[{i}]", v) for i, v in enumerate(value))
    return C, H, W


def _halve(H: int, W: int, problem: str) -> tuple[int, int]:
    """Feature-map size after a 2x2 max pool with stride 2, which needs an even height and width."""
    if H % 2 or W % 2:
        raise ValueError(
            f"{problem}: the feature maps to pool there are {H}x{W}, and a 2x2 max pool with "
            f"stride 2 needs an even height and width"
        )
    return H // 2, W // 2


class ThreeLayerConvNet:
    """conv - relu - 2x2 max pool - affine - relu - affine - softmax.

    The convolution has ``num_filters`` square filters of odd size
    ``filter_size``, stride 1 and pad ``(filter_size - 1) // 2``, so it keeps
    the height and width; the pool halves them.

    Parameters
    ----------
    input_dim : tuple (C, H, W), default (3, 32, 32)
        Shape of one image; ``H`` and ``W`` must be even (for the pool).
    num_filters : int, default 32
        ``F``.
    filter_size : int, default 7
        ``HH = WW``; must be odd (an even filter cannot be centred on a pixel,
        so no symmetric pad keeps the size).
    hidden_dim : int, default 100
        Width of the hidden affine layer.
    num_classes : int, default 10
    weight_scale : float or 'kaiming', default 1e-3
        Standard deviation of the Gaussian initial weights, or ``'kaiming'``
        for :func:`~cs231nbook.classifiers.kaiming_initializer` (gain 2 for
        the two layers followed by a ReLU, 1 for the last). Biases start at 0.
    reg : float, default 0.0
        L2 strength on the weights, ``0.5 * reg * sum(W**2)``.
    dtype : float32 or float64, default float32
        float64 for gradient checks.
    seed : int, Generator or None
        Seeds the initial weights (NumPy's global RNG is never used).

    Attributes
    ----------
    params : dict
        ``W1`` (F, C, K, K), ``b1`` (F,), ``W2`` (F*H/2*W/2, hidden_dim),
        ``b2`` (hidden_dim,), ``W3`` (hidden_dim, num_classes), ``b3`` (num_classes,).
    conv_param, pool_param : dict
    """

    def __init__(
        self,
        input_dim: Sequence[int] = (3, 32, 32),
        num_filters: int = 32,
        filter_size: int = 7,
        hidden_dim: int = 100,
        num_classes: int = 10,
        weight_scale: float | str = 1e-3,
        reg: float = 0.0,
        dtype: DTypeLike = np.float32,
        seed: int | np.random.Generator | None = None,
    ) -> None:
        self.input_dim = _check_input_dims("input_dim", input_dim)
        C, H, W = self.input_dim
        F = _checks.positive_int("num_filters", num_filters)
        K = _checks.positive_int("filter_size", filter_size)
        if K % 2 == 0:
            raise ValueError(
                f"filter_size must be odd, so that stride 1 and pad (filter_size - 1) // 2 keep the "
                f"image size; got {K}"
            )
        hidden_dim = _checks.positive_int("hidden_dim", hidden_dim)
        num_classes = _checks.positive_int("num_classes", num_classes)
        H_pool, W_pool = _halve(H, W, f"input_dim = {self.input_dim} does not suit the max pool")
        weight_scale = check_weight_scale(weight_scale)
        self.reg = check_reg(reg)
        self.dtype = check_dtype(dtype)
        seed = check_seed(seed)
        self.conv_param = {"stride": 1, "pad": (K - 1) // 2}
        self.pool_param = dict(POOL_PARAM)

        rng = np.random.default_rng(seed)
        flat = F * H_pool * W_pool
        self.params = {
            "W1": init_weight(weight_scale, C, F, K, True, self.dtype, rng),
            "b1": np.zeros(F, dtype=self.dtype),
            "W2": init_weight(weight_scale, flat, hidden_dim, None, True, self.dtype, rng),
            "b2": np.zeros(hidden_dim, dtype=self.dtype),
            "W3": init_weight(weight_scale, hidden_dim, num_classes, None, False, self.dtype, rng),
            "b3": np.zeros(num_classes, dtype=self.dtype),
        }

    def loss(self, X: np.ndarray, y: np.ndarray | None = None):
        """Class scores, or the loss and its gradients.

        Parameters
        ----------
        X : ndarray of shape (N, C, H, W)
        y : ndarray of shape (N,), integer, optional

        Returns
        -------
        scores : ndarray of shape (N, num_classes)
            When ``y`` is None.
        loss, grads : float, dict
            Otherwise; ``grads`` is keyed like ``params``.
        """
        X = check_model_input(X, self.input_dim, self.dtype)
        p = self.params
        h1, cache1 = conv_relu_pool_forward(
            X, p["W1"], p["b1"], self.conv_param, self.pool_param
        )  # (N, F, H/2, W/2)
        h2, cache2 = affine_relu_forward(h1, p["W2"], p["b2"])  # flattens h1
        scores, cache3 = affine_forward(h2, p["W3"], p["b3"])
        if y is None:
            return scores
        loss, dscores = softmax_loss(scores, y)
        grads: dict[str, np.ndarray] = {}
        dh2, grads["W3"], grads["b3"] = affine_backward(dscores, cache3)
        dh1, grads["W2"], grads["b2"] = affine_relu_backward(dh2, cache2)
        _, grads["W1"], grads["b1"] = conv_relu_pool_backward(dh1, cache1)
        loss = add_l2(loss, grads, p, self.reg)
        return loss, grads

    def architecture(self) -> dict:
        """What fixes the computation, as stored in checkpoints (see ``cs231nbook.model_state``)."""
        return {
            "input_dim": list(self.input_dim),
            "num_filters": int(self.params["W1"].shape[0]),
            "filter_size": int(self.params["W1"].shape[2]),
            "hidden_dim": int(self.params["W2"].shape[1]),
            "num_classes": int(self.params["W3"].shape[1]),
            "conv_param": dict(self.conv_param),
            "pool_param": dict(self.pool_param),
            "dtype": np.dtype(self.dtype).name,
        }


# The conv block of DeepConvNet for (batchnorm, pool), as (forward, backward). The forwards take
# (x, w, b, [gamma, beta,] conv_param, [bn_param,] [pool_param]); the backwards return
# (dx, dw, db, [dgamma, dbeta]).
_CONV_BLOCKS: dict[tuple[bool, bool], tuple[Callable[..., Any], Callable[..., Any]]] = {
    (False, False): (conv_relu_forward, conv_relu_backward),
    (False, True): (conv_relu_pool_forward, conv_relu_pool_backward),
    (True, False): (conv_bn_relu_forward, conv_bn_relu_backward),
    (True, True): (conv_bn_relu_pool_forward, conv_bn_relu_pool_backward),
}


class DeepConvNet:
    """A VGG-style conv net of any depth (EECS 498 A3's ``DeepConvNet``).

    ``{conv3x3 (pad 1) - [spatial batch norm] - relu - [2x2 max pool]} x L - affine - softmax``

    Parameters
    ----------
    input_dims : tuple (C, H, W), default (3, 32, 32)
        Shape of one image.
    num_filters : sequence of int, default (8, 8, 8, 8, 8)
        Filters of each of the ``L = len(num_filters)`` conv layers.
    max_pools : sequence of int, default (0, 1, 2, 3, 4)
        Indices (from 0) of the conv layers followed by a 2x2 max pool with
        stride 2; each in ``[0, L)``, none repeated. Every pooled feature map
        must have an even height and width.
    batchnorm : bool, default False
        Spatial batch norm after each convolution, with a learned scale
        ``gamma{i}`` (ones) and shift ``beta{i}`` (zeros), not regularized.
        Uses the batch's statistics when ``loss`` gets labels and the running
        statistics when it does not.
    num_classes : int, default 10
    weight_scale : float or 'kaiming', default 1e-3
        Standard deviation of the Gaussian initial weights, or ``'kaiming'``
        for :func:`~cs231nbook.classifiers.kaiming_initializer` (gain 2 for
        the conv layers, which a ReLU follows, and 1 for the last affine layer).
        Biases start at 0.
    reg : float, default 0.0
        L2 strength on the weights, ``0.5 * reg * sum(W**2)``.
    dtype : float32 or float64, default float32
    seed : int, Generator or None
        Seeds the initial weights (NumPy's global RNG is never used).

    Attributes
    ----------
    params : dict
        ``W1 .. WL`` (F_i, F_{i-1}, 3, 3) and ``b1 .. bL`` (F_i,) for the conv
        layers, ``W{L+1}`` (F_L * H' * W', num_classes) and ``b{L+1}`` for the
        affine layer (``H', W'`` the size after the pools); with batch norm
        ``gamma1 .. gammaL``, ``beta1 .. betaL`` (F_i,).
    bn_params : list of dict
        With batch norm, one dict per conv layer (``'mode'``, running
        statistics), kept between calls; empty otherwise.
    num_layers : int
        ``L + 1``.
    """

    def __init__(
        self,
        input_dims: Sequence[int] = (3, 32, 32),
        num_filters: Sequence[int] = (8, 8, 8, 8, 8),
        max_pools: Sequence[int] = (0, 1, 2, 3, 4),
        batchnorm: bool = False,
        num_classes: int = 10,
        weight_scale: float | str = 1e-3,
        reg: float = 0.0,
        dtype: DTypeLike = np.float32,
        seed: int | np.random.Generator | None = None,
    ) -> None:
        self.input_dims = _check_input_dims("input_dims", input_dims)
        num_filters, max_pools = _listed(num_filters), _listed(max_pools)
        if isinstance(num_filters, (str, int, np.integer)) or not isinstance(num_filters, Sequence):
            raise TypeError(f"num_filters must be a list of filter counts; got {num_filters!r}")
        if len(num_filters) == 0:
            raise ValueError(f"num_filters must name at least one conv layer; got {num_filters!r}")
        filters = [_checks.positive_int(f"num_filters[{i}]", f) for i, f in enumerate(num_filters)]
        L = len(filters)
        self.max_pools = self._check_max_pools(max_pools, L)
        self.batchnorm = _checks.boolean("batchnorm", batchnorm)
        num_classes = _checks.positive_int("num_classes", num_classes)
        weight_scale = check_weight_scale(weight_scale)
        self.reg = check_reg(reg)
        self.dtype = check_dtype(dtype)
        seed = check_seed(seed)
        self.num_layers = L + 1
        self.conv_param = {"stride": 1, "pad": 1}
        self.pool_param = dict(POOL_PARAM)

        C, H, W = self.input_dims
        for i in sorted(self.max_pools):
            problem = (
                f"input_dims = {self.input_dims} is too small for max pools after the conv layers "
                f"{sorted(self.max_pools)} (counting from 0), or not divisible by 2 often enough; "
                f"the pool after conv layer {i} fails"
            )
            H, W = _halve(H, W, problem)

        rng = np.random.default_rng(seed)
        self.params: dict[str, np.ndarray] = {}
        for i, (d_in, d_out) in enumerate(zip([C] + filters[:-1], filters), start=1):
            self.params[f"W{i}"] = init_weight(weight_scale, d_in, d_out, 3, True, self.dtype, rng)
            self.params[f"b{i}"] = np.zeros(d_out, dtype=self.dtype)
            if self.batchnorm:
                self.params[f"gamma{i}"] = np.ones(d_out, dtype=self.dtype)
                self.params[f"beta{i}"] = np.zeros(d_out, dtype=self.dtype)
        flat = filters[-1] * H * W
        self.params[f"W{L + 1}"] = init_weight(
            weight_scale, flat, num_classes, None, False, self.dtype, rng
        )
        self.params[f"b{L + 1}"] = np.zeros(num_classes, dtype=self.dtype)
        # Batch norm keeps its running statistics in these dicts, so they live as long as the model.
        self.bn_params: list[dict] = [{"mode": "train"} for _ in range(L)] if self.batchnorm else []

    @staticmethod
    def _check_max_pools(max_pools: Any, L: int) -> tuple[int, ...]:
        if isinstance(max_pools, (str, int, np.integer)) or not isinstance(max_pools, Sequence):
            raise TypeError(f"max_pools must be a list of conv layer indices; got {max_pools!r}")
        seen: set[int] = set()
        for k, i in enumerate(max_pools):
            i = _checks.nonnegative_int(f"max_pools[{k}] (a conv layer index)", i)
            if i >= L:
                raise ValueError(
                    f"max_pools[{k}] = {i} is not a conv layer index: with {L} conv layers "
                    f"(len(num_filters)) it must be in [0, {L})"
                )
            if i in seen:
                raise ValueError(f"max_pools must not repeat a layer index; {i} appears twice")
            seen.add(int(i))
        return tuple(int(i) for i in max_pools)

    def loss(self, X: np.ndarray, y: np.ndarray | None = None):
        """Class scores (test mode), or the loss and gradients (training mode).

        Parameters
        ----------
        X : ndarray of shape (N, C, H, W)
        y : ndarray of shape (N,), integer, optional
            Without labels batch norm uses its running statistics and the
            scores of shape (N, num_classes) are returned.

        Returns
        -------
        scores : ndarray of shape (N, num_classes)
            When ``y`` is None.
        loss, grads : float, dict
            Otherwise; ``grads`` is keyed like ``params``.
        """
        X = check_model_input(X, self.input_dims, self.dtype, loss=y is not None)
        mode = "test" if y is None else "train"
        for bn_param in self.bn_params:
            bn_param["mode"] = mode
        p = self.params
        L = self.num_layers - 1

        caches = []
        h = X
        for i in range(1, L + 1):
            pool = i - 1 in self.max_pools
            forward, _ = _CONV_BLOCKS[self.batchnorm, pool]
            args: list[Any] = [h, p[f"W{i}"], p[f"b{i}"]]
            if self.batchnorm:
                args += [p[f"gamma{i}"], p[f"beta{i}"], self.conv_param, self.bn_params[i - 1]]
            else:
                args.append(self.conv_param)
            if pool:
                args.append(self.pool_param)
            h, cache = forward(*args)
            caches.append(cache)
        scores, last_cache = affine_forward(h, p[f"W{L + 1}"], p[f"b{L + 1}"])  # flattens h
        if y is None:
            return scores

        loss, dscores = softmax_loss(scores, y)
        grads: dict[str, np.ndarray] = {}
        dh, grads[f"W{L + 1}"], grads[f"b{L + 1}"] = affine_backward(dscores, last_cache)
        for i in range(L, 0, -1):
            _, backward = _CONV_BLOCKS[self.batchnorm, i - 1 in self.max_pools]
            dh, grads[f"W{i}"], grads[f"b{i}"], *dnorm = backward(dh, caches[i - 1])
            if dnorm:
                grads[f"gamma{i}"], grads[f"beta{i}"] = dnorm
        loss = add_l2(loss, grads, p, self.reg)
        return loss, grads

    # --- the optional part of the model contract (see cs231nbook.model_state) ---------------

    def architecture(self) -> dict:
        """The constructor arguments that fix what the net computes, as stored in checkpoints
        (not ``weight_scale`` and ``seed``, which only initialize, nor ``reg``)."""
        L = self.num_layers - 1
        return {
            "input_dims": list(self.input_dims),
            "num_filters": [int(self.params[f"W{i}"].shape[0]) for i in range(1, L + 1)],
            "max_pools": sorted(self.max_pools),
            "batchnorm": self.batchnorm,
            "num_classes": int(self.params[f"W{L + 1}"].shape[1]),
            "conv_param": dict(self.conv_param),
            "pool_param": dict(self.pool_param),
            "dtype": np.dtype(self.dtype).name,
        }

    def get_state(self) -> dict[str, np.ndarray]:
        """Copies of the spatial batch norm's running statistics, one mean and variance per
        conv layer (keys ``"bn_params.<i>.running_mean"``, ``"bn_params.<i>.running_var"``)."""
        from ..model_state import batchnorm_state

        if not self.batchnorm:
            return {}
        return batchnorm_state(self.bn_params, self.architecture()["num_filters"], self.dtype)

    def set_state(self, state: dict[str, np.ndarray]) -> None:
        """Replace the state by copies of ``state``; all-or-nothing, ``ValueError`` on a mismatch."""
        from ..model_state import assign_batchnorm_state, check_state

        assign_batchnorm_state(self.bn_params, check_state(self, state))
