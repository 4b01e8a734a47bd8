"""Lightning callbacks: sample grids and anything else the Trainer calls back."""

from ganlab.callbacks.periodic_metric import PeriodicMetric
from ganlab.callbacks.sample_grid import SampleGrid

__all__ = ["PeriodicMetric", "SampleGrid"]
