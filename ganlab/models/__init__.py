"""Training procedures: one LightningModule (`GAN`) and its presets (`DCGAN`, `WGAN`)."""

from ganlab.models.dcgan import DCGAN
from ganlab.models.gan import GAN
from ganlab.models.wgan import WGAN

__all__ = ["DCGAN", "GAN", "WGAN"]
