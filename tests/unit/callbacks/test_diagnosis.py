"""The live diagnosis on tiny runs made to fail: a discriminator with 10x the learning rate
dominates, a generator trained alone (the discriminator's rate ~0) gets a vanishing gradient,
a NaN is divergence, and the default settings are healthy."""

import torch

from ganlab.callbacks import Diagnosis, DivergenceGuard, SampleGrid
from ganlab.data.mnist import MNISTDataModule
from ganlab.diagnosis.rules import (
    DISCRIMINATOR_DOMINATES,
    DIVERGENCE,
    HEALTHY,
    VANISHING_GRADIENT,
)
from ganlab.models import DCGAN
from tests.helpers import quiet_trainer
from tests.helpers.faults import PoisonAt

NET = {
    network: {
        "_target_": f"ganlab.nets.dcgan64.{network.capitalize()}",
        "base_channels": 8,
        "max_channels": 32,
    }
    for network in ("generator", "discriminator")
}
STEPS, WINDOW = 20, 5


def diagnose(mnist_root, tmp_path, *extra_callbacks, steps: int = STEPS, **optim) -> Diagnosis:
    torch.manual_seed(0)
    model = DCGAN(
        net=NET,
        optim={"lr": 2e-4, "beta1": 0.5, "beta2": 0.999} | optim,
        latent_dim=16,
        image_shape=(1, 32, 32),
        sample_count=16,
    )
    data = MNISTDataModule(root=str(mnist_root), splits=["test"], batch_size=16, image_size=32)
    diagnosis = Diagnosis(window=WINDOW)
    callbacks = [*extra_callbacks, SampleGrid(str(tmp_path / "samples")), diagnosis]
    trainer = quiet_trainer(steps, callbacks=callbacks)
    trainer.fit(model, datamodule=data)
    diagnosis.shown = trainer.progress_bar_metrics.get("health")
    return diagnosis


def verdicts(diagnosis: Diagnosis) -> list[str]:
    return [phase.verdict for phase in diagnosis.phases]


def test_the_default_settings_are_healthy(mnist_root, tmp_path):
    diagnosis = diagnose(mnist_root, tmp_path)
    assert verdicts(diagnosis) == [HEALTHY]
    assert (diagnosis.phases[0].start, diagnosis.phases[0].end) == (0, STEPS - 1)
    assert diagnosis.record()["verdict"] == HEALTHY and diagnosis.shown == HEALTHY


def test_a_discriminator_with_ten_times_the_rate_dominates(mnist_root, tmp_path):
    diagnosis = diagnose(mnist_root, tmp_path, lr=1e-3, lr_d=1e-2)
    assert verdicts(diagnosis)[-1] == DISCRIMINATOR_DOMINATES, diagnosis.phases
    phase = diagnosis.phases[-1]
    assert phase.end == STEPS - 1 and phase.start <= 10
    assert phase.remedies[0] == "model.optim.lr_d=0.0025"
    assert diagnosis.shown == DISCRIMINATOR_DOMINATES


def test_a_generator_trained_alone_loses_its_gradient(mnist_root, tmp_path):
    diagnosis = diagnose(mnist_root, tmp_path, steps=40, lr_d=1e-8, lr_g=1e-2)
    assert verdicts(diagnosis)[-1] == VANISHING_GRADIENT, diagnosis.phases
    assert diagnosis.phases[-1].start >= 20 and diagnosis.phases[-1].end == 39
    assert diagnosis.phases[-1].remedies[0] == "model.optim.lr_d=0.01"


def test_a_nan_is_divergence(mnist_root, tmp_path):
    guard = DivergenceGuard(on_divergence="skip_batch", max_skipped_batches=100)
    diagnosis = diagnose(mnist_root, tmp_path, guard, PoisonAt(7))
    assert verdicts(diagnosis) == [HEALTHY, DIVERGENCE, HEALTHY], diagnosis.phases
    assert (diagnosis.phases[1].start, diagnosis.phases[1].end) == (5, 9)
