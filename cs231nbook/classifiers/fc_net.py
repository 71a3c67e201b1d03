"""Fully-connected networks: the two-layer net and the general deep net.

Both follow the CS231n model contract: ``model.params`` is a dict of arrays and
``model.loss(X, y=None)`` returns class scores when ``y`` is ``None`` and
``(loss, grads)`` otherwise, with ``grads`` keyed like ``params``. Any such
object can be trained by :class:`cs231nbook.solver.Solver`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from .. import _checks
from ..layer_utils import (
    affine_bn_relu_backward,
    affine_bn_relu_forward,
    affine_ln_relu_backward,
    affine_ln_relu_forward,
    affine_relu_backward,
    affine_relu_forward,
)
from ..layers import (
    affine_backward,
    affine_forward,
    dropout_backward,
    dropout_forward,
    softmax_loss,
)
from ._common import add_l2, check_dtype, check_model_input, check_reg, check_seed
from .kaiming import check_weight_scale, init_weight

# The hidden block of FullyConnectedNet for each normalization, as (forward, backward).
# The normalized blocks take (gamma, beta, param) after (x, w, b) and return
# (dgamma, dbeta) after (dx, dw, db), so one loop drives all three.
_HIDDEN_BLOCKS: dict[str | None, tuple[Callable[..., Any], Callable[..., Any]]] = {
    None: (affine_relu_forward, affine_relu_backward),
    "batchnorm": (affine_bn_relu_forward, affine_bn_relu_backward),
    "layernorm": (affine_ln_relu_forward, affine_ln_relu_backward),
}


class TwoLayerNet:
    """affine - relu - affine - softmax.

    Parameters
    ----------
    input_dim : int, default 3*32*32
        ``D``, the number of features of one example (examples are flattened).
    hidden_dim : int, default 100
        ``H``, the width of the hidden layer.
    num_classes : int, default 10
        ``C``.
    weight_scale : float or 'kaiming', default 1e-3
        Standard deviation of the Gaussian initial weights, or ``'kaiming'`` for
        :func:`~cs231nbook.classifiers.kaiming_initializer` (gain 2 for ``W1``,
        which a ReLU follows, 1 for ``W2``). Biases start at 0.
    reg : float, default 0.0
        L2 strength; the loss gains ``0.5 * reg * sum(W**2)`` for ``W1`` and ``W2``.
    dtype : numpy dtype, default float64
        Of the parameters and the computation.
    seed : int, Generator or None
        Seeds the initial weights (NumPy's global RNG is never used).

    Attributes
    ----------
    params : dict
        ``W1`` (D, H), ``b1`` (H,), ``W2`` (H, C), ``b2`` (C,).
    """

    def __init__(
        self,
        input_dim: int = 3 * 32 * 32,
        hidden_dim: int = 100,
        num_classes: int = 10,
        weight_scale: float | str = 1e-3,
        reg: float = 0.0,
        dtype: DTypeLike = np.float64,
        seed: int | np.random.Generator | None = None,
    ) -> None:
        input_dim = _checks.positive_int("input_dim", input_dim)
        hidden_dim = _checks.positive_int("hidden_dim", hidden_dim)
        num_classes = _checks.positive_int("num_classes", num_classes)
        weight_scale = check_weight_scale(weight_scale)
        self.reg = check_reg(reg)
        self.dtype = check_dtype(dtype)
        self.input_dim = input_dim
        rng = np.random.default_rng(check_seed(seed))
        self.params = {
            "W1": init_weight(weight_scale, input_dim, hidden_dim, None, True, self.dtype, rng),
            "b1": np.zeros(hidden_dim, dtype=self.dtype),
            "W2": init_weight(weight_scale, hidden_dim, num_classes, None, False, self.dtype, rng),
            "b2": np.zeros(num_classes, dtype=self.dtype),
        }

    def loss(self, X: np.ndarray, y: np.ndarray | None = None):
        """Class scores, or the loss and its gradients.

        Parameters
        ----------
        X : ndarray of shape (N, d_1, ..., d_k) with ``d_1 * ... * d_k = D``
        y : ndarray of shape (N,), integer, optional

        Returns
        -------
        scores : ndarray of shape (N, C)
            When ``y`` is None.
        loss, grads : float, dict
            Otherwise; ``grads`` is keyed like ``params``.
        """
        X = check_model_input(X, (self.input_dim,), self.dtype, flatten=True)
        p = self.params
        hidden, cache1 = affine_relu_forward(X, p["W1"], p["b1"])
        scores, cache2 = affine_forward(hidden, p["W2"], p["b2"])
        if y is None:
            return scores
        loss, dscores = softmax_loss(scores, y)
        grads = {}
        dhidden, grads["W2"], grads["b2"] = affine_backward(dscores, cache2)
        _, grads["W1"], grads["b1"] = affine_relu_backward(dhidden, cache1)
        loss = add_l2(loss, grads, p, self.reg)
        return loss, grads

    def architecture(self) -> dict:
        """What fixes the computation, as stored in checkpoints (see ``cs231nbook.model_state``)."""
        return {
            "input_dim": self.input_dim,
            "hidden_dim": int(self.params["W1"].shape[1]),
            "num_classes": int(self.params["W2"].shape[1]),
            "dtype": np.dtype(self.dtype).name,
        }


class FullyConnectedNet:
    """A fully-connected network of any depth.

    ``{affine - [batch/layer norm] - relu - [dropout]} x (L - 1) - affine - softmax``

    Parameters
    ----------
    hidden_dims : sequence of int
        Widths of the ``L - 1`` hidden layers (may be empty: softmax regression).
    input_dim : int, default 3*32*32
        ``D``; examples of any shape are flattened.
    num_classes : int, default 10
        ``C``.
    dropout_keep_ratio : float, default 1
        Probability of **keeping** a hidden unit; 1 disables dropout.
    normalization : None, 'batchnorm' or 'layernorm'
        Normalization after each hidden affine layer, with a learned scale
        ``gamma{i}`` (initially ones) and shift ``beta{i}`` (initially
        zeros), which are not regularized. Batch norm uses the batch's
        statistics when ``loss`` gets labels and its running statistics when
        it does not.
    reg : float, default 0.0
        L2 strength on the weights, ``0.5 * reg * sum(W**2)``.
    weight_scale : float or 'kaiming', default 1e-2
        Standard deviation of the Gaussian initial weights, or ``'kaiming'`` for
        :func:`~cs231nbook.classifiers.kaiming_initializer` (gain 2 for the
        hidden layers, which a ReLU follows, 1 for the last). Biases start at 0.
    dtype : numpy dtype, default float32
        float64 for gradient checks, float32 to train faster.
    seed : int, Generator or None
        Seeds the initial weights and the stream of dropout masks, so two
        models built with the same seed train identically. To freeze the
        dropout mask (as a gradient check must), set
        ``model.dropout_param['seed']`` to an int: every call then reuses it.

    Attributes
    ----------
    params : dict
        ``W1, b1, ..., WL, bL``; with normalization also ``gamma1, beta1, ...,
        gamma{L-1}, beta{L-1}``.
    bn_params : list of dict
        With normalization, one parameter dict per hidden layer (``'mode'``,
        and batch norm's ``'running_mean'`` and ``'running_var'``), kept
        between calls; ``bn_params[i - 1]`` belongs to layer ``i``. Set
        ``'eps'`` or ``'momentum'`` there to change them. Empty without
        normalization.
    """

    def __init__(
        self,
        hidden_dims: Sequence[int],
        input_dim: int = 3 * 32 * 32,
        num_classes: int = 10,
        dropout_keep_ratio: float = 1,
        normalization: str | None = None,
        reg: float = 0.0,
        weight_scale: float | str = 1e-2,
        dtype: DTypeLike = np.float32,
        seed: int | np.random.Generator | None = None,
    ) -> None:
        if isinstance(hidden_dims, np.ndarray) and hidden_dims.ndim == 1:
            hidden_dims = hidden_dims.tolist()  # np.array([100, 100]) works like a list
        if isinstance(hidden_dims, (str, bytes)) or not isinstance(hidden_dims, Sequence):
            raise TypeError(
                f"hidden_dims must be a list of layer widths; got {_checks.show(hidden_dims)}"
            )
        dims = [_checks.positive_int("input_dim", input_dim)]
        dims += [_checks.positive_int(f"hidden_dims[{i}]", h) for i, h in enumerate(hidden_dims)]
        dims += [_checks.positive_int("num_classes", num_classes)]
        dropout_keep_ratio = _checks.real(
            "dropout_keep_ratio (a keep probability)", dropout_keep_ratio, 0, 1, low_open=True
        )
        weight_scale = check_weight_scale(weight_scale)
        self.normalization = _checks.choice(
            "normalization", normalization, (None, "batchnorm", "layernorm")
        )
        self.reg = check_reg(reg)
        self.dtype = check_dtype(dtype)
        self.input_dim = dims[0]
        self.num_layers = len(dims) - 1
        self.use_dropout = dropout_keep_ratio != 1

        rng = np.random.default_rng(check_seed(seed))
        self.params: dict[str, np.ndarray] = {}
        for i, (fan_in, fan_out) in enumerate(zip(dims[:-1], dims[1:]), start=1):
            relu = i < self.num_layers  # a ReLU follows every layer but the last
            self.params[f"W{i}"] = init_weight(
                weight_scale, fan_in, fan_out, None, relu, self.dtype, rng
            )
            self.params[f"b{i}"] = np.zeros(fan_out, dtype=self.dtype)
            if self.normalization is not None and i < self.num_layers:
                self.params[f"gamma{i}"] = np.ones(fan_out, dtype=self.dtype)
                self.params[f"beta{i}"] = np.zeros(fan_out, dtype=self.dtype)
        # Batch norm keeps its running statistics in these dicts, so they live as long as the model.
        self.bn_params: list[dict] = []
        if self.normalization is not None:
            self.bn_params = [{"mode": "train"} for _ in range(self.num_layers - 1)]

        self.dropout_param: dict = {"mode": "train", "p": dropout_keep_ratio}
        self._dropout_rng = rng  # continues the init stream: one seed fixes everything

    def _dropout_seeds(self) -> list[int]:
        """One mask seed per hidden layer: fixed if the user set one, else fresh from the model's stream."""
        fixed = self.dropout_param.get("seed")
        if fixed is not None:
            return [int(fixed) + i for i in range(self.num_layers - 1)]
        return [int(s) for s in self._dropout_rng.integers(2**63 - 1, size=self.num_layers - 1)]

    def loss(self, X: np.ndarray, y: np.ndarray | None = None):
        """Class scores (test mode), or the loss and gradients (training mode).

        Parameters
        ----------
        X : ndarray of shape (N, d_1, ..., d_k) with ``d_1 * ... * d_k = D``
        y : ndarray of shape (N,), integer, optional
            Without labels the net runs in test mode (no dropout, batch norm
            with its running statistics) and returns scores of shape (N, C).

        Returns
        -------
        scores : ndarray of shape (N, C)
            When ``y`` is None.
        loss, grads : float, dict
            Otherwise; ``grads`` is keyed like ``params``.
        """
        X = check_model_input(X, (self.input_dim,), self.dtype, flatten=True, loss=y is not None)
        mode = "test" if y is None else "train"
        p = self.params
        L = self.num_layers
        seeds = self._dropout_seeds() if self.use_dropout and mode == "train" else [None] * (L - 1)

        hidden_forward, hidden_backward = _HIDDEN_BLOCKS[self.normalization]
        for bn_param in self.bn_params:
            bn_param["mode"] = mode

        caches = []
        h = X
        for i in range(1, L):
            norm_args: tuple[Any, ...] = ()
            if self.normalization is not None:
                norm_args = (p[f"gamma{i}"], p[f"beta{i}"], self.bn_params[i - 1])
            h, cache = hidden_forward(h, p[f"W{i}"], p[f"b{i}"], *norm_args)
            drop_cache = None
            if self.use_dropout:
                param = {"mode": mode, "p": self.dropout_param["p"], "seed": seeds[i - 1]}
                h, drop_cache = dropout_forward(h, param)
            caches.append((cache, drop_cache))
        scores, last_cache = affine_forward(h, p[f"W{L}"], p[f"b{L}"])
        if y is None:
            return scores

        loss, dscores = softmax_loss(scores, y)
        grads: dict[str, np.ndarray] = {}
        dh, grads[f"W{L}"], grads[f"b{L}"] = affine_backward(dscores, last_cache)
        for i in range(L - 1, 0, -1):
            cache, drop_cache = caches[i - 1]
            if drop_cache is not None:
                dh = dropout_backward(dh, drop_cache)
            dh, grads[f"W{i}"], grads[f"b{i}"], *dnorm = hidden_backward(dh, cache)
            if dnorm:
                grads[f"gamma{i}"], grads[f"beta{i}"] = dnorm
        loss = add_l2(loss, grads, p, self.reg)
        return loss, grads

    # --- the optional part of the model contract (see cs231nbook.model_state) ---------------

    def architecture(self) -> dict:
        """The constructor arguments that fix what the net computes, as stored in checkpoints.

        ``weight_scale`` and ``seed`` only initialize, and ``reg`` only changes the
        training objective, so they are not part of it.
        """
        L = self.num_layers
        return {
            "input_dim": self.input_dim,
            "hidden_dims": [int(self.params[f"W{i}"].shape[1]) for i in range(1, L)],
            "num_classes": int(self.params[f"W{L}"].shape[1]),
            "dropout_keep_ratio": float(self.dropout_param["p"]),
            "normalization": self.normalization,
            "dtype": np.dtype(self.dtype).name,
        }

    def get_state(self) -> dict[str, np.ndarray]:
        """Copies of the non-trained state: batch norm's running statistics (keys
        ``"bn_params.<i>.running_mean"`` and ``"bn_params.<i>.running_var"``) and, with
        dropout, the stream of dropout masks (``"rng.dropout"``)."""
        from ..model_state import batchnorm_state, generator_state

        state = {}
        if self.normalization == "batchnorm":
            dims = self.architecture()["hidden_dims"]
            state.update(batchnorm_state(self.bn_params, dims, self.dtype))
        if self.use_dropout:
            state["rng.dropout"] = generator_state(self._dropout_rng)
        return state

    def set_state(self, state: dict[str, np.ndarray]) -> None:
        """Replace the state by copies of ``state``; all-or-nothing, ``ValueError`` on a mismatch."""
        from ..model_state import assign_batchnorm_state, check_state, restore_generator

        state = check_state(self, state)
        assign_batchnorm_state(self.bn_params, state)
        if self.use_dropout:
            self._dropout_rng = restore_generator(state["rng.dropout"])
