"""Lightning callbacks: sample grids, checkpoints, divergence guard, random states."""

from ganlab.callbacks.checkpoint import LastCheckpoint
from ganlab.callbacks.divergence import DivergenceGuard
from ganlab.callbacks.random_state import RandomState
from ganlab.callbacks.sample_grid import SampleGrid

__all__ = ["DivergenceGuard", "LastCheckpoint", "RandomState", "SampleGrid"]
