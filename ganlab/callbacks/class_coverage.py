"""How many digits the generator draws, while training on MNIST: pixel diversity misses a
generator that draws varied images of only two or three digits, and this is the signal that
lets the diagnosis call that a mode collapse (docs/diagnosis.md)."""

import logging

import torch
from lightning.pytorch import Callback, LightningModule, Trainer

from ganlab.metrics.class_stats import class_entropy
from ganlab.metrics.mnist_classifier import DIGITS, IMAGE_SHAPE, load_classifier
from ganlab.options import Declared, Rule, at_least
from ganlab.sampling.latents import balanced_labels, latent_vectors
from ganlab.sampling.render import generate_images

log = logging.getLogger(__name__)
SIGNAL = "sample_class_entropy"


class ClassCoverage(Callback, Declared):
    """Every `every_n_epochs` epochs (and at the end of training) ganlab's MNIST classifier
    reads `n` images from the same latent vectors (labels balanced over the classes in a
    conditional run) and `sample_class_entropy` is logged: the entropy of the predicted digits'
    histogram over log 10 (1: every digit equally often, 0: one digit), to every logger and to
    `callback_metrics` for the diagnosis. A no-op unless the images are 1x28x28 with the
    classes 0-9: the classifier knows nothing else."""

    config_prefix = "callbacks.class_coverage."
    rules = (
        Rule("n", "integer", ">= 2", at_least(2)),
        Rule("every_n_epochs", "integer", ">= 1", at_least(1)),
    )

    def __init__(self, n: int = 500, every_n_epochs: int = 1, seed: int = 0):
        self.check_values({"n": n, "every_n_epochs": every_n_epochs})
        self.n = n
        self.every_n_epochs = every_n_epochs
        self.seed = seed
        self.classifier: torch.nn.Module | None = None
        self.last_scored_step = -1

    def on_fit_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        shape = tuple(pl_module.hparams.image_shape)
        classes = list(getattr(trainer.datamodule, "class_names", None) or [])
        if shape != IMAGE_SHAPE or classes != DIGITS:
            log.debug("class coverage off: the images are %s with classes %s", shape, classes)
            return
        self.classifier, _ = load_classifier(device=pl_module.device)

    def score(self, trainer: Trainer, pl_module: LightningModule) -> None:
        step = trainer.global_step
        if self.classifier is None or step == self.last_scored_step:
            return
        self.last_scored_step = step
        z = latent_vectors(self.n, pl_module.latent_dim, self.seed)
        labels = balanced_labels(self.n, pl_module.num_classes) if pl_module.conditional else None
        images = generate_images(pl_module, z, labels)
        with torch.no_grad():
            probabilities = self.classifier(images.to(pl_module.device)).softmax(1)
        entropy = class_entropy(probabilities)
        trainer.callback_metrics[SIGNAL] = torch.tensor(entropy, device=pl_module.device)
        for logger in trainer.loggers:
            logger.log_metrics({SIGNAL: entropy}, step=max(step - 1, 0))

    def on_train_epoch_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        if (trainer.current_epoch + 1) % self.every_n_epochs == 0:
            self.score(trainer, pl_module)

    def on_train_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self.score(trainer, pl_module)
