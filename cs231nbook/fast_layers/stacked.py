"""The stacked column layout the fast convolution runs on, and its chunking.

The stacked layout. A chunk of ``n`` images is copied, channel after channel and
image after image, into one flat zero-padded buffer in which neighbours *share*
their padding: a row's right padding is the next row's left padding, and an
image's bottom padding rows are the next image's top padding rows. A row then
takes ``row_pitch = W + pad`` entries and an image ``R = H + pad`` rows of
them (its *pitch*, ``R * row_pitch`` entries). With stride 1 the convolution is
computed at every position of that grid, ``R x row_pitch`` per image rather
than the ``H_out x W_out`` real ones: the extra positions (windows that run off
the right edge into the next row, or off the bottom into the next image) are
junk, which the forward pass drops and the backward pass multiplies by a zero
``dout``. In exchange, entry ``(p, q)`` of every window of every image and
channel is one contiguous slice, ``buffer[p*row_pitch + q :][: C*n*pitch]``,
so im2col is ``HH * WW`` plain copies and col2im ``HH * WW`` plain additions of
long arrays, several times faster than copying short rows. With a larger
stride only the real positions are computed, each offset a strided view of the
same buffer. The rows of the column matrix are ordered ``(p, q, c)`` (the rows
of one offset are adjacent) and the filters are flattened in that order.

Memory. The column matrix of one image is about ``HH * WW / stride**2`` times
the image. The fast convolution processes the batch in chunks of whole images
whose columns take about :data:`CHUNK_BYTES` (small enough to stay in the CPU
cache between the copy and the matrix product, which is faster than one big
chunk) and never more than a cap, :data:`DEFAULT_COLUMN_CAP_BYTES` unless the
caller passes ``column_cap_bytes`` to
:func:`~cs231nbook.fast_layers.conv_forward_fast` or
:func:`~cs231nbook.fast_layers.conv_backward_fast`.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from .im2col import window_entry

__all__ = [
    "CHUNK_BYTES",
    "DEFAULT_COLUMN_CAP_BYTES",
    "StackedColumns",
    "chunks",
    "images_per_chunk",
]

#: Default upper bound in bytes on the column matrix (and on its gradient) that
#: the fast convolution holds at once, 256 MiB, however large the batch. A
#: single image whose columns alone exceed the bound is still processed (alone).
#: Pass ``column_cap_bytes=`` to the fast convolution for another bound.
DEFAULT_COLUMN_CAP_BYTES: int = 256 * 2**20

#: Preferred size of one chunk's column matrix in bytes, 1 MiB. Chunks this
#: small stay in the CPU cache from the copy to the matrix product to col2im,
#: which measured faster than whole-batch chunks; on the 3-channel first layer
#: of the benchmark, 1 MiB chunks took 0.89 and 0.93 times the time of 2 MiB chunks
#: (medians of two interleaved runs, float32, 1 thread). The chunk is the smaller of this
#: and the cap.
CHUNK_BYTES: int = 2**20


def images_per_chunk(bytes_per_image: int, cap_bytes: int = DEFAULT_COLUMN_CAP_BYTES) -> int:
    """Images per chunk: as many as fit in ``min(CHUNK_BYTES, cap_bytes)``, at least 1."""
    budget = min(CHUNK_BYTES, cap_bytes)
    return max(1, budget // max(1, bytes_per_image))


def chunks(n: int, size: int) -> Iterator[slice]:
    """Slices ``[0:size], [size:2*size], ...`` covering ``range(n)``."""
    for start in range(0, n, size):
        yield slice(start, min(start + size, n))


class StackedColumns:
    """The layout the fast convolution runs on, for one geometry.

    A chunk of ``n`` images is copied, channel after channel and image after
    image, into one flat zero-padded buffer in which neighbouring rows and
    images share their padding. With stride 1 the convolution is computed at
    every position of the buffer's grid (junk positions included), so that
    entry ``(p, q)`` of every window is one contiguous slice of the buffer:
    im2col and col2im become ``HH * WW`` plain copies or additions. The
    chapter *Fast layers* pictures it.

    Parameters
    ----------
    C, H, W : int
        Channels, height and width of an input image.
    HH, WW : int
        Kernel height and width.
    stride, pad : int
        As in ``conv_param``; the windows must tile the padded input.

    Attributes
    ----------
    row_pitch : int
        Entries per row of the buffer: ``W + pad`` (a row's right padding is
        the next row's left padding), more if the output is wider than that
        (``pad > WW - 1``).
    R : int
        Rows that one image takes in the buffer: ``H + pad`` (the padding
        between two images is shared), more if the output is taller.
    pitch : int
        ``R * row_pitch``: the distance between two images in the buffer.
    rows, cols : int
        The grid of positions computed per image: ``(R, row_pitch)`` for
        stride 1 (junk included), ``(H_out, W_out)`` otherwise.
    M : int
        ``rows * cols``: columns of the column matrix per image.
    K : int
        ``C * HH * WW``: rows of the column matrix, ordered ``(p, q, c)``.
    """

    def __init__(self, C: int, H: int, W: int, HH: int, WW: int, stride: int, pad: int):
        self.C, self.H, self.W, self.HH, self.WW = C, H, W, HH, WW
        self.stride, self.pad = stride, pad
        self.H_pad, self.W_pad = H + 2 * pad, W + 2 * pad
        self.H_out = (self.H_pad - HH) // stride + 1
        self.W_out = (self.W_pad - WW) // stride + 1
        # Row r of image k starts at k * pitch + r * row_pitch, with its pad zeros first. A
        # window reads pad + W + pad entries of a row from there, so as long as the rows are
        # at least W + pad long, a row's right padding is the next row's left padding. Same
        # for images: image k's windows read H + 2*pad rows, which stay clear of image k+1's
        # pixels when an image takes at least H + pad rows. And stride 1 computes a whole
        # grid of rows x row_pitch positions per image, which must hold the H_out x W_out
        # real ones.
        self.row_pitch = max(W + pad, self.W_pad - WW + 1)
        self.R = max(H + pad, self.H_pad - HH + 1)
        self.pitch = self.R * self.row_pitch
        self.rows, self.cols = (self.R, self.row_pitch) if stride == 1 else (self.H_out, self.W_out)
        self.M = self.rows * self.cols
        self.K = C * HH * WW

    def buffer_length(self, n: int) -> int:
        """Entries of the buffer of ``n`` images: the images, plus a padded image's worth of
        slack that the last windows (junk ones included) may read."""
        return self.C * n * self.pitch + (self.H_pad + 1) * self.W_pad

    def _pixels(self, buffer: np.ndarray, n: int) -> np.ndarray:
        """The unpadded pixels of ``n`` images inside ``buffer``: a view of shape (C, n, H, W)."""
        start = self.pad * self.row_pitch
        grid = buffer[start : start + self.C * n * self.pitch].reshape(
            self.C, n, self.R, self.row_pitch
        )
        return grid[:, :, : self.H, self.pad : self.pad + self.W]  # (C, n, H, W)

    def stack(self, x: np.ndarray, buffer: np.ndarray) -> np.ndarray:
        """Copy the images ``x`` of shape ``(n, C, H, W)`` into ``buffer``; return it.

        ``buffer`` (1-D, at least :meth:`buffer_length` long) must hold zeros
        outside the pixels: a fresh zero buffer, or one last filled by this
        method with the same ``n`` (only the pixels are written).
        """
        self._pixels(buffer, x.shape[0])[...] = x.transpose(
            1, 0, 2, 3
        )  # (n, C, H, W) -> (C, n, H, W)
        return buffer

    def unstack(self, buffer: np.ndarray, out: np.ndarray) -> np.ndarray:
        """Inverse of :meth:`stack`: write the pixels of ``buffer`` into ``out`` of shape (n, C, H, W)."""
        out[...] = self._pixels(buffer, out.shape[0]).transpose(
            1, 0, 2, 3
        )  # (C, n, H, W) -> (n, C, H, W)
        return out

    def offset(self, buffer: np.ndarray, n: int, p: int, q: int) -> np.ndarray:
        """Entry ``(p, q)`` of every window of ``n`` images: a view of ``buffer``.

        For stride 1, the contiguous slice of length ``C * n * M``; otherwise
        a strided view of shape ``(C, n, H_out, W_out)``. No two windows share
        an entry, so the view may be added to.
        """
        start = p * self.row_pitch + q
        run = buffer[start : start + self.C * n * self.pitch]  # (C*n*pitch,)
        if self.stride == 1:
            return run
        grid = run.reshape(
            self.C, n, self.R, self.row_pitch
        )  # (C, n, R, row_pitch), from (p, q) on
        return window_entry(grid, 0, 0, self.stride, self.H_out, self.W_out)  # (C, n, H_out, W_out)

    def im2col(self, buffer: np.ndarray, n: int, out: np.ndarray) -> np.ndarray:
        """The column matrix ``out`` of shape ``(K, n*M)`` of a stacked buffer of ``n`` images.

        Row ``(p, q, c)``, column ``(k, i, j)`` holds the padded pixel
        ``(k, c, i*stride + p, j*stride + q)`` (junk when ``i >= H_out`` or
        ``j >= W_out``).
        """
        blocks = out.reshape(
            self.HH, self.WW, self.C, n, self.rows, self.cols
        )  # (HH, WW, C, n, rows, cols)
        for p in range(self.HH):
            for q in range(self.WW):
                blocks[p, q] = self.offset(buffer, n, p, q).reshape(self.C, n, self.rows, self.cols)
        return out

    def col2im(self, cols: np.ndarray, n: int, out: np.ndarray) -> np.ndarray:
        """Adjoint of :meth:`im2col`: add every column of ``cols`` onto the pixel it came from.

        ``out`` (1-D, :meth:`buffer_length` long) is overwritten. One strided
        addition per kernel offset ``(p, q)``: within one offset no two
        windows touch the same entry, so a vectorized ``+=`` is exact, and
        overlapping windows are summed across offsets (``np.add.at``, which
        handles collisions, is several times slower). Junk columns must be
        zero, or they add into their neighbours' padding and pixels.
        """
        blocks = cols.reshape(
            self.HH, self.WW, self.C, n, self.rows, self.cols
        )  # (HH, WW, C, n, rows, cols)
        if self.stride == 1:
            # Offset (0, 0) covers the first C*n*pitch entries: copy it rather than add it to zeros.
            size = self.C * n * self.pitch
            out[:size] = blocks[0, 0].reshape(size)
            out[size:] = 0
        else:
            out.fill(0)
        for p in range(self.HH):
            for q in range(self.WW):
                if self.stride == 1 and p == q == 0:
                    continue
                target = self.offset(out, n, p, q)
                target += blocks[p, q].reshape(target.shape)
        return out

    def crop(self, product: np.ndarray, n: int) -> np.ndarray:
        """The real outputs of a product ``(F, n*M)`` laid out like the columns: a view (F, n, H_out, W_out)."""
        grid = product.reshape(product.shape[0], n, self.rows, self.cols)  # (F, n, rows, cols)
        return grid[:, :, : self.H_out, : self.W_out]  # junk dropped


class ChunkPlan:
    """The chunk loop of the fast convolution: the stacked layout of one geometry, how many
    images go into a chunk under the cap, and the buffers of a chunk.

    Parameters
    ----------
    x_shape : tuple (N, C, H, W)
    w_shape : tuple (F, C, HH, WW)
    stride, pad : int
    dtype : numpy dtype
        Of the computation.
    cap_bytes : int
        Upper bound on one chunk's column matrix (see ``images_per_chunk``).

    Iterating over a plan gives the slices of the batch, chunk by chunk.
    """

    def __init__(
        self,
        x_shape,
        w_shape,
        stride: int,
        pad: int,
        dtype: np.dtype,
        cap_bytes: int = DEFAULT_COLUMN_CAP_BYTES,
    ) -> None:
        N, C, H, W = x_shape
        F, _, HH, WW = w_shape
        self.layout = StackedColumns(C, H, W, HH, WW, stride, pad)
        self.N, self.F, self.dtype = N, F, dtype
        bytes_per_image = self.layout.K * self.layout.M * dtype.itemsize
        self.per_chunk = max(1, min(N, images_per_chunk(bytes_per_image, cap_bytes)))

    def __iter__(self):
        """Slices of the batch, chunk by chunk."""
        return chunks(self.N, self.per_chunk)

    def buffer(self, n: int) -> np.ndarray:
        """A zeroed stacked buffer for chunks of ``n`` images."""
        return np.zeros(self.layout.buffer_length(n), dtype=self.dtype)

    def matrix(self, rows: int, n: int) -> np.ndarray:
        """An uninitialized ``(rows, n*M)`` matrix, laid out like the columns of ``n`` images."""
        return np.empty((rows, n * self.layout.M), dtype=self.dtype)

    def filter_rows(self, w: np.ndarray) -> np.ndarray:
        """The filters flattened in the columns' row order ``(p, q, c)``: shape (F, HH*WW*C)."""
        return w.transpose(0, 2, 3, 1).reshape(self.F, self.layout.K).astype(self.dtype, copy=False)
