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
    assert np.array_equal(
        np.bincount(raw["labels"]), [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    )


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
    assert (DIGITS_SPLIT_SIZES["train"], DIGITS_SPLIT_SIZES["val"], DIGITS_SPLIT_SIZES["test"]) == (
        1197,
        300,
        300,
    )
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
        # the stored counts 0..16 come back exactly
        np.testing.assert_allclose(pixels, np.round(pixels), atol=1e-9)
        assert pixels.min() > -1e-9 and pixels.max() < 16 + 1e-9
    raw = load_raw_digits()
    np.testing.assert_allclose(
        mean[0], raw["images"][raw["split"] == 0].mean(axis=0) / 16, rtol=1e-12
    )


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
        ({"dtype": np.int64}, ValueError, "dtype must be np.float32 or np.float64.*int64"),
        ({"dtype": np.float16}, ValueError, "dtype must be np.float32 or np.float64.*float16"),
        ({"subtract_mean": 1}, TypeError, "subtract_mean must be True or False; got 1"),
    ],
)
def test_load_digits_validates_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        load_digits(**kwargs)


# --- CIFAR-10, from small files written in the official formats -----------------------------

import io  # noqa: E402
import os  # noqa: E402
import pickle  # noqa: E402
import struct  # noqa: E402
import warnings  # noqa: E402

from cs231nbook.data import CIFAR10_CLASSES, get_cifar10_data, load_cifar10  # noqa: E402
from cs231nbook.data._safe_pickle import safe_loads  # noqa: E402

PER_BATCH = 12  # the official batches hold 10,000 images; the format is the same
BATCH_NAMES = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]


class Py2Pickler(pickle._Pickler):
    """Writes what Python 2's cPickle wrote for the official batches (protocol 2).

    Python 2 ``str`` became SHORT_BINSTRING/BINSTRING (Python 3 would wrap bytes
    in a ``_codecs.encode`` call), and a NumPy array became
    ``numpy.core.multiarray._reconstruct(numpy.ndarray, (0,), 'b')`` followed
    by BUILD with ``(1, shape, numpy.dtype('u1', 0, 1), False, raw)``.
    """

    dispatch = pickle._Pickler.dispatch.copy()

    def save_py2_str(self, obj):
        n = len(obj)
        head = (
            pickle.SHORT_BINSTRING + bytes([n])
            if n < 256
            else pickle.BINSTRING + struct.pack("<i", n)
        )
        self.write(head + obj)
        self.memoize(obj)

    def save_ndarray(self, arr):
        self.write(pickle.GLOBAL + b"numpy.core.multiarray\n_reconstruct\n")
        self.write(pickle.MARK + pickle.GLOBAL + b"numpy\nndarray\n")
        self.save((0,))
        self.save(b"b")
        self.write(pickle.TUPLE + pickle.REDUCE)
        self.write(pickle.MARK)
        self.save(1)
        self.save(arr.shape)
        self.write(pickle.GLOBAL + b"numpy\ndtype\n")
        self.save((arr.dtype.str[1:].encode(), 0, 1))
        self.write(pickle.REDUCE)
        self.save((3, b"|", None, None, None, -1, -1, 0))
        self.write(pickle.BUILD)
        self.save(False)
        self.save(arr.tobytes())
        self.write(pickle.TUPLE + pickle.BUILD)

    dispatch[bytes] = save_py2_str
    dispatch[np.ndarray] = save_ndarray


def py2_pickle(obj) -> bytes:
    buffer = io.BytesIO()
    Py2Pickler(buffer, protocol=2).dump(obj)
    return buffer.getvalue()


def fake_batches(seed=0, n=PER_BATCH):
    rng = np.random.default_rng(seed)
    return {
        name: (
            rng.integers(0, 256, size=(n, 3072), dtype=np.uint8),
            rng.integers(0, 10, size=n).tolist(),
        )
        for name in BATCH_NAMES
    }


def write_python_version(directory, batches, overrides=None):
    directory.mkdir(parents=True, exist_ok=True)
    for name, (data, labels) in batches.items():
        content = {
            b"batch_label": f"{name} of 6".encode(),
            b"labels": labels,
            b"data": data,
            b"filenames": [f"img_{i}.png".encode() for i in range(len(labels))],
        }
        payload = (overrides or {}).get(name) or py2_pickle(content)
        (directory / name).write_bytes(payload)
    meta = {
        b"label_names": [c.encode() for c in CIFAR10_CLASSES],
        b"num_cases_per_batch": PER_BATCH,
        b"num_vis": 3072,
    }
    (directory / "batches.meta").write_bytes(py2_pickle(meta))


def write_binary_version(directory, batches):
    directory.mkdir(parents=True, exist_ok=True)
    for name, (data, labels) in batches.items():
        records = np.concatenate([np.asarray(labels, dtype=np.uint8)[:, None], data], axis=1)
        (directory / f"{name}.bin").write_bytes(records.tobytes())
    (directory / "batches.meta.txt").write_text("\n".join(CIFAR10_CLASSES) + "\n")


def expected_arrays(batches):
    X_train = np.concatenate([batches[n][0] for n in BATCH_NAMES[:5]]).reshape(-1, 3, 32, 32)
    y_train = np.concatenate([batches[n][1] for n in BATCH_NAMES[:5]])
    return (
        X_train,
        y_train,
        batches["test_batch"][0].reshape(-1, 3, 32, 32),
        np.array(batches["test_batch"][1]),
    )


def test_the_py2_pickle_writer_matches_what_numpy_itself_reads():
    data = np.arange(2 * 3072, dtype=np.uint8).reshape(2, 3072)
    payload = py2_pickle({b"data": data, b"labels": [3, 4]})
    with warnings.catch_warnings():
        # numpy.core is only a compatibility alias of numpy._core now
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            trusted = pickle.loads(payload, encoding="bytes")
        except (ModuleNotFoundError, AttributeError):  # a NumPy without the alias
            modern = payload.replace(b"numpy.core.multiarray", b"numpy._core.multiarray")
            trusted = pickle.loads(modern, encoding="bytes")
    np.testing.assert_array_equal(trusted[b"data"], data)
    assert safe_loads(payload)[b"labels"] == [3, 4]
    np.testing.assert_array_equal(safe_loads(payload)[b"data"], data)


@pytest.mark.parametrize("version", ["python", "binary"])
def test_load_cifar10_reads_both_official_versions(tmp_path, version):
    batches = fake_batches()
    writer, folder = {
        "python": (write_python_version, "cifar-10-batches-py"),
        "binary": (write_binary_version, "cifar-10-batches-bin"),
    }[version]
    writer(tmp_path / folder, batches)
    for root in (
        tmp_path,
        tmp_path / folder,
        str(tmp_path),
    ):  # the parent or the batch directory itself
        got = load_cifar10(root)
        for array, want in zip(got, expected_arrays(batches)):
            np.testing.assert_array_equal(array, want)
    X_train, y_train, X_test, y_test = got
    assert X_train.shape == (5 * PER_BATCH, 3, 32, 32) and X_train.dtype == np.uint8
    assert y_train.dtype == y_test.dtype == np.int64
    # the row layout: 1024 red values, then green, then blue, each image row by row
    assert X_test[1, 2, 3, 4] == batches["test_batch"][0][1, 2 * 1024 + 3 * 32 + 4]


def test_binary_version_is_preferred_and_layout_can_be_forced(tmp_path):
    batches = fake_batches()
    write_binary_version(tmp_path / "cifar-10-batches-bin", batches)
    write_python_version(tmp_path / "cifar-10-batches-py", fake_batches(seed=1))
    np.testing.assert_array_equal(load_cifar10(tmp_path)[0], expected_arrays(batches)[0])
    np.testing.assert_array_equal(
        load_cifar10(tmp_path, layout="python")[0], expected_arrays(fake_batches(seed=1))[0]
    )
    with pytest.raises(ValueError, match="layout must be one of"):
        load_cifar10(tmp_path, layout="png")


def test_get_cifar10_data_splits_and_centres_like_cs231n(tmp_path):
    batches = fake_batches()
    write_binary_version(tmp_path, batches)
    X_train, y_train, X_test, y_test = expected_arrays(batches)
    data = get_cifar10_data(tmp_path, num_training=40, num_validation=15, num_test=7)
    mean = X_train[:40].astype(np.float64).mean(axis=0)
    np.testing.assert_allclose(data["mean_image"], mean)
    np.testing.assert_allclose(data["X_train"], X_train[:40] - mean)
    np.testing.assert_allclose(data["X_val"], X_train[40:55] - mean)
    np.testing.assert_allclose(data["X_test"], X_test[:7] - mean)
    np.testing.assert_array_equal(data["y_val"], y_train[40:55])
    np.testing.assert_array_equal(data["y_test"], y_test[:7])
    assert data["X_train"].shape == (40, 3, 32, 32) and data["X_train"].dtype == np.float64

    plain = get_cifar10_data(
        tmp_path,
        num_training=10,
        num_validation=5,
        num_test=5,
        subtract_mean=False,
        dtype=np.float32,
    )
    assert plain["X_train"].dtype == np.float32 and np.all(plain["mean_image"] == 0)
    np.testing.assert_array_equal(plain["X_train"], X_train[:10].astype(np.float32))


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (
            {"num_training": 50, "num_validation": 11},
            ValueError,
            "num_training \\+ num_validation = 50 \\+ 11 exceeds the 60 training images",
        ),
        (
            {"num_training": 5, "num_validation": 5, "num_test": 13},
            ValueError,
            "num_test = 13 exceeds the 12 test images",
        ),
        ({"num_training": 0}, ValueError, "num_training must be a positive integer"),
        (
            {"num_training": 5, "num_validation": 5, "num_test": 5, "dtype": np.uint8},
            ValueError,
            "dtype must be np.float32 or np.float64.*uint8",
        ),
        (
            {"num_training": 5, "num_validation": 5, "num_test": 5, "subtract_mean": "no"},
            TypeError,
            "subtract_mean must be True or False",
        ),
    ],
)
def test_get_cifar10_data_validates_arguments(tmp_path, kwargs, error, message):
    write_binary_version(tmp_path, fake_batches())
    with pytest.raises(error, match=message):
        get_cifar10_data(tmp_path, **kwargs)


def test_no_batches_found(tmp_path):
    with pytest.raises(
        FileNotFoundError,
        match="no CIFAR-10 batches found under .*data_batch_1.bin or data_batch_1",
    ):
        load_cifar10(tmp_path)
    with pytest.raises(TypeError, match="root must be a path"):
        load_cifar10(3)


@pytest.mark.parametrize("version", ["python", "binary"])
def test_missing_batch_is_named(tmp_path, version):
    (write_python_version if version == "python" else write_binary_version)(
        tmp_path, fake_batches()
    )
    os.remove(tmp_path / ("data_batch_3" if version == "python" else "data_batch_3.bin"))
    with pytest.raises(FileNotFoundError, match="CIFAR-10 batch data_batch_3(.bin)? is missing"):
        load_cifar10(tmp_path)


def test_truncated_binary_batch_is_named(tmp_path):
    write_binary_version(tmp_path, fake_batches())
    path = tmp_path / "data_batch_4.bin"
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(
        ValueError,
        match="data_batch_4.bin is corrupt: 36776 bytes is not a whole number of 3073-byte",
    ):
        load_cifar10(tmp_path)


def test_batch_with_fewer_images_is_named(tmp_path):
    batches = fake_batches()
    data, labels = batches["data_batch_2"]
    batches["data_batch_2"] = (data[:-3], labels[:-3])
    write_binary_version(tmp_path, batches)
    with pytest.raises(
        ValueError,
        match=r"same number of images \(12 in most here\); truncated or corrupt: "
        r"data_batch_2 \(9 images\)",
    ):
        load_cifar10(tmp_path)


@pytest.mark.parametrize("version", ["python", "binary"])
def test_label_out_of_range_is_named(tmp_path, version):
    batches = fake_batches()
    batches["test_batch"][1][5] = 10
    (write_python_version if version == "python" else write_binary_version)(tmp_path, batches)
    with pytest.raises(
        ValueError, match="batch test_batch(.bin)? holds the label 10; labels must be in 0..9"
    ):
        load_cifar10(tmp_path)


@pytest.mark.parametrize(
    "content, message",
    [
        (
            {b"data": np.zeros((12, 3000), np.uint8), b"labels": [0] * 12},
            r"'data' must be a uint8 array of shape \(N, 3072\); got uint8 array of shape \(12, 3000\)",
        ),
        (
            {b"data": np.zeros((12, 3072), np.int64), b"labels": [0] * 12},
            "'data' must be a uint8 array",
        ),
        ({b"data": np.zeros((12, 3072), np.uint8)}, r"lacks the key\(s\) \['labels'\]"),
        (
            {b"data": np.zeros((12, 3072), np.uint8), b"labels": [0] * 11},
            "has 12 images but 11 labels",
        ),
        (
            {b"data": np.zeros((12, 3072), np.uint8), b"labels": [b"cat"] * 12},
            "'labels' must be a list of integers",
        ),
        ([1, 2, 3], "must hold a dict; got list"),
    ],
)
def test_malformed_python_batch_is_named(tmp_path, content, message):
    write_python_version(tmp_path, fake_batches(), overrides={"data_batch_5": py2_pickle(content)})
    with pytest.raises(ValueError, match="CIFAR-10 batch data_batch_5.*" + message):
        load_cifar10(tmp_path)


def test_truncated_pickle_is_named(tmp_path):
    payload = py2_pickle({b"data": fake_batches()["data_batch_1"][0], b"labels": [0] * PER_BATCH})
    write_python_version(
        tmp_path, fake_batches(), overrides={"data_batch_1": payload[: len(payload) // 2]}
    )
    with pytest.raises(
        ValueError, match="CIFAR-10 batch data_batch_1 is corrupt: not a readable pickle"
    ):
        load_cifar10(tmp_path)


class OpensAFile:
    """A payload that creates ``path`` when unpickled by a trusting reader."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


class RunsAShellCommand:
    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (os.system, (f"touch {self.path}",))


@pytest.mark.parametrize("protocol", ["python2", 2, pickle.HIGHEST_PROTOCOL])
@pytest.mark.parametrize(
    "payload_class, refused", [(OpensAFile, "open"), (RunsAShellCommand, "system")]
)
def test_malicious_pickle_is_refused_without_running(tmp_path, payload_class, refused, protocol):
    marker = tmp_path / "pwned"
    if protocol == "python2":
        evil = py2_pickle({b"data": payload_class(marker), b"labels": []})
    else:  # a Python 3 pickle: str keys, so that the payload is the first global the reader meets
        evil = pickle.dumps({"data": payload_class(marker), "labels": []}, protocol=protocol)
    write_python_version(tmp_path / "cifar", fake_batches(), overrides={"data_batch_2": evil})
    with pytest.raises(
        pickle.UnpicklingError,
        match=f"data_batch_2 refused: refusing to load the global [a-z_.]*{refused}:",
    ):
        load_cifar10(tmp_path / "cifar")
    assert not marker.exists()


def test_the_malicious_payload_is_real(tmp_path):
    marker = tmp_path / "pwned"
    pickle.loads(pickle.dumps(OpensAFile(marker)))  # a trusting reader runs it: the marker appears
    assert marker.exists()


@pytest.mark.parametrize(
    "dtype_code, state, message",
    [
        (b"O", (3, b"|", None, None, None, -1, -1, 0), "refusing dtype 'O'"),
        (b"V8", (3, b"|", None, (b"a",), {b"a": 1}, 8, 1, 0), "refusing dtype 'V8'"),
        (b"u1", (3, b"|", None, (b"a",), None, 1, 1, 0), "refusing a structured dtype"),
    ],
)
def test_array_reconstruction_only_builds_plain_numeric_arrays(dtype_code, state, message):
    class Handcrafted(Py2Pickler):
        dispatch = Py2Pickler.dispatch.copy()

        def save_ndarray(self, arr):
            self.write(pickle.GLOBAL + b"numpy.core.multiarray\n_reconstruct\n")
            self.write(pickle.MARK + pickle.GLOBAL + b"numpy\nndarray\n")
            self.save((0,))
            self.save(b"b")
            self.write(pickle.TUPLE + pickle.REDUCE + pickle.MARK)
            self.save(1)
            self.save(arr.shape)
            self.write(pickle.GLOBAL + b"numpy\ndtype\n")
            self.save((dtype_code, 0, 1))
            self.write(pickle.REDUCE)
            self.save(state)
            self.write(pickle.BUILD)
            self.save(False)
            self.save(arr.tobytes())
            self.write(pickle.TUPLE + pickle.BUILD)

        dispatch[np.ndarray] = save_ndarray

    buffer = io.BytesIO()
    Handcrafted(buffer, protocol=2).dump({b"data": np.zeros(8, np.uint8)})
    with pytest.raises(pickle.UnpicklingError, match=message):
        safe_loads(buffer.getvalue())


def test_array_size_must_match_its_bytes():
    payload = py2_pickle({b"data": np.zeros((2, 4), np.uint8)})
    forged = payload.replace(b"K\x02K\x04\x86", b"K\x02K\x05\x86")  # claim shape (2, 5) for 8 bytes
    assert forged != payload
    with pytest.raises(
        pickle.UnpicklingError,
        match=r"shape \(2, 5\) and dtype uint8 needs 10 bytes; the stream holds 8",
    ):
        safe_loads(forged)
