"""Read scalars back from a run's TensorBoard events."""

from pathlib import Path

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator


def scalars(run_dir: Path) -> dict[str, list[tuple[int, float]]]:
    """tag -> [(step, value), ...] from every events file under run_dir."""
    found: dict[str, list[tuple[int, float]]] = {}
    for events in sorted(Path(run_dir).rglob("events.out.tfevents.*")):
        accumulator = EventAccumulator(str(events), size_guidance={"scalars": 0, "images": 0})
        accumulator.Reload()
        for tag in accumulator.Tags()["scalars"]:
            found.setdefault(tag, []).extend((e.step, e.value) for e in accumulator.Scalars(tag))
    return found


def image_tags(run_dir: Path) -> list[str]:
    tags: list[str] = []
    for events in Path(run_dir).rglob("events.out.tfevents.*"):
        accumulator = EventAccumulator(str(events), size_guidance={"images": 0})
        accumulator.Reload()
        tags += accumulator.Tags()["images"]
    return tags
