"""Lightning callbacks: sample grids, class coverage, run summary, checkpoints, divergence
guard, diagnosis, random states, interruption by a signal."""

from ganlab.callbacks.checkpoint import Checkpoint, LastCheckpoint
from ganlab.callbacks.class_coverage import ClassCoverage
from ganlab.callbacks.diagnosis import Diagnosis
from ganlab.callbacks.divergence import DivergenceGuard
from ganlab.callbacks.interruption import Interruption
from ganlab.callbacks.periodic_metric import PeriodicMetric
from ganlab.callbacks.random_state import RandomState
from ganlab.callbacks.run_summary import RunSummary
from ganlab.callbacks.sample_grid import SampleGrid

__all__ = [
    "Checkpoint",
    "ClassCoverage",
    "Diagnosis",
    "DivergenceGuard",
    "Interruption",
    "LastCheckpoint",
    "PeriodicMetric",
    "RandomState",
    "RunSummary",
    "SampleGrid",
]
