"""cs231nbook.checkpoint: atomic writes, all-or-nothing reads, architecture checks."""

import hashlib
import io
import json
import os
import zipfile

import numpy as np
import pytest
from training_data import blobs

from cs231nbook import checkpoint as ck
from cs231nbook.checkpoint import load_checkpoint, read_checkpoint, write_archive
from cs231nbook.classifiers import DeepConvNet, FullyConnectedNet, TwoLayerNet
from cs231nbook.solver import Solver


def bn_model(seed=0, **kwargs):
    settings_ = dict(
        input_dim=4, num_classes=3, normalization="batchnorm", weight_scale=0.3, dtype=np.float64
    )
    settings_.update(kwargs)
    return FullyConnectedNet([8], seed=seed, **settings_)


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A checkpoint of a batch-norm net trained one epoch with momentum: (path, bytes)."""
    solver = Solver(
        bn_model(),
        blobs(),
        update_rule="sgd_momentum",
        optim_config={"learning_rate": 0.05},
        batch_size=20,
        num_epochs=1,
        verbose=False,
        seed=0,
    )
    solver.train()
    path = tmp_path_factory.mktemp("ck") / "good.npz"
    solver.save_checkpoint(path)
    return path, path.read_bytes()


def members(path):
    with np.load(path, allow_pickle=False) as archive:
        return {name: archive[name] for name in archive.files}


def fresh_model():
    """A model of the same architecture, with running statistics, to load into."""
    model = bn_model(seed=7)
    data = blobs()
    model.loss(data["X_train"][:5], data["y_train"][:5])
    return model


def snapshot(model):
    return {k: v.copy() for k, v in model.params.items()}, model.get_state()


def assert_untouched(model, before):
    params, state = before
    for name, value in params.items():
        np.testing.assert_array_equal(model.params[name], value)
    for key, value in state.items():
        np.testing.assert_array_equal(model.get_state()[key], value)


def assert_refused(path, pattern=None):
    """load_checkpoint raises ValueError naming the file and leaves the model untouched."""
    model = fresh_model()
    before = snapshot(model)
    with pytest.raises(ValueError) as info:
        load_checkpoint(path, model)
    message = str(info.value)
    assert os.fspath(path) in message
    if pattern is not None:
        assert pattern in message, message
    assert_untouched(model, before)
    return message


# --- round trip -------------------------------------------------------------------------------


def test_round_trip_restores_parameters_and_state(saved):
    path, _ = saved
    model = fresh_model()
    ckpt = load_checkpoint(path, model)
    for name, value in ckpt.params.items():
        np.testing.assert_array_equal(model.params[name], value)
    state = model.get_state()
    assert set(state) == {"bn_params.0.running_mean", "bn_params.0.running_var"}
    for key, value in ckpt.state.items():
        np.testing.assert_array_equal(state[key], value)
    assert ckpt.model["class"] == "FullyConnectedNet"
    assert ckpt.model["architecture"]["normalization"] == "batchnorm"
    assert ckpt.rng_states is not None and set(ckpt.rng_states) == {"batch", "eval"}
    assert ckpt.target_epoch is None  # saved after train() returned


def test_no_pickle_needed(saved):
    path, _ = saved
    with np.load(path, allow_pickle=False) as archive:
        assert "meta" in archive.files and all(
            not archive[name].dtype.hasobject for name in archive.files
        )


# --- damaged files: truncation and flipped bytes (property tests) -------------------------------


# Seeded loops rather than hypothesis (not a dependency of the package's test extra).
OFFSETS = np.random.default_rng(12).random(150)


@pytest.mark.parametrize("chunk", range(3))
def test_truncated_anywhere_is_refused(saved, tmp_path, chunk):
    path, raw = saved
    bad = tmp_path / "cut.npz"
    for fraction in OFFSETS[chunk::3]:
        bad.write_bytes(raw[: int(fraction * len(raw))])
        assert_refused(bad)


def test_truncated_at_every_100th_byte_is_refused(saved, tmp_path):
    path, raw = saved
    bad = tmp_path / "cut.npz"
    for cut in list(range(0, len(raw), 100)) + [len(raw) - 1]:
        bad.write_bytes(raw[:cut])
        with pytest.raises(ValueError, match="cannot load checkpoint"):
            read_checkpoint(bad)


@pytest.mark.parametrize("chunk", range(3))
def test_a_flipped_byte_anywhere_is_refused(saved, tmp_path, chunk):
    path, raw = saved
    rng = np.random.default_rng(chunk)
    bad = tmp_path / "flip.npz"
    for position in rng.integers(0, len(raw), size=60):
        data = bytearray(raw)
        data[position] ^= int(rng.integers(1, 256))
        bad.write_bytes(bytes(data))
        assert_refused(bad)


def test_flips_in_zip_metadata_are_refused_too(saved, tmp_path):
    # timestamps and attributes in the zip headers do not change any array, yet the file differs
    path, raw = saved
    central = raw.rindex(b"PK\x01\x02")  # the last central-directory entry
    for offset in (central + 12, central + 38, 10, 12):  # mod time, external attrs, local time
        data = bytearray(raw)
        data[offset] ^= 0x01
        (tmp_path / "x.npz").write_bytes(bytes(data))
        assert_refused(tmp_path / "x.npz", "checksum does not match")


def test_empty_file_and_foreign_files(tmp_path):
    (tmp_path / "empty.npz").write_bytes(b"")
    assert_refused(tmp_path / "empty.npz", "empty")
    np.save(tmp_path / "array.npy", np.ones(3))
    os.replace(tmp_path / "array.npy", tmp_path / "renamed.npz")
    assert_refused(tmp_path / "renamed.npz", "single .npy array")
    np.savez(tmp_path / "other.npz", a=np.ones(2))
    assert_refused(tmp_path / "other.npz", "not a cs231nbook checkpoint")
    (tmp_path / "text.npz").write_text("hello")
    assert_refused(tmp_path / "text.npz", "not an .npz")


def test_missing_file_is_an_oserror(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_checkpoint(tmp_path / "nowhere.npz")


# --- tampered files: re-sealed, so only the structural checks can catch them ----------------------


def retamper(tmp_path, saved, change):
    arrays = members(saved[0])
    change(arrays)
    bad = tmp_path / "tampered.npz"
    write_archive(bad, arrays)
    return bad


def change_meta(edit):
    def change(arrays):
        meta = json.loads(str(arrays["meta"]))
        edit(meta)
        arrays["meta"] = np.array(json.dumps(meta))

    return change


META_KEYS = [
    "format",
    "version",
    "epoch",
    "iteration",
    "target_epoch",
    "best_val_acc",
    "hyperparameters",
    "optim_scalars",
    "rng_states",
    "model",
    "data",
    "members",
]


@pytest.mark.parametrize("key", META_KEYS)
def test_missing_metadata_key_is_refused(tmp_path, saved, key):
    bad = retamper(tmp_path, saved, change_meta(lambda meta: meta.pop(key)))
    message = assert_refused(bad)
    assert repr(key) in message


@pytest.mark.parametrize("key", META_KEYS)
def test_metadata_of_the_wrong_type_is_refused(tmp_path, saved, key):
    def edit(meta):
        meta[key] = "3" if not isinstance(meta[key], str) else 3

    assert_refused(retamper(tmp_path, saved, change_meta(edit)), repr(key))


def test_every_missing_member_is_refused(tmp_path, saved):
    names = [name for name in members(saved[0]) if name != "meta"]
    assert any(name.startswith("optim/") for name in names)
    for name in names:
        bad = retamper(tmp_path, saved, lambda arrays, name=name: arrays.pop(name))
        assert_refused(bad, name)


@pytest.mark.parametrize(
    "change, fact",
    [
        (lambda a: a.__setitem__("params/W7", a.pop("params/W1")), "params/W7"),
        (lambda a: a.__setitem__("extra", np.zeros(2)), "extra"),
        (lambda a: a.__setitem__("meta", np.array("{not json")), "not valid JSON"),
        (lambda a: a.__setitem__("meta", np.array([1.0])), "'meta'"),
        (lambda a: a.__setitem__("loss_history", a["loss_history"][:-1]), "losses for"),
        (lambda a: a.__setitem__("params/W1", a["params/W1"] * np.nan), "NaN"),
        (lambda a: a.__setitem__("val_acc_history", a["val_acc_history"] * 2), "[0, 1]"),
        (
            lambda a: a.__setitem__("best_state/bn_params.0.running_var", np.full(8, np.inf)),
            "best_state/bn_params.0.running_var holds NaN or infinite",
        ),
        (
            lambda a: a.__setitem__("state/bn_params.0.running_mean", np.zeros(5)),
            "state does not match",
        ),
        (
            lambda a: a.__setitem__("optim/W1/velocity", np.zeros((2, 2))),
            "optim/W1/velocity has shape (2, 2)",
        ),
        (change_meta(lambda m: m.update(version=1)), "version-1"),
        (change_meta(lambda m: m.update(epoch=-1)), "negative"),
        (change_meta(lambda m: m.update(best_val_acc=0.123)), "best_val_acc"),
        (change_meta(lambda m: m.update(unknown=1)), "unknown"),
        (change_meta(lambda m: m.update(target_epoch=0)), "target_epoch 0 is before its epoch 1"),
        (change_meta(lambda m: m["rng_states"].pop("eval")), "random streams are ['batch']"),
        (
            change_meta(lambda m: m["rng_states"]["batch"].update(bit_generator="Nope")),
            "random stream 'batch' is not a valid generator state",
        ),
        (
            change_meta(lambda m: m["model"]["params"].update(W1=[[4, 8], "<f4"])),
            "params do not match the model description",
        ),
        (
            lambda a: a.__setitem__("best_state/bn_params.0.running_mean", np.zeros(5)),
            "its best state['bn_params.0.running_mean'] has shape (5,)",
        ),
        (
            change_meta(lambda m: m["optim_scalars"]["W1"].update(velocity=0.0)),
            "optimizer config W1['velocity'] is stored twice",
        ),
    ],
)
def test_tampered_contents_are_refused(tmp_path, saved, change, fact):
    assert_refused(retamper(tmp_path, saved, change), fact)


def reseal(path, raw_members, compression=zipfile.ZIP_STORED):
    """Write ``raw_members`` (name to .npy bytes) as a zip with a valid cs231nbook seal."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, blob in raw_members.items():
            archive.writestr(name, blob)
        archive.comment = b"cs231nbook-sha256:" + b"0" * 64
    data = buffer.getvalue()
    path.write_bytes(data[:-64] + hashlib.sha256(data[:-64]).hexdigest().encode())
    return path


def raw_members(saved):
    with zipfile.ZipFile(saved[0]) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def test_object_arrays_are_refused_without_unpickling(tmp_path, saved):
    # replace one member by an object array (needs pickle to write), then re-seal
    entries = raw_members(saved)
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.array([1, "x"], dtype=object), allow_pickle=True)
    entries["params/W1.npy"] = buffer.getvalue()
    assert_refused(reseal(tmp_path / "objects.npz", entries), "Python objects")


def test_compressed_members_and_trailing_bytes_are_refused(tmp_path, saved):
    entries = raw_members(saved)
    assert_refused(reseal(tmp_path / "zipped.npz", entries, zipfile.ZIP_DEFLATED), "is compressed")
    entries["params/W1.npy"] += b"\x00" * 8  # a valid array followed by bytes it does not own
    assert_refused(reseal(tmp_path / "long.npz", entries), "header promises")


# The arguments of save_checkpoint for a run that has not started, apart from params and
# optim_configs.
EMPTY_RUN = dict(
    best_params={},
    loss_history=[],
    train_acc_history=[],
    val_acc_history=[],
    epoch=0,
    iteration=0,
    best_val_acc=float("-inf"),
    hyperparameters={},
)


def test_save_refuses_what_needs_pickle(tmp_path):
    common = dict(EMPTY_RUN)
    with pytest.raises(TypeError, match=r"a\.npz.*object array"):
        ck.save_checkpoint(
            tmp_path / "a.npz", params={"W": np.array([None])}, optim_configs={}, **common
        )
    with pytest.raises(TypeError, match=r"b\.npz.*optim_configs\['W'\]\['fn'\]"):
        ck.save_checkpoint(
            tmp_path / "b.npz",
            params={"W": np.ones(2)},
            optim_configs={"W": {"fn": print}},
            **common,
        )
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize(
    "change, fact",
    [
        (dict(params={"W": np.array([np.nan, 1.0])}), "params/W holds NaN"),
        (dict(params={"W": np.array([1, 2])}), "params/W has dtype int64"),
        (dict(loss_history=[0.5]), "1 losses for 0 iterations"),
        (dict(val_acc_history=[1.5], train_acc_history=[0.5]), "outside [0, 1]"),
        (dict(best_params={"V": np.ones(2)}), "best_params do not have the names"),
        (dict(optim_configs={"W": {"learning_rate": float("nan")}}), "NaN or infinity"),
    ],
)
def test_save_refuses_what_read_would_refuse_and_writes_nothing(tmp_path, change, fact):
    arguments = dict(EMPTY_RUN, params={"W": np.ones(2)}, optim_configs={})
    ck.save_checkpoint(tmp_path / "fine.npz", **arguments)  # without the change: saved
    os.remove(tmp_path / "fine.npz")
    arguments.update(change)
    with pytest.raises(ValueError, match="cannot save checkpoint") as info:
        ck.save_checkpoint(tmp_path / "bad.npz", **arguments)
    assert str(tmp_path / "bad.npz") in str(info.value) and fact in str(info.value)
    assert os.listdir(tmp_path) == []


# --- another architecture with the same parameter names and shapes ------------------------------


def test_different_architecture_with_matching_shapes_is_refused(tmp_path):
    data = {
        "X_train": np.random.default_rng(0).standard_normal((20, 1, 8, 8)),
        "y_train": np.arange(20) % 10,
        "X_val": np.random.default_rng(1).standard_normal((10, 1, 8, 8)),
        "y_val": np.arange(10),
    }
    # pooling after layer 0 or after layer 1: identical parameter names and shapes
    a = DeepConvNet((1, 8, 8), num_filters=[2, 2], max_pools=[0], dtype=np.float64, seed=0)
    b = DeepConvNet((1, 8, 8), num_filters=[2, 2], max_pools=[1], dtype=np.float64, seed=0)
    assert {k: v.shape for k, v in a.params.items()} == {k: v.shape for k, v in b.params.items()}
    solver = Solver(a, data, num_epochs=1, batch_size=10, verbose=False, seed=0)
    solver.train()
    solver.save_checkpoint(tmp_path / "a.npz")
    before = {k: v.copy() for k, v in b.params.items()}
    with pytest.raises(ValueError, match=r"max_pools.*\[0\].*\[1\]"):
        load_checkpoint(tmp_path / "a.npz", b)
    for name in before:
        np.testing.assert_array_equal(b.params[name], before[name])


def test_other_class_or_normalization_with_matching_shapes_is_refused(tmp_path):
    data = blobs()
    fc = FullyConnectedNet([8], input_dim=4, num_classes=3, dtype=np.float64, seed=0)
    solver = Solver(fc, data, num_epochs=1, batch_size=20, verbose=False, seed=0)
    solver.train()
    solver.save_checkpoint(tmp_path / "fc.npz")
    two = TwoLayerNet(input_dim=4, hidden_dim=8, num_classes=3, seed=0)
    assert {k: v.shape for k, v in two.params.items()} == {k: v.shape for k, v in fc.params.items()}
    with pytest.raises(ValueError, match="class is 'FullyConnectedNet'.*'TwoLayerNet'"):
        load_checkpoint(tmp_path / "fc.npz", two)
    with pytest.raises(ValueError, match="dropout_keep_ratio"):
        load_checkpoint(
            tmp_path / "fc.npz",
            FullyConnectedNet(
                [8], input_dim=4, num_classes=3, dropout_keep_ratio=0.5, dtype=np.float64
            ),
        )
    bn = Solver(bn_model(), data, num_epochs=1, batch_size=20, verbose=False, seed=0)
    bn.train()
    bn.save_checkpoint(tmp_path / "bn.npz")
    with pytest.raises(ValueError, match="normalization.*'batchnorm'.*'layernorm'"):
        load_checkpoint(tmp_path / "bn.npz", bn_model(normalization="layernorm"))
    with pytest.raises(ValueError, match="dtype"):
        load_checkpoint(tmp_path / "bn.npz", bn_model(dtype=np.float32))


def test_state_entry_of_the_wrong_shape_is_refused_at_load():
    model = fresh_model()
    before = snapshot(model)
    state = model.get_state()
    state["bn_params.0.running_var"] = np.ones(9)
    with pytest.raises(ValueError, match=r"running_var.*shape \(9,\).*shape \(8,\)"):
        model.set_state(state)
    state = model.get_state()
    state.pop("bn_params.0.running_var")
    with pytest.raises(ValueError, match=r"missing \['bn_params.0.running_var'\]"):
        model.set_state(state)
    state = model.get_state()
    state["bn_params.0.running_mean"] = np.full(8, np.nan)
    with pytest.raises(ValueError, match=r"running_mean.*NaN"):
        model.set_state(state)
    assert_untouched(model, before)


def test_dropout_stream_is_model_state():
    model = FullyConnectedNet([5], input_dim=4, num_classes=3, dropout_keep_ratio=0.5, seed=3)
    X, y = blobs()["X_train"][:6].astype(np.float32), blobs()["y_train"][:6]
    saved = model.get_state()
    first = model.loss(X, y)[0]
    assert model.loss(X, y)[0] != first  # a new mask each call
    model.set_state(saved)
    assert model.loss(X, y)[0] == first  # the same mask again
    bad = dict(saved, **{"rng.dropout": np.array('{"bit_generator": "Nope"}')})
    with pytest.raises(ValueError, match="rng.dropout.*bit generator"):
        model.set_state(bad)


def test_models_without_state_keep_working(tmp_path):
    class Softmax:  # only the required part of the contract
        def __init__(self):
            self.params = {"W": np.zeros((4, 3))}

        def loss(self, X, y=None):
            scores = X @ self.params["W"]
            if y is None:
                return scores
            p = np.exp(scores - scores.max(1, keepdims=True))
            p /= p.sum(1, keepdims=True)
            loss = -np.log(p[np.arange(len(y)), y]).mean()
            p[np.arange(len(y)), y] -= 1
            return loss, {"W": X.T @ p / len(y)}

    solver = Solver(Softmax(), blobs(), num_epochs=2, batch_size=20, verbose=False, seed=0)
    solver.train()
    solver.save_checkpoint(tmp_path / "s.npz")
    other = Softmax()
    ckpt = load_checkpoint(tmp_path / "s.npz", other)
    assert ckpt.state == {} and ckpt.model["architecture"] is None
    np.testing.assert_array_equal(other.params["W"], solver.model.params["W"])


# --- atomic writes: an interruption at any step leaves the old file and no temporary file ---------


STEPS = [
    ("os", "open"),
    ("zipfile.ZipFile", "open"),
    ("np.lib.format", "write_array"),
    ("hashlib", "sha256"),
    ("os", "fsync"),
    ("os", "replace"),
]


@pytest.mark.parametrize("module, attribute", STEPS)
def test_an_interrupted_save_leaves_the_old_file_and_no_temporary(
    tmp_path, monkeypatch, saved, module, attribute
):
    import hashlib as hashlib_module

    target = tmp_path / "state.npz"
    target.write_bytes(saved[1])
    owner = {
        "zipfile.ZipFile": zipfile.ZipFile,
        "np.lib.format": np.lib.format,
        "hashlib": hashlib_module,
        "os": os,
    }[module]

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt(f"interrupted in {attribute}")

    arrays = members(saved[0])
    monkeypatch.setattr(owner, attribute, interrupt)
    with pytest.raises(KeyboardInterrupt):
        write_archive(target, arrays)
    monkeypatch.undo()
    assert os.listdir(tmp_path) == ["state.npz"]
    assert target.read_bytes() == saved[1]
    read_checkpoint(target)


def test_saving_through_a_symbolic_link_replaces_the_file_it_points_to(tmp_path, saved):
    (tmp_path / "runs").mkdir()
    real = tmp_path / "runs" / "run7.npz"
    real.write_bytes(b"old")
    link = tmp_path / "latest.npz"
    link.symlink_to(real)
    write_archive(link, members(saved[0]))
    assert link.is_symlink() and real.read_bytes() == saved[1]
    assert sorted(os.listdir(tmp_path / "runs")) == ["run7.npz"]  # no temporary left


def test_a_full_disk_mid_write_leaves_no_temporary(tmp_path, monkeypatch, saved):
    calls = {"n": 0}
    real = np.lib.format.write_array

    def fail_on_third(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError(28, "No space left on device")
        return real(*args, **kwargs)

    monkeypatch.setattr(np.lib.format, "write_array", fail_on_third)
    with pytest.raises(OSError, match="No space left"):
        write_archive(tmp_path / "new.npz", members(saved[0]))
    assert os.listdir(tmp_path) == []


def test_a_cs231n_style_model_with_bn_params_loads_its_running_statistics(tmp_path):
    class Legacy:
        """No get_state: running statistics live in bn_params, created by the first forward."""

        def __init__(self):
            self.params = {"W": np.zeros((4, 3))}
            self.bn_params = [{"mode": "train"}]

        def loss(self, X, y=None):
            scores = X @ self.params["W"]
            if y is None:
                return scores
            self.bn_params[0]["running_mean"] = X.mean(0)
            return 0.0, {"W": np.zeros((4, 3))}

    data = blobs()
    model = Legacy()
    model.loss(data["X_train"][:7], data["y_train"][:7])  # a training forward creates them
    Solver(model, data, verbose=False, seed=0).save_checkpoint(tmp_path / "legacy.npz")
    fresh = Legacy()  # no statistics yet
    ckpt = load_checkpoint(tmp_path / "legacy.npz", fresh)
    assert set(ckpt.state) == {"bn_params.0.running_mean"}
    np.testing.assert_array_equal(
        fresh.bn_params[0]["running_mean"], model.bn_params[0]["running_mean"]
    )
    # a checkpoint saved before any training forward holds none; loading it removes them
    Solver(Legacy(), data, verbose=False, seed=0).save_checkpoint(tmp_path / "none.npz")
    load_checkpoint(tmp_path / "none.npz", fresh)
    assert "running_mean" not in fresh.bn_params[0]


def test_restore_refuses_optimizer_state_that_does_not_fit(tmp_path, saved):
    def solver():
        return Solver(
            bn_model(), blobs(), update_rule="sgd_momentum", optim_config={"learning_rate": 0.05},
            batch_size=20, num_epochs=1, verbose=False, seed=0,
        )  # fmt: skip

    solver().restore(saved[0])  # the untampered file fits

    def drop_b1(arrays):  # no config at all for b1
        change_meta(lambda m: m["optim_scalars"].pop("b1"))(arrays)
        arrays.pop("optim/b1/velocity")
        change_meta(lambda m: m["members"].remove("optim/b1/velocity"))(arrays)

    for change, fact in [
        (drop_b1, "optimizer configs for"),
        (change_meta(lambda m: m["optim_scalars"]["W1"].update(momentum=1.5)), "'W1' does not fit"),
    ]:
        with pytest.raises(ValueError, match=fact) as info:
            solver().restore(retamper(tmp_path, saved, change))
        assert "tampered.npz" in str(info.value)


def test_random_stream_states_are_checked_entry_by_entry():
    from cs231nbook.model_state import generator_state_json, restore_generator

    good = generator_state_json(np.random.default_rng(0))
    assert restore_generator(good).random() == np.random.default_rng(0).random()
    extra = json.loads(json.dumps(good))
    extra["extra"] = 1
    with pytest.raises(ValueError, match="the stream.*did not survive a round trip"):
        restore_generator(extra, "the stream")
    mt = generator_state_json(np.random.Generator(np.random.MT19937(0)))
    mt["state"]["key"]["__ndarray__"] = "<f8"
    with pytest.raises(ValueError, match="integer array was expected, got dtype float64"):
        restore_generator(mt)


def test_cs231n_style_state_must_fit_the_bn_params():
    from cs231nbook.model_state import check_state

    class Legacy:
        params = {"W": np.zeros((4, 3))}
        bn_params = [{"mode": "train", "running_mean": np.zeros(3)}]

    model = Legacy()
    check_state(model, {"bn_params.0.running_mean": np.ones(3)})  # fits
    for state, fact in [
        ({"bn_params.1.running_mean": np.ones(3)}, "names layer 1, but the model has 1"),
        ({"bn_params.0.running_mean": np.ones(4)}, r"shape \(4,\); the model's has \(3,\)"),
        ({"bn_params.0.gamma": np.ones(3)}, "cannot hold"),
        ({"bn_params.0.running_var": np.ones((3, 1))}, "1-d floating-point"),
    ]:
        with pytest.raises(ValueError, match=fact):
            check_state(model, state)


def test_a_checkpoint_gets_the_permissions_of_any_new_file(tmp_path, saved):
    # tempfile.mkstemp made every checkpoint readable by its owner only (0o600)
    umask = os.umask(0o022)
    try:
        write_archive(tmp_path / "shared.npz", members(saved[0]))
        os.umask(0o077)
        write_archive(tmp_path / "private.npz", members(saved[0]))
    finally:
        os.umask(umask)
    assert (tmp_path / "shared.npz").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "private.npz").stat().st_mode & 0o777 == 0o600


def test_loading_into_something_that_is_not_a_model_is_a_type_error(saved):
    for thing in (object(), {"W1": np.zeros((4, 8))}):
        with pytest.raises(TypeError, match="model must have a params dict"):
            load_checkpoint(saved[0], thing)
