"""The hand-written PyTorch loop ganlab is checked and timed against, the one copy of it.

Each schedule is written as a researcher writes it without a framework: two networks, two
optimizers and `ganlab.losses`' functions, nothing of ganlab's procedure. `DCGANLoop` is
pytorch/examples' DCGAN step (the discriminator, then the generator against the updated
discriminator, back-propagating through the same fakes) or the TensorFlow tutorial's two
gradient tapes, with the label tricks; `WGANLoop` is Gulrajani et al.'s Algorithm 1 (`n_critic`
critic updates, each on its own real batch and fresh noise, then a generator update on fresh
noise) with the gradient penalty, or Arjovsky et al.'s weight clipping. Only the network that
is updated gets gradients (`backward(inputs=...)`), so a ratio of 1.0 means ganlab adds nothing.

`tests/unit/models/test_schedule_exact.py` checks that a ganlab step computes what these loops
compute, bit for bit; `ganlab.bench` times them (`Timed`) against ganlab's step.
"""

from collections.abc import Iterator, Mapping
from typing import Any

import torch
from torch import nn

from ganlab.losses import (
    clip_weights,
    critic_gradient_norms,
    critic_wasserstein_loss,
    discriminator_bce_loss,
    discriminator_targets,
    generator_nonsaturating_loss,
    generator_wasserstein_loss,
    gradient_penalty,
    random_interpolates,
)
from ganlab.models import GAN
from ganlab.nets.build import build_pair

Losses = tuple[torch.Tensor, torch.Tensor]


class PlainLoop:
    """One `step_on(images, labels)` is one generator update on the loader's batch (all of
    its discriminator updates' real images), as ganlab's `global_step` counts."""

    def __init__(
        self,
        generator: nn.Module,
        discriminator: nn.Module,
        opt_g: torch.optim.Optimizer,
        opt_d: torch.optim.Optimizer,
        hparams: Mapping[str, Any],
    ):
        self.generator, self.discriminator = generator, discriminator
        self.opt_g, self.opt_d = opt_g, opt_d
        self.hp = hparams
        self.g_params = list(generator.parameters())
        self.d_params = list(discriminator.parameters())

    def noise(self, like: torch.Tensor) -> torch.Tensor:
        return torch.randn(like.shape[0], self.hp["latent_dim"], device=like.device)

    def shown(self, labels: torch.Tensor) -> torch.Tensor | None:
        return labels if self.hp["conditional"] else None

    def step_on(self, images: torch.Tensor, labels: torch.Tensor) -> Losses:
        raise NotImplementedError


class DCGANLoop(PlainLoop):
    def d_loss(self, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
        tricks = {"noise": self.hp["label_noise"], "flip": self.hp["label_flip"]}
        smoothing = self.hp["label_smoothing"]
        real_target = discriminator_targets(real_logits, True, smoothing=smoothing, **tricks)
        fake_target = discriminator_targets(fake_logits, False, **tricks)
        return discriminator_bce_loss(real_logits, fake_logits, real_target, fake_target)

    def step_on(self, real: torch.Tensor, labels: torch.Tensor) -> Losses:
        labels = self.shown(labels)
        fake = self.generator(self.noise(real), labels)
        if self.hp["update"] == "simultaneous":
            return self.two_tapes(real, fake, labels)
        d_loss = self.d_loss(
            self.discriminator(real, labels), self.discriminator(fake.detach(), labels)
        )
        self.opt_d.zero_grad(set_to_none=True)
        d_loss.backward(inputs=self.d_params)
        self.opt_d.step()
        g_loss = generator_nonsaturating_loss(self.discriminator(fake, labels))
        self.opt_g.zero_grad(set_to_none=True)
        g_loss.backward(inputs=self.g_params)
        self.opt_g.step()
        return d_loss.detach(), g_loss.detach()

    def two_tapes(
        self, real: torch.Tensor, fake: torch.Tensor, labels: torch.Tensor | None
    ) -> Losses:
        """Both losses from one forward pass; the generator's gradient is the one its images
        get as the discriminator's input."""
        leaf = fake.detach().requires_grad_(True)
        real_logits, fake_logits = (
            self.discriminator(real, labels),
            self.discriminator(leaf, labels),
        )
        d_loss = self.d_loss(real_logits, fake_logits)
        g_loss = generator_nonsaturating_loss(fake_logits)
        (leaf_grad,) = torch.autograd.grad(g_loss, leaf, retain_graph=True)
        self.opt_g.zero_grad(set_to_none=True)
        self.opt_d.zero_grad(set_to_none=True)
        fake.backward(leaf_grad)
        d_loss.backward(inputs=self.d_params)
        self.opt_d.step()
        self.opt_g.step()
        return d_loss.detach(), g_loss.detach()


class WGANLoop(PlainLoop):
    def step_on(self, images: torch.Tensor, all_labels: torch.Tensor) -> Losses:
        n_critic, clipping = self.hp["n_critic"], self.hp["penalty"] == "weight_clipping"
        critic_losses = []
        for index, (real, labels) in enumerate(
            zip(images.tensor_split(n_critic), all_labels.tensor_split(n_critic), strict=True)
        ):
            labels = self.shown(labels)
            with torch.no_grad():
                fake = self.generator(self.noise(real), labels)
            loss = critic_wasserstein_loss(
                self.discriminator(real, labels), self.discriminator(fake, labels)
            )
            if not clipping:
                penalty, _ = gradient_penalty(self.discriminator, real, fake, labels)
                loss = loss + self.hp["penalty_weight"] * penalty
            self.opt_d.zero_grad(set_to_none=True)
            loss.backward(inputs=self.d_params)
            self.opt_d.step()
            if clipping:
                clip_weights(self.discriminator, self.hp["clip_value"])
                if index == n_critic - 1:  # the draw of the clipped critic's logged gradient norm
                    critic_gradient_norms(
                        self.discriminator, random_interpolates(real, fake), labels, False
                    )
            critic_losses.append(loss.detach())
        fake = self.generator(self.noise(real), labels)
        g_loss = generator_wasserstein_loss(self.discriminator(fake, labels))
        self.opt_g.zero_grad(set_to_none=True)
        g_loss.backward(inputs=self.g_params)
        self.opt_g.step()
        return torch.stack(critic_losses).mean(), g_loss.detach()


def loop_for(hparams: Mapping[str, Any]) -> type[PlainLoop]:
    """The loop that writes out the schedule these hyper-parameters ask for."""
    hp = hparams
    plain = not hp.get("augment") and hp.get("penalty_every", 1) == hp.get("n_generator", 1) == 1
    reused = hp.get("generator_noise", "reused") == "reused"
    dcgan = (hp["loss"], hp["n_critic"], hp["penalty"]) == ("ns", 1, "none") and reused
    if plain and dcgan:
        return DCGANLoop
    lipschitz = hp["penalty"] in ("gradient_penalty", "weight_clipping")
    fresh = hp.get("generator_noise") == "fresh" and hp.get("update") != "simultaneous"
    if plain and hp["loss"] == "wasserstein" and lipschitz and fresh:
        return WGANLoop
    raise ValueError(
        f"no plain PyTorch loop is written for loss={hp['loss']}, penalty={hp['penalty']}, "
        f"n_critic={hp['n_critic']}: only for DCGAN's and WGAN's published schedules"
    )


def make_optimizers(
    hparams: Mapping[str, Any],
    generator: nn.Module,
    discriminator: nn.Module,
    fused: bool | None = None,
) -> tuple[torch.optim.Optimizer, torch.optim.Optimizer]:
    """Adam (or RMSprop) as `model.optim` says, written out by hand; `fused=None` leaves the
    for-each/fused choice to torch."""
    optim = hparams["optim"]
    lr_g, lr_d = optim.get("lr_g") or optim["lr"], optim.get("lr_d") or optim["lr"]
    if optim.get("name", "adam") == "rmsprop":
        return (
            torch.optim.RMSprop(generator.parameters(), lr=lr_g),
            torch.optim.RMSprop(discriminator.parameters(), lr=lr_d),
        )
    adam = {"betas": (optim["beta1"], optim["beta2"]), "fused": fused}
    return (
        torch.optim.Adam(generator.parameters(), lr=lr_g, **adam),
        torch.optim.Adam(discriminator.parameters(), lr=lr_d, **adam),
    )


def real_batches(
    images: torch.Tensor, labels: torch.Tensor, batch_size: int, device: str | torch.device
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Shuffled batches of uint8 images (N, C, H, W) scaled to [-1, 1] on the device, forever:
    one random permutation per epoch, last partial batch dropped, like the training loader."""
    if len(images) < batch_size:
        raise ValueError(f"{len(images)} images cannot fill a batch of {batch_size}")
    while True:
        order = torch.randperm(len(images))
        for index in order[: len(order) // batch_size * batch_size].split(batch_size):
            real = images[index].to(device, non_blocking=True)
            yield real.float().div_(127.5).sub_(1.0), labels[index].to(device, non_blocking=True)


def copy_networks(module: GAN, device: str | torch.device) -> tuple[nn.Module, nn.Module]:
    """Fresh networks from the module's net configs, from stock torch.nn layers only
    (`cpu_tricks` off), holding the module's weights."""
    hp = module.hparams
    net = {name: {**config, "cpu_tricks": False} for name, config in hp.net.items()}
    classes = hp.num_classes if hp.conditional else 0
    generator, discriminator = build_pair(net, hp.latent_dim, tuple(hp.image_shape), classes)
    generator.load_state_dict(module.generator.state_dict())
    discriminator.load_state_dict(module.discriminator.state_dict())
    return generator.to(device).train(), discriminator.to(device).train()


class Timed:
    """The bench's contender: the loop on stock copies of the module's networks, fed from the
    same images in its own shuffled order, as many per step as ganlab's loader gives."""

    name = "plain PyTorch"

    def __init__(
        self,
        module: GAN,
        images: torch.Tensor,
        labels: torch.Tensor,
        batch_size: int,
        device: str | torch.device = "cpu",
    ):
        generator, discriminator = copy_networks(module, device)
        optimizers = make_optimizers(module.hparams, generator, discriminator)
        self.loop = loop_for(module.hparams)(generator, discriminator, *optimizers, module.hparams)
        self.images_per_step = batch_size * module.real_batches_per_step
        self.real = real_batches(images, labels, self.images_per_step, device)

    def step(self) -> None:
        self.loop.step_on(*next(self.real))
