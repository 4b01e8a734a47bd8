"""The loss, the discriminator updates per step and the penalty as options of DCGAN and WGAN:
the presets compute what they computed before to the last bit, every loss trains on both
schedules, lazy R1 is applied every k steps with k times the weight, and checkpoints written
under the old names (`constraint`, `gp_weight`) still load and resume."""

import math

import pytest
import torch
from lightning.pytorch import Callback
from torch.utils.data import DataLoader

from ganlab.errors import UsageError
from ganlab.losses import (
    LOSSES,
    critic_wasserstein_loss,
    discriminator_bce_loss,
    discriminator_targets,
    generator_nonsaturating_loss,
    generator_wasserstein_loss,
    gradient_penalty,
)
from ganlab.models import DCGAN, WGAN
from ganlab.models.gan import GAN
from ganlab.run.checkpoint import load_module
from ganlab.run.fit import train
from ganlab.run.resume import check_resumable
from tests.helpers import TINY, quiet_trainer
from tests.helpers.checkpoints import compose_train

pytestmark = pytest.mark.usefixtures("one_thread")

NET = {
    "generator": {"_target_": "ganlab.nets.dcgan28.Generator"},
    "discriminator": {"_target_": "ganlab.nets.dcgan28.Discriminator", "dropout": 0.0},
}
OPTIM = {"lr": 2e-3, "beta1": 0.5, "beta2": 0.999}
SHAPE, LATENT, BATCH = (1, 8, 8), 6, 4
RECIPE_KEYS = ("loss", "n_critic", "penalty", "penalty_weight", "penalty_every", "clip_value")


def build(procedure: type[GAN], **options) -> GAN:
    torch.manual_seed(0)
    return procedure(net=NET, optim=OPTIM, latent_dim=LATENT, image_shape=SHAPE, **options)


def fixed_batch() -> tuple[torch.Tensor, torch.Tensor]:
    """Real and fake images in [-1, 1], the same every time."""
    data = torch.Generator().manual_seed(1)
    real, fake = torch.rand(2, BATCH, *SHAPE, generator=data) * 2 - 1
    return real, fake


def whole_discriminator_loss(model: GAN, real: torch.Tensor, fake: torch.Tensor):
    logits = model.discriminator(real), model.discriminator(fake)
    return model.discriminator_loss(*logits, real, fake, None)[0]


def test_dcgan_with_loss_ns_computes_the_old_losses_to_the_last_bit():
    tricks = {"label_smoothing": 0.1, "label_noise": 0.05, "label_flip": 0.1}
    model = build(DCGAN, loss="ns", **tricks)
    real, fake = fixed_batch()
    torch.manual_seed(7)
    ours = whole_discriminator_loss(model, real, fake)
    torch.manual_seed(7)
    real_logits, fake_logits = model.discriminator(real), model.discriminator(fake)
    noise, flip = tricks["label_noise"], tricks["label_flip"]
    real_target = discriminator_targets(real_logits, True, 0.1, noise, flip)
    fake_target = discriminator_targets(fake_logits, False, 0.0, noise, flip)
    old = discriminator_bce_loss(real_logits, fake_logits, real_target, fake_target)
    assert torch.equal(ours, old)
    ours_g = model.objective.generator(fake_logits)
    assert torch.equal(ours_g, generator_nonsaturating_loss(fake_logits))


def test_wgan_with_wasserstein_and_gradient_penalty_computes_the_old_losses_to_the_last_bit():
    model = build(WGAN, loss="wasserstein", penalty="gradient_penalty", penalty_weight=10.0)
    real, fake = fixed_batch()
    torch.manual_seed(7)
    ours = whole_discriminator_loss(model, real, fake)
    torch.manual_seed(7)
    real_scores, fake_scores = model.discriminator(real), model.discriminator(fake)
    penalty, _ = gradient_penalty(model.discriminator, real, fake, None)
    assert torch.equal(ours, critic_wasserstein_loss(real_scores, fake_scores) + 10.0 * penalty)
    ours_g = model.objective.generator(fake_scores)
    assert torch.equal(ours_g, generator_wasserstein_loss(fake_scores))


@pytest.mark.parametrize("procedure", [DCGAN, WGAN])
@pytest.mark.parametrize("loss", list(LOSSES))
def test_every_loss_is_an_option_of_both_procedures(procedure, loss):
    model = build(procedure, loss=loss, penalty="none")
    real_logits, fake_logits = torch.tensor([1.5, -0.5]), torch.tensor([0.25, -2.0])
    ours = model.discriminator_loss(real_logits, fake_logits, None, None, None)[0]
    assert torch.equal(ours, LOSSES[loss].discriminator(real_logits, fake_logits))
    extra = (real_logits,) if LOSSES[loss].relativistic else ()
    ours_g = model.generator_loss(fake_logits, None, None, real_logits)
    assert torch.equal(ours_g, LOSSES[loss].generator(fake_logits, *extra))
    assert model.hparams.loss == loss


class Penalties(Callback):
    """Each discriminator update's weighted penalty (None when not applied: the loss is the
    adversarial loss alone), the step it fell in, and the metrics the update logged."""

    def __init__(self):
        self.seen: list[tuple[int, torch.Tensor | None, dict]] = []

    def on_train_start(self, trainer, pl_module):
        whole = pl_module.discriminator_loss

        def recorded(real_logits, fake_logits, *images):
            loss, metrics = whole(real_logits, fake_logits, *images)
            penalty = loss - pl_module.objective.discriminator(real_logits, fake_logits)
            value = None if torch.equal(penalty, torch.zeros(())) else penalty.detach()
            self.seen.append((trainer.global_step, value, metrics))
            return loss, metrics

        pl_module.discriminator_loss = recorded


def fit(model: GAN, steps: int) -> Penalties:
    per_step = BATCH * model.real_batches_per_step
    data = torch.Generator().manual_seed(1)
    batches = [
        (torch.rand(per_step, *SHAPE, generator=data) * 2 - 1, torch.zeros(per_step).long())
        for _ in range(steps)
    ]
    record = Penalties()
    quiet_trainer(steps, callbacks=[record]).fit(model, DataLoader(batches, batch_size=None))
    return record


def test_lazy_r1_is_applied_every_k_steps_with_k_times_the_weight():
    model = build(DCGAN, loss="hinge", penalty="r1", penalty_weight=2.0, penalty_every=3)
    seen = fit(model, steps=5).seen
    assert [step for step, value, _ in seen if value is not None] == [0, 3]
    assert [step for step, _, _ in seen] == [0, 1, 2, 3, 4]
    for _, value, metrics in seen:
        if value is not None:
            assert torch.allclose(value, 2.0 * 3 * metrics["d_r1"])
            assert metrics["d_r1"] > 0


@pytest.mark.parametrize("procedure", [DCGAN, WGAN])
def test_r3gans_recipe_trains_on_both_schedules_with_lazy_r1_r2(procedure):
    """The relativistic pairing loss with R1 + R2 (R3GAN), the penalty every other step."""
    options = {"loss": "rpgan", "penalty": "r1_r2", "penalty_weight": 0.5, "penalty_every": 2}
    model = build(procedure, **options)
    seen = fit(model, steps=3).seen
    applied = sorted({step for step, value, _ in seen if value is not None})
    assert applied == [0, 2]
    for _, value, metrics in seen:
        if value is not None:
            assert torch.allclose(value, 0.5 * 2 * metrics["c_r1_r2"])
    assert all(torch.isfinite(p).all() for p in model.parameters())
    assert model.step_metrics.keys() >= {"c_loss", "c_wass", "g_loss", "c_acc_real"}


def test_n_critic_discriminator_updates_on_their_own_batches_in_a_dcgan():
    model = build(DCGAN, n_critic=3, penalty="weight_clipping", clip_value=0.05)
    seen = fit(model, steps=2).seen
    assert [step for step, _, _ in seen] == [0, 0, 0, 1, 1, 1]
    opt_g, opt_d = model.optimizers()
    assert {s["step"].item() for s in opt_d.optimizer.state.values()} == {6.0}
    assert {s["step"].item() for s in opt_g.optimizer.state.values()} == {2.0}
    assert all(p.abs().max() <= 0.05 for p in model.discriminator.parameters())


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"loss": "hinge", "label_flip": 0.1}, r"^model\.label_flip=0\.1 changes the targets"),
        ({"loss": "wasserstein", "label_noise": 0.1}, "set model.label_noise=0 or choose"),
        ({"update": "simultaneous", "n_critic": 2}, "takes one update of each network per step"),
        ({"penalty": "gradient_penalty", "penalty_every": 2}, "applies to model.penalty=r1"),
    ],
)
def test_combinations_no_run_can_use_are_usage_errors(options, message):
    with pytest.raises(UsageError, match=message):
        build(DCGAN, **options)


def test_label_tricks_stay_valid_for_the_cross_entropy_losses():
    assert build(DCGAN, loss="minimax", label_smoothing=0.1).hparams.label_smoothing == 0.1


OLD_WGAN = {"n_critic": 3, "constraint": "weight_clipping", "gp_weight": 5.0, "clip_value": 0.02}


def test_old_wgan_hyper_parameters_map_to_the_new_names():
    model = build(WGAN, **OLD_WGAN)
    hp = model.hparams
    assert (hp.penalty, hp.penalty_weight, hp.clip_value) == (
        "weight_clipping",
        5.0,
        0.02,
    )
    assert model.real_batches_per_step == 3
    assert "constraint" not in model.hparams and "gp_weight" not in model.hparams


def old_style(checkpoint_path, tmp_path, renamed: dict[str, str], kept: tuple[str, ...] = ()):
    """The checkpoint as ganlab wrote it before the loss menu: only the `kept` recipe keys,
    and the `renamed` ones under their old names."""
    checkpoint = torch.load(checkpoint_path, weights_only=True)
    hparams = checkpoint["hyper_parameters"]
    for key in set(RECIPE_KEYS) - set(kept):
        value = hparams.pop(key)
        if key in renamed:
            hparams[renamed[key]] = value
    path = tmp_path / "old.ckpt"
    torch.save(checkpoint, path)
    return path


def test_a_dcgan_checkpoint_from_before_loads_and_fits_the_preset(dcgan_run, tmp_path):
    new = dcgan_run / "checkpoints" / "last.ckpt"
    old = old_style(new, tmp_path, {})
    model = load_module(old)
    assert (model.hparams.loss, model.n_critic, model.hparams.penalty) == ("ns", 1, "none")
    check_resumable(old, load_module(new))
    with pytest.raises(UsageError, match=r"model\.loss: 'ns' in the checkpoint, 'hinge' now"):
        check_resumable(old, DCGAN(**{**model.hparams, "loss": "hinge"}))


def wgan_run(mnist_root, run_dir, *extra: str) -> dict[str, float]:
    return train(
        compose_train(
            f"data.root={mnist_root}",
            "data.splits=[test]",
            f"paths.output_dir={run_dir}",
            "logger=none",
            "seed=1",
            "model=wgan_gp",
            "model/net=dcgan28",
            "model.latent_dim=8",
            "model.n_critic=2",
            *TINY,
            *extra,
        )
    )


def test_a_wgan_gp_checkpoint_with_the_old_names_loads_and_resumes(mnist_root, tmp_path):
    wgan_run(mnist_root, tmp_path / "first", "trainer.max_steps=1")
    renamed = {"penalty": "constraint", "penalty_weight": "gp_weight"}
    first = tmp_path / "first" / "checkpoints" / "last.ckpt"
    old = old_style(first, tmp_path, renamed, kept=("n_critic", "clip_value"))
    hparams = torch.load(old, weights_only=True)["hyper_parameters"]
    assert (hparams["constraint"], hparams["gp_weight"]) == ("gradient_penalty", 10.0)
    assert "loss" not in hparams and "penalty" not in hparams
    model = load_module(old)
    assert (model.hparams.loss, model.hparams.penalty, model.hparams.penalty_weight) == (
        "wasserstein",
        "gradient_penalty",
        10.0,
    )
    metrics = wgan_run(mnist_root, tmp_path / "resumed", "trainer.max_steps=2", f"ckpt_path={old}")
    resumed = torch.load(tmp_path / "resumed" / "checkpoints" / "last.ckpt", weights_only=True)
    assert resumed["global_step"] == 2
    assert resumed["hyper_parameters"]["penalty"] == "gradient_penalty"
    assert torch.isfinite(torch.tensor(metrics["c_gp_step"]))


def test_a_conditional_run_trains_with_r3gans_recipe_from_the_cli_config(mnist_root, tmp_path):
    metrics = train(
        compose_train(
            f"data.root={mnist_root}",
            "data.splits=[test]",
            f"paths.output_dir={tmp_path}",
            "logger=none",
            "model=cdcgan",
            "model.loss=rpgan",
            "model.penalty=r1_r2",
            "model.penalty_weight=1.0",
            "trainer.max_steps=2",
            *TINY,
        )
    )
    assert math.isfinite(metrics["c_r1_r2_step"]) and math.isfinite(metrics["c_wass_step"])
