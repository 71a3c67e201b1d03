"""Classification losses on class scores: softmax cross-entropy and multiclass SVM.

Both return the mean loss over the ``N`` examples and its gradient with respect
to the scores, so they end every model's forward pass and start its backward
pass. Derived in the chapter *Affine, ReLU and the losses*.
"""

from __future__ import annotations

import numpy as np

from .. import _checks


def _scores_and_labels(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = _checks.real_array("x", x, ndim=2)
    y = _checks.labels("y", y, x.shape[0], x.shape[1])
    if x.shape[0] == 0:
        raise ValueError("x must hold at least one example; got shape (0, C)")
    return x, y


def softmax_loss(x: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    r"""Softmax cross-entropy loss and its gradient.

    Parameters
    ----------
    x : ndarray of shape (N, C)
        Class scores (logits); ``x[i, j]`` is the score of class ``j`` for example ``i``.
    y : ndarray of shape (N,), integer
        Labels, ``0 <= y[i] < C``.

    Returns
    -------
    loss : float
        Mean cross-entropy over the ``N`` examples.
    dx : ndarray of shape (N, C)
        Gradient of ``loss`` with respect to ``x``, in ``x``'s dtype.

    Notes
    -----
    .. math::
        p_{ij} = \frac{e^{x_{ij}}}{\sum_k e^{x_{ik}}}, \qquad
        L = -\frac{1}{N}\sum_i \log p_{i y_i}, \qquad
        \frac{\partial L}{\partial x_{ij}} = \frac{p_{ij} - \mathbb{1}[j = y_i]}{N}

    Subtracting each row's maximum before exponentiating leaves :math:`p`
    unchanged and keeps every exponent :math:`\le 0`, so logits of any size give
    a finite loss and gradient; the log-probabilities are computed as
    ``shifted - log(sum(exp(shifted)))`` rather than ``log(p)``, which would be
    ``log(0)`` for a confidently wrong class.
    """
    x, y = _scores_and_labels(x, y)
    n = x.shape[0]
    shifted = x - x.max(axis=1, keepdims=True)  # (N, C), every row's max is 0
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))  # (N, C)
    rows = np.arange(n)
    loss = -log_probs[rows, y].mean()
    dx = np.exp(log_probs)
    dx[rows, y] -= 1
    dx /= n
    return float(loss), dx


def svm_loss(x: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    r"""Multiclass SVM (hinge) loss with margin 1, and its gradient.

    Parameters
    ----------
    x : ndarray of shape (N, C)
        Class scores.
    y : ndarray of shape (N,), integer
        Labels, ``0 <= y[i] < C``.

    Returns
    -------
    loss : float
        Mean hinge loss over the ``N`` examples.
    dx : ndarray of shape (N, C)
        Gradient of ``loss`` with respect to ``x``.

    Notes
    -----
    .. math::
        L = \frac{1}{N}\sum_i \sum_{j \ne y_i} \max(0,\, x_{ij} - x_{i y_i} + 1)

    Each positive margin adds :math:`1/N` to the gradient of its wrong class
    and subtracts :math:`1/N` from the correct class. At a margin of exactly 0
    the hinge has a kink; the gradient taken there is 0.
    """
    x, y = _scores_and_labels(x, y)
    n = x.shape[0]
    rows = np.arange(n)
    correct = x[rows, y][:, None]  # (N, 1)
    margins = np.maximum(0, x - correct + 1)  # (N, C)
    margins[rows, y] = 0
    loss = margins.sum() / n
    positive = (margins > 0).astype(x.dtype)  # (N, C)
    dx = positive
    dx[rows, y] = -positive.sum(axis=1)
    dx /= n
    return float(loss), dx
