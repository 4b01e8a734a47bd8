"""Training procedures: one LightningModule per procedure, any network pair, any data."""

from ganlab.models.base import GAN
from ganlab.models.dcgan import DCGAN
from ganlab.models.schedule import Objective
from ganlab.models.wgan import WGAN

__all__ = ["DCGAN", "GAN", "WGAN", "Objective"]
