"""Read back what a run gave TensorBoard's HParams plugin."""

from pathlib import Path

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.plugins.hparams import plugin_data_pb2


def hparams_summary(run_dir: Path) -> tuple[dict, list[str]]:
    """The run's hyper-parameters (name -> number or text) and the metric names it lists."""
    (events,) = Path(run_dir).rglob("events.out.tfevents.*")
    accumulator = EventAccumulator(str(events))
    accumulator.Reload()
    content = accumulator.PluginTagToContent("hparams")
    start = plugin_data_pb2.HParamsPluginData.FromString(content["_hparams_/session_start_info"])
    experiment = plugin_data_pb2.HParamsPluginData.FromString(content["_hparams_/experiment"])
    params = {
        key: value.number_value if value.HasField("number_value") else value.string_value
        for key, value in start.session_start_info.hparams.items()
    }
    metrics = [info.name.tag for info in experiment.experiment.metric_infos]
    return params, metrics
