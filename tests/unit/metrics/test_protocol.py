"""The named protocols compose with the counts they promise, `auto` picks the machine's
counts, and the record names the reference images reproducibly."""

import hashlib

import pytest
import torch
from hydra import compose, initialize_config_dir

from ganlab.evaluate import protocol_splits
from ganlab.metrics.protocol import (
    bias_warning,
    capped_real_count,
    indices_record,
    protocol_count,
    weights_kind,
)
from ganlab.metrics.real_images import RealImages, split_reference
from ganlab.run.config import CONF_DIR

CPU, CUDA = torch.device("cpu"), torch.device("cuda")


def evaluate_config(*overrides):
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        return compose("evaluate", overrides=list(overrides))


def test_standard_is_the_default_and_shrinks_on_a_cpu_only():
    cfg = evaluate_config()
    assert cfg.protocol.name == "standard" and cfg.n == cfg.real_n == "auto"
    assert protocol_count(cfg.n, cfg.protocol, CUDA) == 10_000
    assert protocol_count(cfg.real_n, cfg.protocol, CPU) == 1_000
    assert protocol_count(500, cfg.protocol, CUDA) == 500  # the user's count is kept
    assert protocol_count(None, cfg.protocol, CUDA) is None  # real_n=null: all


def test_lucic2018_composes_with_its_counts_on_every_device():
    cfg = evaluate_config("protocol=lucic2018")
    assert cfg.protocol.name == "lucic2018" and cfg.protocol.resize == "tf1_bilinear"
    for device in (CPU, CUDA):
        assert protocol_count(cfg.n, cfg.protocol, device) == 10_000
        assert protocol_count(cfg.real_n, cfg.protocol, device) == 10_000
    assert protocol_splits(cfg, {"splits": ["train", "test"]}) == {"splits": ["test"]}
    assert protocol_splits(cfg, {"root": "celeba"}) == {}  # a data module without splits
    assert protocol_splits(evaluate_config(), {"splits": ["train"]}) == {}
    assert cfg.protocol.reference_scores.wgan_gp == 20.3


def test_auto_real_count_is_capped_at_the_data_and_explicit_counts_are_not():
    assert capped_real_count(10_000, "auto", 64) == 64
    assert capped_real_count(1_000, 1_000, 64) == 1_000  # split_reference then refuses it


def test_bias_is_stated_below_the_standard_counts_only():
    assert "biased upwards" in bias_warning(1000, 1000)
    assert "Chong & Forsyth 2020" in bias_warning(10_000, 64)
    assert bias_warning(10_000, 10_000) is None


def test_indices_name_the_reference_images_by_rule_and_hash():
    real = RealImages(torch.zeros(50, 1, 4, 4, dtype=torch.uint8), None, [], {"npz": "x"})
    reference, _, _ = split_reference(real, 20)
    record = indices_record(reference, 50)
    expected = torch.randperm(50, generator=torch.Generator().manual_seed(0))[:20].sort().values
    assert record["sha256"] == hashlib.sha256(expected.numpy().astype("<i8").tobytes()).hexdigest()
    assert "first 20 of torch.randperm(50" in record["selection"]
    everything = indices_record(split_reference(real, None)[0], 50)
    assert everything["selection"] == "all of them"
    assert everything["sha256"] == indices_record(real, 50)["sha256"]


def test_weights_kind_reads_the_modules_moving_average():
    model = torch.nn.Module()
    assert weights_kind(None) is None and weights_kind(model) == "raw"  # no EMA support
    model.ema = None  # trained without an average
    assert weights_kind(model) == "raw"
    model.ema = torch.nn.Linear(1, 1)
    assert weights_kind(model) == "ema"
    model.sample_with_ema = False
    assert weights_kind(model) == "raw"


@pytest.mark.parametrize("resize", ["tf1_bilinear", "antialias"])
def test_each_resize_is_accepted(resize):
    from ganlab.metrics.inception import check_resize

    check_resize(resize)
