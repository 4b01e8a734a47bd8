"""`python -m ganlab.generate`: files, the npz convention, labels, label swap, bad input."""

import numpy as np
import pytest
import torch
from hydra import compose, initialize_config_dir
from PIL import Image

from ganlab.errors import UsageError
from ganlab.generate import generate
from ganlab.run.checkpoint import load_module
from ganlab.run.config import CONF_DIR
from ganlab.sampling.latents import class_index
from tests.helpers import run_cli

TILE = 28 + 2  # image plus make_grid's padding


def grid_size(path):
    width, height = Image.open(path).size
    return (width - 2) // TILE, (height - 2) // TILE  # columns, rows


def generate_in_process(ckpt, tmp_path, *overrides):
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        overrides = [f"ckpt_path={ckpt}", f"out={tmp_path}/s.npz", *overrides]
        cfg = compose("generate", overrides=overrides)
    generate(cfg)
    with np.load(tmp_path / "s.npz") as data:
        return {key: data[key] for key in data.files}


@pytest.fixture(scope="module")
def cli_run(dcgan_run):
    ckpt = dcgan_run / "checkpoints" / "last.ckpt"
    result = run_cli("ganlab.generate", f"ckpt_path={ckpt}", "n=20", "interpolate=5", "pairs=3")
    assert result.returncode == 0, result.stderr[-3000:]
    return result, dcgan_run / "generated"


def test_cli_writes_npz_grid_and_interpolation_beside_the_run(cli_run):
    result, folder = cli_run
    npz = folder / "last_sample_n20_seed0.npz"
    with np.load(npz) as data:
        assert data.files == ["arr_0"]  # unconditional: no labels
        assert data["arr_0"].dtype == np.uint8 and data["arr_0"].shape == (20, 28, 28, 1)
        assert data["arr_0"].max() > data["arr_0"].min()
    assert grid_size(folder / "last_sample_n20_seed0.png") == (8, 3)
    assert grid_size(folder / "last_sample_n20_seed0_interp5.png") == (5, 3)
    assert f"wrote {npz}" in result.stdout


def test_same_seed_same_images_whatever_the_batch_size(dcgan_run, tmp_path):
    ckpt = dcgan_run / "checkpoints" / "last.ckpt"
    one = generate_in_process(ckpt, tmp_path / "a", "n=6", "batch_size=6")["arr_0"]
    two = generate_in_process(ckpt, tmp_path / "b", "n=6", "batch_size=4")["arr_0"]
    other = generate_in_process(ckpt, tmp_path / "c", "n=6", "seed=1")["arr_0"]
    assert np.array_equal(one, two) and not np.array_equal(one, other)


def test_label_k_gives_every_image_that_label(cdcgan_run, tmp_path):
    ckpt = cdcgan_run / "checkpoints" / "last.ckpt"
    three = generate_in_process(ckpt, tmp_path / "3", "n=5", "label=3")
    four = generate_in_process(ckpt, tmp_path / "4", "n=5", "label=4")
    assert three["labels"].tolist() == [3] * 5 and three["labels"].dtype == np.int64
    assert not np.array_equal(three["arr_0"], four["arr_0"])  # same noise, other label


def test_label_all_splits_n_over_the_classes_one_grid_row_each(cdcgan_run, tmp_path):
    ckpt = cdcgan_run / "checkpoints" / "last.ckpt"
    arrays = generate_in_process(ckpt, tmp_path, "n=23", "label=all")
    assert np.bincount(arrays["labels"], minlength=10).tolist() == [3, 3, 3] + [2] * 7
    assert grid_size(tmp_path / "s.png") == (2, 10)


def test_label_swap_renders_each_latent_under_every_label(cdcgan_run, tmp_path):
    ckpt = cdcgan_run / "checkpoints" / "last.ckpt"
    arrays = generate_in_process(ckpt, tmp_path, "n=3", "mode=label_swap")
    images, labels = arrays["arr_0"], arrays["labels"]
    assert images.shape == (30, 28, 28, 1)
    assert labels.tolist() == list(range(10)) * 3  # latent-major: image i*10 + c
    assert not np.array_equal(images[0], images[1])  # latent 0, labels 0 and 1
    assert grid_size(tmp_path / "s.png") == (10, 3)  # a row per latent, a column per label
    single = generate_in_process(ckpt, tmp_path / "single", "n=3", "label=1")["arr_0"]
    assert np.array_equal(single[0], images[1])  # same latent 0 under label 1


def test_class_names_are_labels_too(cdcgan_run):
    model = load_module(str(cdcgan_run / "checkpoints" / "last.ckpt"))
    names = model.class_names
    assert class_index("7", 10, names) == 7 and class_index(2, 10, names) == 2


@pytest.mark.parametrize(
    ("run", "overrides", "message"),
    [
        ("cdcgan", ["label=10"], "label=10 is not a class of this checkpoint"),
        ("cdcgan", ["label=-1"], "give an index 0-9"),
        ("cdcgan", ["mode=label_swap", "label=2"], "drop label="),
        ("cdcgan", ["mode=swap"], "mode must be one of"),
        ("dcgan", ["label=3"], "label=3 needs a conditional checkpoint"),
        ("dcgan", ["mode=label_swap"], "needs a conditional checkpoint"),
        ("dcgan", ["n=0"], "n must be an integer >= 1"),
        ("dcgan", ["interpolate=1"], "interpolate must be an integer >= 2"),
        ("dcgan", ["device=tpu"], "device must be auto, cpu or cuda"),
    ],
)
def test_bad_options_stop_before_writing(request, tmp_path, run, overrides, message):
    ckpt = request.getfixturevalue(f"{run}_run") / "checkpoints" / "last.ckpt"
    with pytest.raises(UsageError, match=message):
        generate_in_process(ckpt, tmp_path, *overrides)
    assert not (tmp_path / "s.npz").exists() and not (tmp_path / "s.png").exists()


def test_out_must_be_writable_npz(dcgan_run, tmp_path):
    ckpt = dcgan_run / "checkpoints" / "last.ckpt"
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        for out, message in ((f"{blocker}/s.npz", "cannot create out="), ("s.png", "end in .npz")):
            with pytest.raises(UsageError, match=message):
                generate(compose("generate", overrides=[f"ckpt_path={ckpt}", f"out={out}"]))


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: torch.save({"state_dict": {}}, p), "is not a ganlab training checkpoint"),
        (lambda p: None, "does not exist"),
    ],
    ids=["foreign-checkpoint", "missing"],
)
def test_refuses_what_is_not_a_ganlab_checkpoint(tmp_path, make, message):
    make(tmp_path / "model.ckpt")
    with pytest.raises(UsageError, match=message):
        generate_in_process(tmp_path / "model.ckpt", tmp_path)


def test_cli_error_is_one_line_exit_2_and_writes_nothing(tmp_path):
    ckpt = tmp_path / "model.ckpt"
    ckpt.write_text("hello")
    result = run_cli("ganlab.generate", f"ckpt_path={ckpt}", f"out={tmp_path}/s.npz")
    assert result.returncode == 2
    assert result.stderr.startswith("ganlab: error:")
    assert "is not a checkpoint torch can read" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "s.npz").exists()


def test_help_describes_the_keys():
    result = run_cli("ganlab.generate", "--help")
    assert result.returncode == 0
    keys = ("ckpt_path:", "trusted_prefixes: []", "interpolate:", "label:", "mode: sample")
    for key in keys:
        assert key in result.stdout
