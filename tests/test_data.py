import hashlib

import numpy as np
import pytest

from cs231nbook.data import DIGITS_SHA256, DIGITS_SPLIT_SIZES, load_digits
from cs231nbook.data.digits import digits_path, load_raw_digits

# Pinned here as well as in the package, so that replacing the file needs a deliberate change in both.
EXPECTED_DIGITS_SHA256 = "49e8c9e60909d90f2cfc6df7589b32bf1181e878faa9a2fde1951ee28be046ef"


# --- the bundled digits ---------------------------------------------------------------------

def test_bundled_digits_file_has_the_recorded_checksum():
    digest = hashlib.sha256(digits_path().read_bytes()).hexdigest()
    assert digest == EXPECTED_DIGITS_SHA256 == DIGITS_SHA256


def test_bundled_file_holds_raw_pixel_counts():
    raw = load_raw_digits()
    assert raw["images"].shape == (1797, 8, 8) and raw["images"].dtype == np.uint8
    assert raw["images"].max() == 16
    assert raw["labels"].shape == raw["split"].shape == (1797,)
    assert np.array_equal(np.bincount(raw["labels"]), [178, 182, 177, 183, 181, 182, 181, 179, 174, 180])


def test_damaged_file_is_refused(monkeypatch, tmp_path):
    copy = tmp_path / "digits.npz"
    data = bytearray(digits_path().read_bytes())
    data[1000] ^= 1
    copy.write_bytes(bytes(data))
    monkeypatch.setattr("cs231nbook.data.digits.digits_path", lambda: copy)
    with pytest.raises(OSError, match="the bundled digits.npz is damaged"):
        load_digits()


def test_load_digits_shapes_dtypes_and_split_sizes():
    data = load_digits()
    for part, size in DIGITS_SPLIT_SIZES.items():
        X, y = data[f"X_{part}"], data[f"y_{part}"]
        assert X.shape == (size, 1, 8, 8) and X.dtype == np.float64
        assert y.shape == (size,) and y.dtype == np.int64
    assert (DIGITS_SPLIT_SIZES["train"], DIGITS_SPLIT_SIZES["val"], DIGITS_SPLIT_SIZES["test"]) == (1197, 300, 300)
    assert data["mean_image"].shape == (1, 8, 8)


def test_split_is_stratified_and_a_partition():
    data = load_digits()
    assert np.array_equal(np.bincount(data["y_val"]), [30] * 10)
    assert np.array_equal(np.bincount(data["y_test"]), [30] * 10)
    split = load_raw_digits()["split"]
    assert set(np.unique(split)) == {0, 1, 2}
    assert sum(len(data[f"y_{p}"]) for p in ("train", "val", "test")) == 1797


def test_scaling_and_training_mean_subtraction():
    data = load_digits()
    mean = data["mean_image"]
    np.testing.assert_allclose(data["X_train"].mean(axis=0), 0, atol=1e-12)
    for part in ("train", "val", "test"):
        pixels = (data[f"X_{part}"] + mean) * 16
        np.testing.assert_allclose(pixels, np.round(pixels), atol=1e-9)  # counts 0..16, undone exactly
        assert pixels.min() > -1e-9 and pixels.max() < 16 + 1e-9
    raw = load_raw_digits()
    np.testing.assert_allclose(mean[0], raw["images"][raw["split"] == 0].mean(axis=0) / 16, rtol=1e-12)


def test_without_mean_subtraction():
    data = load_digits(subtract_mean=False)
    assert np.all(data["mean_image"] == 0)
    assert data["X_val"].min() == 0 and data["X_val"].max() == 1


def test_float32_matches_float64():
    d32, d64 = load_digits(dtype=np.float32), load_digits()
    assert d32["X_train"].dtype == d32["mean_image"].dtype == np.float32
    np.testing.assert_allclose(d32["X_test"], d64["X_test"], rtol=0, atol=1e-6)


def test_each_call_returns_fresh_arrays():
    first = load_digits()
    first["X_train"][:] = 0
    first["y_train"][:] = 0
    second = load_digits()
    assert np.abs(second["X_train"]).sum() > 0 and second["y_train"].max() == 9


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"dtype": np.int64}, ValueError, "dtype must be one of"),
        ({"dtype": np.float16}, ValueError, "dtype must be one of"),
        ({"subtract_mean": 1}, TypeError, "subtract_mean must be True or False; got 1"),
    ],
)
def test_load_digits_validates_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        load_digits(**kwargs)
