"""`ema=` on generate, evaluate and export (in process): a checkpoint trained with
`model.ema.decay` is sampled through its averaged generator, `ema=false` through the raw one,
and a checkpoint without the average through its generator either way."""

import json

import numpy as np
import pytest
import torch
from hydra import compose, initialize_config_dir

from ganlab.data.scaling import to_uint8
from ganlab.errors import UsageError
from ganlab.evaluate import evaluate
from ganlab.export import export_generator
from ganlab.generate import generate
from ganlab.run.checkpoint import load_module
from ganlab.run.config import CONF_DIR
from ganlab.sampling.latents import latent_vectors
from tests.helpers import TINY
from tests.helpers.checkpoints import train_run
from tests.helpers.inprocess import train_in_process

pytestmark = pytest.mark.usefixtures("one_thread")


def composed(config: str, *overrides: str):
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        return compose(config, overrides=list(overrides))


@pytest.fixture(scope="module")
def ema_ckpt(mnist_root, tmp_path_factory):
    run = train_run(mnist_root, tmp_path_factory.mktemp("ema_run"), "model.ema.decay=0.5")
    return run / "checkpoints" / "last.ckpt"


def generated(ckpt, out, *overrides) -> np.ndarray:
    generate(composed("generate", f"ckpt_path={ckpt}", f"out={out}", "n=6", *overrides))
    with np.load(out) as data:
        return data["arr_0"]


def test_generate_samples_the_average_and_ema_false_the_raw_weights(ema_ckpt, tmp_path, capsys):
    averaged = generated(ema_ckpt, tmp_path / "ema.npz")
    assert "(ema generator weights)" in capsys.readouterr().out
    raw = generated(ema_ckpt, tmp_path / "raw.npz", "ema=false")
    assert "(raw generator weights)" in capsys.readouterr().out
    assert not np.array_equal(averaged, raw)

    model = load_module(ema_ckpt).eval()
    z = latent_vectors(6, model.latent_dim, 0)
    for network, images in ((model.ema.generator, averaged), (model.generator, raw)):
        with torch.no_grad():
            expected = to_uint8(network(z, None)).permute(0, 2, 3, 1).numpy()
        assert np.array_equal(expected, images)


def test_a_checkpoint_without_the_average_samples_its_generator(dcgan_run, tmp_path):
    ckpt = dcgan_run / "checkpoints" / "last.ckpt"
    default = generated(ckpt, tmp_path / "a.npz")
    assert np.array_equal(default, generated(ckpt, tmp_path / "b.npz", "ema=false"))


def test_a_bad_ema_option_stops_before_writing(ema_ckpt, tmp_path):
    with pytest.raises(UsageError, match=r"ema .* must be true or false, got 'maybe'"):
        generated(ema_ckpt, tmp_path / "s.npz", "ema=maybe")
    assert not (tmp_path / "s.npz").exists()


def test_evaluate_scores_the_weights_metrics_json_names(ema_ckpt, tmp_path):
    scores = {}
    for ema in ("true", "false"):
        out = tmp_path / ema
        evaluate(
            composed(
                "evaluate",
                f"ckpt_path={ema_ckpt}",
                f"out={out}",
                f"ema={ema}",
                "n=8",
                "real_n=16",
                "metrics=[nn_l1]",
                "cache=false",
            )
        )
        scores[ema] = json.loads((out / "metrics.json").read_text())
    weights = [scores[ema]["protocol"]["generated"]["weights"] for ema in ("true", "false")]
    assert weights == ["ema", "raw"]
    assert scores["true"]["metrics"] != scores["false"]["metrics"]


def test_export_writes_the_average_unless_ema_false(ema_ckpt, tmp_path):
    model = load_module(ema_ckpt)
    z = torch.randn(3, model.latent_dim)
    for ema, network in (("true", model.ema.generator), ("false", model.generator)):
        out = tmp_path / f"{ema}.pt"
        export_generator(
            composed(
                "export", f"ckpt_path={ema_ckpt}", "format=torchscript", f"out={out}", f"ema={ema}"
            )
        )
        with torch.no_grad():
            torch.testing.assert_close(torch.jit.load(out)(z), network.eval()(z, None))


@pytest.mark.parametrize("preset", ["dcgan", "cdcgan"])
def test_every_option_of_the_menu_trains_together_from_the_command_line(
    preset, mnist_root, tmp_path, capsys
):
    result = train_in_process(
        f"model={preset}",
        "model.loss=hinge",
        "model.net.discriminator.spectral_norm=true",
        "model.ema.decay=0.999",
        "model.penalty=r1",
        "model.penalty_weight=10",
        "model.augment=[translation,cutout]",
        f"data.root={mnist_root}",
        "data.splits=[test]",
        "trainer.max_steps=2",
        "logger=none",
        f"paths.output_dir={tmp_path}",
        *TINY,
        capsys=capsys,
    )
    assert result.returncode == 0, result.stderr
    model = load_module(tmp_path / "checkpoints" / "last.ckpt")
    assert model.conditional == (preset == "cdcgan")
    assert (model.hparams.loss, model.hparams.penalty, model.ema.decay) == ("hinge", "r1", 0.999)
    assert model.augmentation.policies == ("translation", "cutout")
    averaged, live = (next(g.parameters()) for g in (model.ema.generator, model.generator))
    assert not torch.equal(averaged, live)
