"""A metric during training: every k epochs, score n generated images against the training
data and log the result, so TensorBoard plots it and a ModelCheckpoint can keep the best."""

from lightning.pytorch import Callback, LightningModule, Trainer

from ganlab.errors import UsageError
from ganlab.metrics.evaluator import DOMAIN, FIELDS, Evaluator, parse_metrics
from ganlab.metrics.real_images import datamodule_images, split_reference
from ganlab.metrics.reference import default_cache_dir
from ganlab.sampling.latents import balanced_labels, latent_vectors
from ganlab.sampling.render import render


class PeriodicMetric(Callback):
    """Logs `metric` (a field of `ganlab.evaluate`: fid, kid_mean, domain_fid, class_entropy,
    nn_l1 …, with the other fields of its group) every `every_n_epochs` epochs (an epoch cut
    short by max_steps counts), from the same `n` latent vectors each time (labels balanced
    over the classes in a conditional run), against `real_n` training images (all by default;
    their features are cached like `ganlab.evaluate`'s). `extra_metrics` (e.g.
    `[precision_recall]`) are logged beside it from the same images and feature pass."""

    def __init__(
        self,
        metric: str = "domain_fid",
        every_n_epochs: int = 1,
        n: int = 1000,
        real_n: int | None = None,
        batch_size: int = 64,
        seed: int = 0,
        cache: bool = True,
        extra_metrics: list[str] | tuple[str, ...] = (),
        resize: str = "tf1_bilinear",
    ):
        (self.group,) = parse_metrics([metric])
        self.groups = parse_metrics([metric, *extra_metrics])
        if n < 2 or every_n_epochs < 1:
            raise UsageError(
                f"PeriodicMetric needs n >= 2 and every_n_epochs >= 1, got {n}, {every_n_epochs}"
            )
        self.metric = metric
        self.every_n_epochs = every_n_epochs
        self.n = n
        self.real_n = real_n
        self.batch_size = batch_size
        self.seed = seed
        self.cache = cache
        self.resize = resize
        self.evaluator: Evaluator | None = None
        self.last_scored_step = -1

    def on_fit_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        """Load the real images and their reference features now: a metric that does not
        apply, or missing Inception weights, stop the run before the first step."""
        real = datamodule_images(trainer.datamodule)
        reference, _, pool = split_reference(real, self.real_n)
        self.evaluator = Evaluator(
            reference,
            self.groups,
            pool=pool,
            device=pl_module.device,
            batch_size=self.batch_size,
            cache_dir=default_cache_dir() if self.cache else None,
            seed=self.seed,
            resize=self.resize,
        )
        domain = [group for group in self.groups if group in DOMAIN]
        if domain and (reason := self.evaluator.domain_unavailable()):
            raise UsageError(f"the {domain[0]} callback metric {reason}: use metric=fid")
        self.evaluator.prepare()

    def score(self, trainer: Trainer, pl_module: LightningModule) -> None:
        if trainer.global_step == self.last_scored_step or self.evaluator is None:
            return
        self.last_scored_step = trainer.global_step
        labels = None
        if pl_module.conditional:
            labels = balanced_labels(self.n, pl_module.num_classes)
        z = latent_vectors(self.n, pl_module.latent_dim, self.seed)
        images = render(pl_module, z, labels, self.batch_size, pl_module.device)
        scores = self.evaluator.score(images, labels)
        for name in (name for group in self.groups for name in FIELDS[group]):
            if name in scores.values:
                pl_module.log(name, scores.values[name], prog_bar=name == self.metric)

    def on_train_epoch_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        if (trainer.current_epoch + 1) % self.every_n_epochs == 0:
            self.score(trainer, pl_module)
