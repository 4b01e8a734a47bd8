"""Scalar curves read back from a run's TensorBoard event files."""

from pathlib import Path

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

Curve = tuple[list[int], list[float]]


def read_curves(run_dir: Path, tags: list[str] | None = None) -> dict[str, Curve]:
    """tag -> (steps, values) over every events file of the run (a resumed run has several),
    in step order, for the given tags (those the run logged) or every scalar tag."""
    points: dict[str, list[tuple[int, float]]] = {}
    for events in sorted(run_dir.rglob("events.out.tfevents.*")):
        accumulator = EventAccumulator(str(events), size_guidance={"scalars": 0})
        accumulator.Reload()
        logged = accumulator.Tags()["scalars"]
        for tag in logged if tags is None else set(tags) & set(logged):
            points.setdefault(tag, []).extend((e.step, e.value) for e in accumulator.Scalars(tag))
    curves = {}
    for tag, pairs in points.items():
        pairs.sort()
        curves[tag] = ([step for step, _ in pairs], [value for _, value in pairs])
    return curves


def smooth(values: list[float], weight: float) -> list[float]:
    """TensorBoard's exponential moving average (its 'Smoothing' slider), debiased."""
    smoothed, average, norm = [], 0.0, 0.0
    for value in values:
        average = weight * average + (1 - weight) * value
        norm = weight * norm + (1 - weight)
        smoothed.append(average / norm)
    return smoothed


def per_step_tags(curves: list[dict[str, Curve]], metrics: list[str]) -> list[str]:
    """The per-step curve of each recorded metric (`g_loss_epoch` -> `g_loss_step`) that some
    run logged: the losses and statistics of whichever procedures the sweep trained."""
    logged = set().union(*curves)
    tags = [f"{name.removesuffix('_epoch')}_step" for name in metrics]
    return [tag for tag in tags if tag in logged]
