"""cs231nbook: backpropagation through fully-connected and convolutional networks, in NumPy.

The library behind the executable textbook of the same name. Layers are pure
functions with the CS231n contract (``*_forward -> (out, cache)``,
``*_backward(dout, cache) -> gradients``); models expose ``params`` and
``loss(X, y=None)``.

Import from the submodules, as in the course::

    from cs231nbook.layers import affine_forward, affine_backward
    from cs231nbook.gradient_check import eval_numerical_gradient_array, rel_error
    from cs231nbook.classifiers import FullyConnectedNet
"""

__version__ = "0.1.0"
