"""Fast convolution and max pooling in pure NumPy (no Cython, no compiler).

Same signatures, input checks and results as the naive layers in
:mod:`cs231nbook.layers`, as in CS231n's ``fast_layers``:

- :func:`conv_forward_fast`, :func:`conv_backward_fast`: im2col plus a matrix
  product per chunk of images (module ``cs231nbook.fast_layers.conv``), or
  Winograd where it is faster (:func:`choose_conv_algorithm` says which; the
  ``algorithm=`` argument forces one); the column matrix is processed in
  chunks under a cap (the ``column_cap_bytes=`` argument, 256 MiB by default;
  the layout and the chunking are in ``cs231nbook.fast_layers.stacked``);
- :func:`conv_forward_winograd`, :func:`conv_backward_winograd`: 3x3
  convolution with stride 1 by Winograd's minimal filtering F(2x2, 3x3) or
  F(4x4, 3x3) (module ``cs231nbook.fast_layers.winograd``; the exact transform
  matrices are in ``cs231nbook.fast_layers.winograd_transforms``);
- :func:`im2col`, :func:`col2im`: the column matrix of a padded batch and its
  adjoint, in textbook form (module ``cs231nbook.fast_layers.im2col``);
- :func:`max_pool_forward_fast`, :func:`max_pool_backward_fast`: vectorized over
  windows (module ``cs231nbook.fast_layers.pool``).
"""

from .conv import choose_conv_algorithm, conv_backward_fast, conv_forward_fast
from .im2col import col2im, im2col
from .pool import MaxPoolFastCache, max_pool_backward_fast, max_pool_forward_fast
from .winograd import WinogradCache, conv_backward_winograd, conv_forward_winograd

__all__ = [
    "MaxPoolFastCache",
    "WinogradCache",
    "choose_conv_algorithm",
    "col2im",
    "conv_backward_fast",
    "conv_backward_winograd",
    "conv_forward_fast",
    "conv_forward_winograd",
    "im2col",
    "max_pool_backward_fast",
    "max_pool_forward_fast",
]
