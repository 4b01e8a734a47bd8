"""DiffAugment reaches every image the discriminator's losses see, in every update path, and
short runs with augmentation and spectral normalisation train, checkpoint and load back."""

import pytest
import torch
from torch.nn.utils import parametrize
from torch.utils.data import DataLoader

from ganlab.errors import UsageError
from ganlab.models import DCGAN, GAN, WGAN
from ganlab.nets.augment import DiffAugment
from ganlab.run.checkpoint import load_module, read_checkpoint
from tests.helpers import TINY, quiet_trainer
from tests.helpers.checkpoints import train_run
from tests.helpers.inprocess import SMALL, train_in_process

NET = {
    "generator": {"_target_": "ganlab.nets.dcgan28.Generator"},
    "discriminator": {"_target_": "ganlab.nets.dcgan28.Discriminator", "dropout": 0.0},
}
OPTIM = {"lr": 1e-3, "beta1": 0.5, "beta2": 0.999}

pytestmark = pytest.mark.usefixtures("one_thread")


class Recorded(DiffAugment):
    """The run's augmentation, keeping every image batch it was given and made."""

    def __init__(self, policies):
        super().__init__(policies)
        object.__setattr__(self, "calls", [])

    def __call__(self, images, p=1.0):
        augmented = super().__call__(images, p)
        self.calls.append((images, augmented))
        return augmented


def one_step(model: GAN, batch: int) -> tuple[list, list[torch.Tensor]]:
    """Train `model` one step; (augmentation calls, every batch the discriminator saw)."""
    model.augmentation = Recorded(model.augmentation.policies)
    seen: list[torch.Tensor] = []
    model.discriminator.register_forward_pre_hook(lambda module, args: seen.append(args[0]))
    images = torch.rand(batch, 1, 8, 8) * 2 - 1
    loader = DataLoader([(images, torch.zeros(batch, dtype=torch.long))], batch_size=None)
    quiet_trainer(1).fit(model, train_dataloaders=loader)
    return model.augmentation.calls, seen


def build(cls: type[GAN], **options) -> GAN:
    torch.manual_seed(0)
    return cls(net=NET, optim=OPTIM, latent_dim=4, image_shape=(1, 8, 8), **options)


@pytest.mark.parametrize("update", ["alternating", "simultaneous"])
def test_every_discriminator_input_is_augmented_real_and_fake(update):
    model = build(DCGAN, update=update, augment="translation,cutout")
    calls, seen = one_step(model, batch=8)
    # alternating: D on real, D on fake, then the generator's D on fake; simultaneous: one
    # forward on real and fake feeds both losses
    assert len(calls) == (3 if update == "alternating" else 2)
    assert len(seen) == len(calls)
    assert all(inputs is augmented for inputs, (_, augmented) in zip(seen, calls, strict=True))
    real, fake = calls[0][0], calls[1][0]
    assert real.shape == fake.shape and not torch.equal(real, fake)
    assert all(not torch.equal(given, made) for given, made in calls)  # it did transform


def test_the_gradient_penalty_reads_unaugmented_images():
    model = build(WGAN, n_critic=2, augment=["translation"])
    calls, seen = one_step(model, batch=8)
    assert len(calls) == 2 * 2 + 1  # real and fake per critic update, then the generator's
    augmented = [made for _, made in calls]
    penalty_inputs = [x for x in seen if not any(x is a for a in augmented)]
    assert len(penalty_inputs) == 2  # one interpolate batch per critic update, as they are
    for images in penalty_inputs:
        assert images.requires_grad and images.shape == (4, 1, 8, 8)


def test_no_augmentation_by_default():
    assert build(DCGAN).augmentation is None
    assert build(DCGAN, augment=[]).augmentation is None


def normalised(network: torch.nn.Module) -> bool:
    return any(parametrize.is_parametrized(m, "weight") for m in network.modules())


def test_augmented_spectrally_normalised_run_checkpoints_and_loads(mnist_root, tmp_path):
    run = train_run(
        mnist_root,
        tmp_path,
        "model.augment=[translation,cutout]",
        "model.net.discriminator.spectral_norm=true",
        "model.net.generator.spectral_norm=true",
    )
    path = run / "checkpoints" / "last.ckpt"
    checkpoint = read_checkpoint(path)  # the weights_only reader
    assert checkpoint["global_step"] == 2
    assert checkpoint["hyper_parameters"]["augment"] == ["translation", "cutout"]
    stored = checkpoint["state_dict"]
    assert "discriminator.classify.parametrizations.weight.original" in stored
    model = load_module(path)
    assert model.augmentation == DiffAugment(("translation", "cutout"))
    assert normalised(model.generator) and normalised(model.discriminator)
    for name, tensor in model.state_dict().items():
        assert torch.equal(tensor, stored[name]), name
    sigma = torch.linalg.matrix_norm(model.discriminator.classify.weight.flatten(1), ord=2)
    assert sigma.item() == pytest.approx(1.0, abs=1e-2)


def test_conditional_preset_trains_from_the_command_line(mnist_root, tmp_path, capsys):
    result = train_in_process(
        "model=cdcgan",
        "model.augment='color,translation,cutout'",
        "model.net.discriminator.spectral_norm=true",
        f"data.root={mnist_root}",
        "data.splits=[test]",
        "data.batch_size=8",
        "trainer.max_steps=2",
        "trainer.accelerator=cpu",
        "trainer.enable_progress_bar=false",
        "trainer.enable_model_summary=false",
        "logger=none",
        f"paths.output_dir={tmp_path}",
        capsys=capsys,
    )
    assert result.returncode == 0, result.stderr
    model = load_module(tmp_path / "checkpoints" / "last.ckpt")
    assert model.conditional and model.augmentation.policies == ("color", "translation", "cutout")
    assert normalised(model.discriminator) and not normalised(model.generator)


def test_an_unknown_policy_stops_the_run_before_anything_is_written(tmp_path, capsys):
    result = train_in_process(
        "model.augment=[translation,rotate]", f"paths.output_dir={tmp_path}", capsys=capsys
    )
    assert result.returncode == 2
    assert "model.augment must be a comma-separated string or a list of policies" in result.stderr
    assert not any(tmp_path.iterdir())


def test_resume_is_bit_identical_with_both(mnist_root, tmp_path):
    # the power iteration's vectors and the augmentation's random draws continue exactly
    common = [
        f"data.root={mnist_root}",
        "data.splits=[test]",
        *TINY,
        *SMALL,
        "data.batch_size=16",  # 4 steps per epoch
        "trainer.deterministic=true",
        "seed=3",
        "model.augment=[color,translation,cutout]",
        "model.net.discriminator.spectral_norm=true",
        "model.net.generator.spectral_norm=true",
    ]
    deterministic = torch.are_deterministic_algorithms_enabled()
    try:
        straight, interrupted = tmp_path / "straight", tmp_path / "interrupted"
        runs = [
            (straight, "trainer.max_epochs=2"),
            (interrupted, "trainer.max_epochs=1"),
            (interrupted, "trainer.max_epochs=2", "resume=true"),
        ]
        for run_dir, *extra in runs:
            result = train_in_process(*common, f"hydra.run.dir={run_dir}", *extra)
            assert result.returncode == 0
    finally:
        torch.use_deterministic_algorithms(deterministic)
    ours, reference = (
        read_checkpoint(d / "checkpoints" / "last.ckpt") for d in (interrupted, straight)
    )
    assert ours["global_step"] == reference["global_step"] == 8
    for name, tensor in reference["state_dict"].items():
        assert torch.equal(ours["state_dict"][name], tensor), name


def test_an_adaptive_probability_rises_when_d_is_sure_of_the_reals_and_resumes_with_it():
    """augment_p=adaptive: p starts at 0, moves every 4 generator steps from D's signs on the
    reals (here a discriminator that calls every real image real: r_t = 1 > 0.6, so p rises by
    the images seen / 500,000), is logged, and is a buffer of the checkpoint."""
    model = build(DCGAN, augment="translation", augment_p="adaptive")
    with torch.no_grad():  # D's output bias: every image "real" by a wide margin
        model.discriminator.classify.bias.fill_(100.0)
    images = torch.rand(8, 1, 8, 8) * 2 - 1
    loader = DataLoader([(images, torch.zeros(8, dtype=torch.long))] * 8, batch_size=None)
    quiet_trainer(8).fit(model, train_dataloaders=loader)
    assert model.ada.p.item() == pytest.approx(2 * 32 / 500_000)  # two adjustments of 32 images
    assert model.step_metrics["augment_p"].item() == pytest.approx(32 / 500_000)
    assert "ada.p" in model.state_dict()
    again = build(DCGAN, augment="translation", augment_p="adaptive")
    again.load_state_dict(model.state_dict())
    assert again.ada.p.item() == model.ada.p.item()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"augment_p": 0.5}, r"model\.augment_p=0\.5 sets how often .* names none"),
        (
            {"augment": "cutout", "augment_p": 1.5},
            r"model\.augment_p must be 'adaptive' or a number",
        ),
    ],
)
def test_a_bad_augmentation_probability_is_one_line(options, message):
    with pytest.raises(UsageError, match=message):
        build(DCGAN, **options)
