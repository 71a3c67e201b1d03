"""``cs231n.fast_layers``: cs231nbook's pure-NumPy fast layers under the starter's names.

The starter compiles a Cython extension for these; nothing needs compiling here. Its
alternative implementations (``*_strides``, ``*_im2col``, ``*_reshape``) all name the
same fast layers.
"""

from cs231nbook.fast_layers import (
    conv_backward_fast,
    conv_forward_fast,
    max_pool_backward_fast,
    max_pool_forward_fast,
)

conv_forward_im2col = conv_forward_strides = conv_forward_fast
conv_backward_im2col = conv_backward_strides = conv_backward_fast
max_pool_forward_reshape = max_pool_forward_im2col = max_pool_forward_fast
max_pool_backward_reshape = max_pool_backward_im2col = max_pool_backward_fast

__all__ = [
    "conv_backward_fast",
    "conv_backward_im2col",
    "conv_backward_strides",
    "conv_forward_fast",
    "conv_forward_im2col",
    "conv_forward_strides",
    "max_pool_backward_fast",
    "max_pool_backward_im2col",
    "max_pool_backward_reshape",
    "max_pool_forward_fast",
    "max_pool_forward_im2col",
    "max_pool_forward_reshape",
]
