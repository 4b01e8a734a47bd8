"""Lightning callbacks: sample grids, the run summary, anything else the Trainer calls back."""

from ganlab.callbacks.run_summary import RunSummary
from ganlab.callbacks.sample_grid import SampleGrid

__all__ = ["RunSummary", "SampleGrid"]
