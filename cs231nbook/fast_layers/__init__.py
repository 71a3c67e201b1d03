"""Fast convolution and max pooling in pure NumPy (no Cython, no compiler).

Same signatures, input checks and results as the naive layers in
:mod:`cs231nbook.layers`, as in CS231n's ``fast_layers``:

- :func:`conv_forward_fast`, :func:`conv_backward_fast`: im2col plus a matrix
  product per chunk of images (module ``cs231nbook.fast_layers.conv``); the
  column matrix is capped in size by
  ``cs231nbook.fast_layers.columns.COLUMN_BUFFER_CAP_BYTES`` (set it on that
  module: it is read at every call);
- :func:`im2col`, :func:`col2im`: the column matrix of a padded batch and its
  adjoint, in textbook form (module ``cs231nbook.fast_layers.columns``);
- :func:`max_pool_forward_fast`, :func:`max_pool_backward_fast`: vectorized over
  windows (module ``cs231nbook.fast_layers.pool``).
"""

from .columns import col2im, im2col
from .conv import conv_backward_fast, conv_forward_fast
from .pool import MaxPoolFastCache, max_pool_backward_fast, max_pool_forward_fast

__all__ = [
    "MaxPoolFastCache",
    "col2im",
    "conv_backward_fast",
    "conv_forward_fast",
    "im2col",
    "max_pool_backward_fast",
    "max_pool_forward_fast",
]
