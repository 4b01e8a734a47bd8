"""The network options' defaults are the networks ganlab built before the options existed:
the same modules and state_dict entries, so checkpoints written before still load."""

from pathlib import Path

import pytest
import torch

from ganlab.nets import dcgan28, dcgan64, mlp
from ganlab.run.checkpoint import load_module

# (state_dict entries, their values) of each family's networks before the options existed
BEFORE = {
    "dcgan28": (
        lambda: dcgan28.Generator(100, (1, 28, 28)),
        lambda: dcgan28.Discriminator((1, 28, 28)),
        (19, 2_330_947),
        (6, 212_865),
    ),
    "dcgan28-conditional": (
        lambda: dcgan28.Generator(100, (1, 28, 28), 10),
        lambda: dcgan28.Discriminator((1, 28, 28), 10),
        (19, 2_456_387),
        (6, 228_865),
    ),
    "dcgan64": (
        lambda: dcgan64.Generator(100, (3, 64, 64)),
        lambda: dcgan64.Discriminator((3, 64, 64)),
        (26, 3_578_631),
        (22, 2_767_428),
    ),
    "dcgan64-critic-32": (
        lambda: dcgan64.Generator(128, (1, 32, 32)),
        lambda: dcgan64.Discriminator((1, 32, 32), norm="none", dropout=0.0),
        (20, 1_182_468),
        (8, 660_929),
    ),
    "mlp-conditional": (
        lambda: mlp.Generator(100, (1, 28, 28), 10, label_features=256),
        lambda: mlp.Discriminator((1, 28, 28), 10, label_features=1024),
        (22, 1_560_083),
        (10, 2_520_065),
    ),
}
NEW_OPTIONS = ("activation", "bn_momentum", "bn_eps", "bias", "init")
"""The keys a net config gained (and `norm` on the dcgan28 generator)."""


def entries(network: torch.nn.Module) -> tuple[int, int]:
    state = network.state_dict()
    return len(state), sum(v.numel() for v in state.values())


@pytest.mark.parametrize("case", BEFORE)
def test_default_networks_have_the_state_dict_they_had(case):
    generator, discriminator, g_entries, d_entries = BEFORE[case]
    assert entries(generator()) == g_entries
    assert entries(discriminator()) == d_entries


def old_checkpoint(path: Path, target: Path) -> Path:
    """The checkpoint as ganlab wrote it before the network options: no option keys in the
    saved net configs."""
    checkpoint = torch.load(path, weights_only=True)
    net = checkpoint["hyper_parameters"]["net"]
    for key in (*NEW_OPTIONS, "spectral_norm"):
        net["generator"].pop(key, None)
        net["discriminator"].pop(key, None)
    net["generator"].pop("norm", None)
    torch.save(checkpoint, target)
    return target


def test_a_checkpoint_written_before_the_options_still_loads(dcgan_run, tmp_path):
    path = dcgan_run / "checkpoints" / "last.ckpt"
    current = load_module(path)
    assert current.hparams.net["generator"]["init"] == "default"
    old = load_module(old_checkpoint(path, tmp_path / "old.ckpt"))
    assert "init" not in old.hparams.net["generator"]
    for network in ("generator", "discriminator"):
        saved = getattr(current, network).state_dict()
        rebuilt = getattr(old, network).state_dict()
        assert saved.keys() == rebuilt.keys()
        assert all(torch.equal(saved[k], rebuilt[k]) for k in saved)
    z = torch.randn(4, current.latent_dim)
    with torch.no_grad():
        assert torch.equal(current.generator.eval()(z), old.generator.eval()(z))
