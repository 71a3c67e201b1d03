import numpy as np
from gradcheck_helpers import check_backward

from cs231nbook.layer_utils import affine_relu_backward, affine_relu_forward


def test_affine_relu_backward_matches_numeric():
    rng = np.random.default_rng(13)
    x, w, b = rng.standard_normal((2, 3, 4)), rng.standard_normal((12, 10)), rng.standard_normal(10)
    check_backward(affine_relu_forward, affine_relu_backward, [x, w, b], threshold=1e-7)
