"""The hand-written PyTorch loops ganlab is timed against.

Each loop is what a researcher writes without a framework: the same architectures (built from
the module's own `net` configs with `cpu_tricks=False`, so from stock `torch.nn` layers only,
and started from the module's initial weights), the same optimizers,
batch size and images, and no logging, callbacks or checkpoints. The gradient bookkeeping is
the minimal one a careful researcher writes (`backward(inputs=...)` instead of computing
gradients that are thrown away), so a ratio of 1.0 means ganlab adds nothing.
"""

from collections.abc import Iterator

import torch
import torch.nn.functional as F
from torch import nn

from ganlab.models import GAN
from ganlab.nets.build import build_pair


class RealBatches:
    """Shuffled batches of uint8 images (N, C, H, W) scaled to [-1, 1] on the device: one
    random permutation per epoch, last partial batch dropped, like the training loader."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, batch_size: int, device):
        if len(images) < batch_size:
            raise ValueError(f"{len(images)} images cannot fill a batch of {batch_size}")
        self.images, self.labels = images, labels
        self.batch_size = batch_size
        self.device = torch.device(device)
        self.batches: Iterator[torch.Tensor] = iter(())

    def _epoch(self) -> Iterator[torch.Tensor]:
        order = torch.randperm(len(self.images))
        return iter(order[: len(order) // self.batch_size * self.batch_size].split(self.batch_size))

    def next(self) -> tuple[torch.Tensor, torch.Tensor]:
        index = next(self.batches, None)
        if index is None:
            self.batches = self._epoch()
            index = next(self.batches)
        images = self.images[index].to(self.device, non_blocking=True)
        labels = self.labels[index].to(self.device, non_blocking=True)
        return images.float().div_(127.5).sub_(1.0), labels


def stock(net: dict) -> dict:
    """A net config built from stock torch.nn layers."""
    return {**net, "cpu_tricks": False}


def copy_networks(module: GAN, device) -> tuple[nn.Module, nn.Module]:
    """Fresh stock networks from the module's net configs, holding the module's weights."""
    hp = module.hparams
    classes = hp.num_classes if hp.conditional else 0
    net = {name: stock(config) for name, config in hp.net.items()}
    generator, discriminator = build_pair(net, hp.latent_dim, tuple(hp.image_shape), classes)
    generator.load_state_dict(module.generator.state_dict())
    discriminator.load_state_dict(module.discriminator.state_dict())
    return generator.to(device).train(), discriminator.to(device).train()


def make_optimizers(
    module: GAN, generator: nn.Module, discriminator: nn.Module
) -> tuple[torch.optim.Optimizer, torch.optim.Optimizer]:
    """The optimizers `GAN.configure_optimizers` documents, written out by hand (plain
    fp32 eager: the for-each/fused choice is left to torch's defaults)."""
    optim = module.hparams.optim
    lr_g = optim.get("lr_g") or optim["lr"]
    lr_d = optim.get("lr_d") or optim["lr"]
    if optim.get("name", "adam") == "rmsprop":
        return (
            torch.optim.RMSprop(generator.parameters(), lr=lr_g),
            torch.optim.RMSprop(discriminator.parameters(), lr=lr_d),
        )
    betas = (optim["beta1"], optim["beta2"])
    return (
        torch.optim.Adam(generator.parameters(), lr=lr_g, betas=betas),
        torch.optim.Adam(discriminator.parameters(), lr=lr_d, betas=betas),
    )


class PlainLoop:
    """One `step()` is one generator update, as in ganlab (`trainer.global_step`)."""

    name = "plain PyTorch"

    def __init__(
        self,
        module: GAN,
        images: torch.Tensor,
        labels: torch.Tensor,
        batch_size: int,
        device: str | torch.device = "cpu",
    ):
        hp = module.hparams
        self.device = torch.device(device)
        self.latent_dim = hp.latent_dim
        self.conditional = bool(hp.conditional)
        self.batch_size = batch_size
        self.generator, self.discriminator = copy_networks(module, self.device)
        self.opt_g, self.opt_d = make_optimizers(module, self.generator, self.discriminator)
        self.g_params = list(self.generator.parameters())
        self.d_params = list(self.discriminator.parameters())
        self.real = RealBatches(images, labels, batch_size, self.device)

    real_batches_per_step = 1

    @property
    def images_per_step(self) -> int:
        return self.batch_size * self.real_batches_per_step

    def next_real(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        images, labels = self.real.next()
        return images, labels if self.conditional else None

    def noise(self, count: int) -> torch.Tensor:
        return torch.randn(count, self.latent_dim, device=self.device)

    def step(self) -> None:
        raise NotImplementedError


def bce(logits: torch.Tensor, target: float) -> torch.Tensor:
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, target))


class PlainDCGAN(PlainLoop):
    """pytorch/examples' DCGAN step (alternating: D then G against the updated D) or the
    TensorFlow tutorial's two-tape step (simultaneous: both gradients from one forward)."""

    def __init__(self, module: GAN, *args, **kwargs):
        super().__init__(module, *args, **kwargs)
        self.update = module.hparams.get("update", "alternating")
        self.real_target = 1.0 - module.hparams.get("label_smoothing", 0.0)

    def step(self) -> None:
        real, labels = self.next_real()
        fake = self.generator(self.noise(real.shape[0]), labels)
        if self.update == "simultaneous":
            real_logits = self.discriminator(real, labels)
            fake_logits = self.discriminator(fake, labels)
            d_loss = bce(real_logits, self.real_target) + bce(fake_logits, 0.0)
            g_loss = bce(fake_logits, 1.0)
            self.opt_g.zero_grad(set_to_none=True)
            self.opt_d.zero_grad(set_to_none=True)
            g_loss.backward(inputs=self.g_params, retain_graph=True)
            d_loss.backward(inputs=self.d_params)
            self.opt_d.step()
            self.opt_g.step()
            return
        real_logits = self.discriminator(real, labels)
        fake_logits = self.discriminator(fake.detach(), labels)
        d_loss = bce(real_logits, self.real_target) + bce(fake_logits, 0.0)
        self.opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        self.opt_d.step()
        g_loss = bce(self.discriminator(fake, labels), 1.0)
        self.opt_g.zero_grad(set_to_none=True)
        g_loss.backward(inputs=self.g_params)
        self.opt_g.step()


class PlainWGANGP(PlainLoop):
    """Gulrajani et al.'s Algorithm 1: n_critic critic updates, each on a fresh real batch
    and fresh noise, with the penalty (‖∇D(x̂)‖₂ - 1)² at x̂ = real + α(fake - real),
    α ~ U(0, 1) per sample, through a double backward; then one generator update."""

    def __init__(self, module: GAN, *args, **kwargs):
        super().__init__(module, *args, **kwargs)
        self.n_critic = module.real_batches_per_step
        self.gp_weight = float(module.hparams.penalty_weight)

    @property
    def real_batches_per_step(self) -> int:
        return self.n_critic

    def critic_step(self) -> torch.Tensor | None:
        real, labels = self.next_real()
        with torch.no_grad():
            fake = self.generator(self.noise(real.shape[0]), labels)
        real_scores = self.discriminator(real, labels)
        fake_scores = self.discriminator(fake, labels)
        alpha = torch.rand(real.shape[0], 1, 1, 1, device=self.device)
        interpolates = (real + alpha * (fake - real)).requires_grad_(True)
        (grads,) = torch.autograd.grad(
            self.discriminator(interpolates, labels).sum(), interpolates, create_graph=True
        )
        penalty = (grads.flatten(1).norm(dim=1) - 1.0).pow(2).mean()
        loss = fake_scores.mean() - real_scores.mean() + self.gp_weight * penalty
        self.opt_d.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_d.step()
        return labels

    def step(self) -> None:
        for _ in range(self.n_critic):
            labels = self.critic_step()
        fake = self.generator(self.noise(self.batch_size), labels)
        g_loss = -self.discriminator(fake, labels).mean()
        self.opt_g.zero_grad(set_to_none=True)
        g_loss.backward(inputs=self.g_params)
        self.opt_g.step()


def plain_loop_for(module: GAN) -> type[PlainLoop]:
    """The hand-written loop that does what the module's procedure does."""
    recipe = (module.hparams.loss, module.hparams.penalty)
    if recipe == ("wasserstein", "gradient_penalty"):
        return PlainWGANGP
    if recipe == ("ns", "none") and module.n_critic == 1:
        return PlainDCGAN
    raise ValueError(
        f"no plain PyTorch loop is written for loss={recipe[0]}, penalty={recipe[1]}, "
        f"n_critic={module.n_critic}: only for DCGAN's and WGAN-GP's"
    )
