"""Training procedures: one LightningModule per procedure, any network pair, any data."""

from ganlab.models.base import GAN
from ganlab.models.dcgan import DCGAN

__all__ = ["DCGAN", "GAN"]
