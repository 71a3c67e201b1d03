"""Deliberately broken student implementations, one classic bug each, for test_check.py.

Each entry: the checker key that must fail, the module of the student's ``cs231n`` package
the code goes into (appended after a correct baseline, so it replaces one function), the
code, and a fragment the checker's hint must contain. Written for these tests, in the style
of a first attempt at the assignment.
"""

BUGS = {
    "db is a mean": (
        "layers.affine_backward",
        "layers",
        """
_given_affine_forward = affine_forward


def affine_forward(x, w, b):
    out, _ = _given_affine_forward(x, w, b)
    return out, (x, w, b)


def affine_backward(dout, cache):
    x, w, b = cache
    dx = (dout @ w.T).reshape(x.shape)
    dw = x.reshape(x.shape[0], -1).T @ dout
    db = dout.mean(axis=0)
    return dx, dw, db
""",
        "db is the mean",
    ),
    "relu gradient at zero": (
        "layers.relu_backward",
        "layers",
        """
def relu_forward(x):
    return np.maximum(x, 0), x


def relu_backward(dout, cache):
    x = cache
    return dout * (x >= 0)
""",
        "x > 0, not x >= 0",
    ),
    "softmax overflows": (
        "layers.softmax_loss",
        "layers",
        """
def softmax_loss(x, y):
    e = np.exp(x)
    p = e / e.sum(axis=1, keepdims=True)
    n = x.shape[0]
    loss = -np.log(p[np.arange(n), y]).sum() / n
    dx = p.copy()
    dx[np.arange(n), y] -= 1
    return loss, dx / n
""",
        "subtract each row's maximum",
    ),
    "svm counts the correct class": (
        "layers.svm_loss",
        "layers",
        """
def svm_loss(x, y):
    n = x.shape[0]
    correct = x[np.arange(n), y][:, None]
    margins = np.maximum(0, x - correct + 1.0)
    loss = margins.sum() / n
    positive = (margins > 0).astype(float)
    positive[np.arange(n), y] -= positive.sum(axis=1)
    return loss, positive / n
""",
        "the correct class's own margin (1) is counted",
    ),
    "unbiased running variance": (
        "layers.batchnorm_forward",
        "layers",
        """
_given_batchnorm_forward = batchnorm_forward


def batchnorm_forward(x, gamma, beta, bn_param):
    old_var = bn_param.get("running_var", np.zeros(x.shape[1]))
    out, cache = _given_batchnorm_forward(x, gamma, beta, bn_param)
    if bn_param["mode"] == "train":
        momentum = bn_param.get("momentum", 0.9)
        bn_param["running_var"] = momentum * old_var + (1 - momentum) * x.var(axis=0, ddof=1)
    return out, cache
""",
        "unbiased variance",
    ),
    "dropout p drops": (
        "layers.dropout_forward",
        "layers",
        """
def dropout_forward(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    if mode == "train":
        mask = (np.random.rand(*x.shape) >= p) / (1 - p)
        return x * mask, ("train", mask)
    return x, ("test", None)
""",
        "probability of keeping",
    ),
    "conv dw ignores the stride": (
        "layers.conv_backward_naive",
        "layers",
        """
_given_conv_forward = conv_forward_naive


def conv_forward_naive(x, w, b, conv_param):
    out, _ = _given_conv_forward(x, w, b, conv_param)
    return out, (x, w, b, conv_param)


def conv_backward_naive(dout, cache):
    x, w, b, conv_param = cache
    s, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    _, _, Ho, Wo = dout.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dxp, dw = np.zeros_like(xp), np.zeros_like(w)
    for n in range(N):
        for f in range(F):
            for i in range(Ho):
                for j in range(Wo):
                    dxp[n, :, i*s:i*s+HH, j*s:j*s+WW] += w[f] * dout[n, f, i, j]
                    dw[f] += xp[n, :, i:i+HH, j:j+WW] * dout[n, f, i, j]
    db = dout.sum(axis=(0, 2, 3))
    return dxp[:, :, pad:pad+H, pad:pad+W], dw, db
""",
        "dw wrong for 'stride 2, pad 1' and 'batch of 1' only (the cases with stride 2)",
    ),
    "max pool backward overwrites": (
        "layers.max_pool_backward_naive",
        "layers",
        """
_given_pool_forward = max_pool_forward_naive


def max_pool_forward_naive(x, pool_param):
    out, _ = _given_pool_forward(x, pool_param)
    return out, (x, pool_param)


def max_pool_backward_naive(dout, cache):
    x, pool_param = cache
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    N, C, Ho, Wo = dout.shape
    dx = np.zeros_like(x)
    for n in range(N):
        for c in range(C):
            for i in range(Ho):
                for j in range(Wo):
                    window = x[n, c, i*s:i*s+ph, j*s:j*s+pw]
                    r, q = np.unravel_index(np.argmax(window), window.shape)
                    dx[n, c, i*s + r, j*s + q] = dout[n, c, i, j]
    return dx
""",
        "collect (add) the gradient",
    ),
    "adam counts late": (
        "optim.adam",
        "optim",
        """
def adam(w, dw, config=None):
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("m", np.zeros_like(w))
    config.setdefault("v", np.zeros_like(w))
    config.setdefault("t", 0)
    b1, b2 = config["beta1"], config["beta2"]
    config["m"] = b1 * config["m"] + (1 - b1) * dw
    config["v"] = b2 * config["v"] + (1 - b2) * dw**2
    t = max(config["t"], 1)
    mhat = config["m"] / (1 - b1**t)
    vhat = config["v"] / (1 - b2**t)
    next_w = w - config["learning_rate"] * mhat / (np.sqrt(vhat) + config["epsilon"])
    config["t"] += 1
    return next_w, config
""",
        "t must be incremented before the bias correction",
    ),
    "momentum forgets its velocity": (
        "optim.sgd_momentum",
        "optim",
        """
def sgd_momentum(w, dw, config=None):
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.get("velocity", np.zeros_like(w))
    v = config["momentum"] * v - config["learning_rate"] * dw
    return w + v, config
""",
        "config['velocity'] wrong",
    ),
    "layer norm over the batch": (
        "layers.layernorm_forward",
        "layers",
        """
def layernorm_forward(x, gamma, beta, ln_param):
    eps = ln_param.get("eps", 1e-5)
    mu, var = x.mean(axis=0), x.var(axis=0)
    xhat = (x - mu) / np.sqrt(var + eps)
    return gamma * xhat + beta, (xhat, gamma, var, eps)
""",
        "normalizes over the batch",
    ),
    "spatial batch norm reshapes without a transpose": (
        "layers.spatial_batchnorm_forward",
        "layers",
        """
def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    N, C, H, W = x.shape
    out, cache = batchnorm_forward(x.reshape(-1, C), gamma, beta, bn_param)
    return out.reshape(N, C, H, W), cache
""",
        "x.reshape(-1, C) mixes channels",
    ),
    "biases regularized": (
        "classifiers.fc_net.FullyConnectedNet",
        "classifiers/fc_net",
        """
class FullyConnectedNet(FullyConnectedNet):
    def loss(self, X, y=None):
        result = super().loss(X, y)
        if y is None:
            return result
        loss, grads = result
        for name, value in self.params.items():
            if name.startswith("b"):
                loss += 0.5 * self.reg * np.sum(value * value)
                grads[name] = grads[name] + self.reg * value
        return loss, grads
""",
        "only weights are regularized",
    ),
    "conv net forgets the half": (
        "classifiers.cnn.ThreeLayerConvNet",
        "classifiers/cnn",
        """
class ThreeLayerConvNet(ThreeLayerConvNet):
    def loss(self, X, y=None):
        result = super().loss(X, y)
        if y is None:
            return result
        loss, grads = result
        for name in ("W1", "W2", "W3"):
            W = self.params[name]
            loss += 0.5 * self.reg * np.sum(W * W)  # the half counted twice
            grads[name] = grads[name] + self.reg * W
        return loss, grads
""",
        "wrong for 'reg 0.5' only",
    ),
    "conv forward forgets the bias": (
        "layers.conv_forward_naive",
        "layers",
        """
_given_conv_forward = conv_forward_naive


def conv_forward_naive(x, w, b, conv_param):
    out, cache = _given_conv_forward(x, w, b, conv_param)
    return out - b[None, :, None, None], cache  # as if "+ b" had been left out
""",
        "the bias is not added",
    ),
    "softmax dx not divided by N": (
        "layers.softmax_loss",
        "layers",
        """
def softmax_loss(x, y):
    n = x.shape[0]
    shifted = x - x.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_p[np.arange(n), y].mean()
    dx = np.exp(log_p)
    dx[np.arange(n), y] -= 1
    return loss, dx
""",
        "times too large",
    ),
    "rmsprop without the square root": (
        "optim.rmsprop",
        "optim",
        """
def rmsprop(w, dw, config=None):
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("cache", np.zeros_like(w))
    rho = config["decay_rate"]
    config["cache"] = rho * config["cache"] + (1 - rho) * dw**2
    next_w = w - config["learning_rate"] * dw / (config["cache"] + config["epsilon"])
    return next_w, config
""",
        "divide by its square root",
    ),
    "dropout backward ignores the mask": (
        "layers.dropout_backward",
        "layers",
        """
def dropout_backward(dout, cache):
    return dout
""",
        "dx is dout",
    ),
    "momentum velocity with the opposite sign": (
        "optim.sgd_momentum",
        "optim",
        """
def sgd_momentum(w, dw, config=None):
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.get("velocity", np.zeros_like(w))
    v = config["momentum"] * v + config["learning_rate"] * dw
    config["velocity"] = v
    return w - v, config
""",
        "opposite sign",
    ),
    "batch norm test mode uses the batch": (
        "layers.batchnorm_forward",
        "layers",
        """
_given_batchnorm_forward = batchnorm_forward


def batchnorm_forward(x, gamma, beta, bn_param):
    if bn_param["mode"] == "test":
        out, _ = _given_batchnorm_forward(x, gamma, beta, {**bn_param, "mode": "train"})
        return out, None
    return _given_batchnorm_forward(x, gamma, beta, bn_param)
""",
        "test mode normalizes with the batch's",
    ),
    "layer norm backward with batch norm's axes": (
        "layers.layernorm_backward",
        "layers",
        """
def layernorm_forward(x, gamma, beta, ln_param):
    eps = ln_param.get("eps", 1e-5)
    mu = x.mean(axis=1, keepdims=True)
    std = np.sqrt(x.var(axis=1, keepdims=True) + eps)
    xhat = (x - mu) / std
    return gamma * xhat + beta, (xhat, gamma, std)


def layernorm_backward(dout, cache):
    xhat, gamma, std = cache
    dxhat = dout * gamma
    # batch norm's closed form, means over the batch (axis 0) instead of the features
    dx = (dxhat - dxhat.mean(axis=0) - xhat * (dxhat * xhat).mean(axis=0)) / std
    return dx, (dout * xhat).sum(axis=0), dout.sum(axis=0)
""",
        "dx takes its means over the batch (axis 0)",
    ),
}

# Correct code written differently from cs231nbook: every check must pass.
CORRECT_VARIANTS = {
    # The starter's batch norm starts missing running statistics at zeros (cs231nbook at
    # zeros and ones): a model built on it must not fail in test mode.
    "running statistics start at zeros": (
        "classifiers/fc_net",
        """
class FullyConnectedNet(FullyConnectedNet):
    def __init__(self, hidden_dims, **kwargs):
        super().__init__(hidden_dims, **kwargs)
        for layer, bn_param in enumerate(self.bn_params, start=1):
            if self.normalization == "batchnorm":
                zeros = np.zeros_like(self.params[f"gamma{layer}"])
                bn_param["running_mean"], bn_param["running_var"] = zeros, zeros.copy()
""",
    ),
    # the usual stable softmax (probabilities first, then their log: it is log p = -inf
    # only when a probability underflows, which ordinary scores do not make), the hinge
    # loss with an explicit loop: other summation orders
    "losses computed another way": (
        "layers",
        """
def softmax_loss(x, y):
    n = x.shape[0]
    p = np.exp(x - x.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    loss = -np.log(p[np.arange(n), y]).sum() / n
    p[np.arange(n), y] -= 1
    return loss, p / n


def svm_loss(x, y):
    n = x.shape[0]
    loss, dx = 0.0, np.zeros_like(x)
    for i in range(n):
        for j in range(x.shape[1]):
            margin = x[i, j] - x[i, y[i]] + 1
            if j != y[i] and margin > 0:
                loss += margin
                dx[i, j] += 1
                dx[i, y[i]] -= 1
    return loss / n, dx / n
""",
    ),
    # an update rule that changes w in place, as the starter's own sgd does
    "rmsprop updating w in place": (
        "optim",
        """
def rmsprop(w, dw, config=None):
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("cache", np.zeros_like(w))
    rho = config["decay_rate"]
    config["cache"] = rho * config["cache"] + (1 - rho) * dw**2
    w -= config["learning_rate"] * dw / (np.sqrt(config["cache"]) + config["epsilon"])
    return w, config
""",
    ),
}

# Failures of another kind: a crash, a hang, a module that does not import.
CRASH = (
    "layers.relu_forward",
    "layers",
    """
def relu_forward(x):
    raise IndexError("tuple index out of range")
""",
)
HANG = (
    "layers.affine_forward",
    "layers",
    """
def affine_forward(x, w, b):
    while True:
        pass
""",
)
