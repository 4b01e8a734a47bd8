"""AC-GAN's auxiliary classifier (`model.auxiliary_classifier_weight`): a class head on the
discriminator's features, built only when on, whose cross-entropy both networks minimise, under
every procedure."""

import math

import pytest
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader

from ganlab.errors import UsageError
from ganlab.losses import auxiliary_classifier_loss
from ganlab.models import DCGAN, GAN, WGAN
from tests.helpers import quiet_trainer

NET = {
    "generator": {"_target_": "ganlab.nets.mlp.Generator", "hidden": [16]},
    "discriminator": {"_target_": "ganlab.nets.mlp.Discriminator", "hidden": [16], "dropout": 0},
}
OPTIM = {"lr": 1e-3, "beta1": 0.5, "beta2": 0.999}
CLASSES = 3

pytestmark = pytest.mark.usefixtures("one_thread")


def build(cls: type[GAN] = DCGAN, weight: float = 1.0, **options) -> GAN:
    torch.manual_seed(0)
    return cls(
        net=NET,
        optim=OPTIM,
        latent_dim=4,
        image_shape=(1, 8, 8),
        num_classes=CLASSES,
        conditional=True,
        auxiliary_classifier_weight=weight,
        **options,
    )


def test_the_head_is_built_only_when_on_and_trained_by_the_discriminator():
    assert build(weight=0.0).discriminator.auxiliary_classifier is None
    model = build()
    head = model.discriminator.auxiliary_classifier
    assert (head.in_features, head.out_features) == (16, CLASSES)
    assert any(p is head.weight for p in model.discriminator.parameters())
    logits, classes = model.discriminator(torch.randn(5, 1, 8, 8), torch.arange(5) % CLASSES, True)
    assert logits.shape == (5,) and classes.shape == (5, CLASSES)
    # called as a penalty calls it, the discriminator returns its logits alone
    assert model.discriminator(torch.randn(5, 1, 8, 8), torch.arange(5) % CLASSES).shape == (5,)


def test_an_unconditional_run_with_a_class_head_is_a_usage_error():
    with pytest.raises(UsageError, match=r"auxiliary_classifier_weight=1\.0 trains D to name"):
        DCGAN(net=NET, optim=OPTIM, image_shape=(1, 8, 8), auxiliary_classifier_weight=1.0)


def test_the_class_term_is_the_cross_entropy_and_its_accuracy():
    labels = torch.tensor([0, 1, 2, 2])
    uniform = torch.zeros(4, CLASSES)
    sure = F.one_hot(torch.tensor([0, 1, 2, 0]), CLASSES).float() * 50
    loss, (uniform_right, sure_right) = auxiliary_classifier_loss(labels, uniform, sure)
    assert loss.item() == pytest.approx(math.log(CLASSES) + 50 / 4, rel=1e-5)
    assert sure_right.item() == 0.75 and uniform_right.item() == 0.25  # argmax of ties: 0


def test_both_networks_add_the_weighted_cross_entropy():
    model = build(weight=2.0)
    labels = torch.tensor([0, 1, 2, 1])
    real_logits, fake_logits = torch.randn(4), torch.randn(4)
    real_classes, fake_classes = torch.randn(4, CLASSES), torch.randn(4, CLASSES)
    plain, _ = model.discriminator_loss(real_logits, fake_logits, None, None, labels)
    loss, metrics = model.discriminator_loss(
        real_logits, fake_logits, None, None, labels, (real_classes, fake_classes)
    )
    terms = F.cross_entropy(real_classes, labels) + F.cross_entropy(fake_classes, labels)
    assert loss.item() == pytest.approx((plain + 2 * terms).item(), rel=1e-6)
    assert metrics["d_class_loss"].item() == pytest.approx(terms.item(), rel=1e-6)
    assert {"d_class_acc_real", "d_class_acc_fake"} <= metrics.keys()
    g_loss = model.generator_loss(fake_logits, None, labels, fake_classes=fake_classes)
    expected = model.generator_loss(fake_logits, None, labels) + 2 * F.cross_entropy(
        fake_classes, labels
    )
    assert g_loss.item() == pytest.approx(expected.item(), rel=1e-6)


def fit(model: GAN, steps: int, batch: int = 12):
    """Real images whose class is their brightness: class c is a constant image of value
    c - 1, so a discriminator that reads its features can name it."""
    generator = torch.Generator().manual_seed(0)
    batches = []
    for _ in range(steps):
        labels = torch.randint(0, CLASSES, (batch,), generator=generator)
        images = (labels.float() - 1)[:, None, None, None].expand(batch, 1, 8, 8)
        batches.append((images + 0.05 * torch.randn(images.shape, generator=generator), labels))
    trainer = quiet_trainer(steps)
    trainer.fit(model, train_dataloaders=DataLoader(batches, batch_size=None))
    return trainer.callback_metrics


PROCEDURES = {
    "dcgan": (DCGAN, {}),
    "dcgan-simultaneous": (DCGAN, {"update": "simultaneous"}),
    "dcgan-rpgan": (DCGAN, {"loss": "rpgan"}),
    "wgan-gp": (WGAN, {"n_critic": 2}),
    "wgan-clipping": (WGAN, {"n_critic": 2, "penalty": "weight_clipping"}),
}


@pytest.mark.parametrize("procedure", PROCEDURES)
def test_every_procedure_trains_the_class_head(procedure):
    cls, options = PROCEDURES[procedure]
    model = build(cls, **options)
    head = model.discriminator.auxiliary_classifier.weight.detach().clone()
    metrics = fit(model, steps=3)
    prefix = "c" if model.critic else "d"
    for name in ("class_loss", "class_acc_real", "class_acc_fake"):
        assert torch.isfinite(metrics[f"{prefix}_{name}_step"]), name
    assert not torch.equal(model.discriminator.auxiliary_classifier.weight, head)


def test_the_discriminator_learns_to_name_the_real_images_class():
    metrics = fit(build(), steps=60)
    assert metrics["d_class_acc_real_step"] >= 0.9


class PlainDiscriminator(torch.nn.Module):
    """A user's discriminator without the class-head option."""

    def __init__(self, image_shape, num_classes=0):
        super().__init__()
        self.score = torch.nn.Linear(math.prod(image_shape), 1)


def test_a_family_without_the_head_option_is_one_clear_error():
    net = {**NET, "discriminator": {"_target_": f"{__name__}.PlainDiscriminator"}}
    with pytest.raises(UsageError, match="PlainDiscriminator has no auxiliary_classifier option"):
        DCGAN(net=net, optim=OPTIM, image_shape=(1, 8, 8), num_classes=CLASSES, conditional=True,
              auxiliary_classifier_weight=1.0)  # fmt: skip
    DCGAN(net=net, optim=OPTIM, image_shape=(1, 8, 8), num_classes=CLASSES, conditional=True)
