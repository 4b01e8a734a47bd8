"""Evaluate a checkpoint: `python -m ganlab.evaluate ckpt_path=PATH [n=… real_n=… metrics=[…]]`.

Generates `n` images (or reads `samples=`), compares them with the real data (the
checkpoint's data module unless `real=` / `data.*` say otherwise), prints a table and writes
`metrics.json`, `nearest_neighbours.png` and `samples.png` into `out`. `metrics.json` records
the protocol (`protocol=standard` or `lucic2018`: counts, real images, features, resize).
"""

import inspect
import json
import re
import time
from pathlib import Path
from typing import Any

import hydra
import torch
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.errors import MissingConfigException
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from ganlab.errors import UsageError
from ganlab.metrics.evaluator import FIELDS, INCEPTION, Evaluator, Scores, parse_metrics
from ganlab.metrics.inception import check_resize, weights_path
from ganlab.metrics.nearest import neighbour_figure
from ganlab.metrics.protocol import (
    bias_warning,
    capped_real_count,
    protocol_count,
    protocol_record,
    warn,
    weights_kind,
)
from ganlab.metrics.real_images import (
    RealImages,
    datamodule_images,
    npz_real_images,
    split_reference,
)
from ganlab.metrics.reference import default_cache_dir, export_statistics
from ganlab.models.gan import GAN
from ganlab.run import cli
from ganlab.run.atomic import write_text_atomically
from ganlab.run.checkpoint import (
    module_from_checkpoint,
    read_checkpoint,
    resolve,
)
from ganlab.run.cli import run_reporting_errors
from ganlab.run.config import CONF_DIR
from ganlab.run.record import RECORD_FILE
from ganlab.run.rules import check_tool_options
from ganlab.sampling.files import load_npz, run_folder, save_grid, writable_folder
from ganlab.sampling.latents import balanced_labels, latent_vectors
from ganlab.sampling.render import render, resolve_device


def check_settings(cfg: DictConfig, ckpt: str | None) -> None:
    check_tool_options(cfg)
    for key, minimum in (("n", 2), ("batch_size", 1)):
        value = cfg.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise UsageError(f"{key} must be an integer >= {minimum}, got {value!r}")
    if cfg.real_n is not None and (not isinstance(cfg.real_n, int) or cfg.real_n < 2):
        raise UsageError(f"real_n must be an integer >= 2, auto or null (all), got {cfg.real_n!r}")
    if cfg.export_stats is not None and not str(cfg.export_stats).endswith(".npz"):
        raise UsageError(f"export_stats={cfg.export_stats} must name an .npz file")
    if cfg.export_stats is not None and not Path(cfg.export_stats).parent.is_dir():
        raise UsageError(f"export_stats={cfg.export_stats}: its folder does not exist")
    if ckpt is None and cfg.samples is None:
        raise UsageError(
            "ckpt_path= is required: python -m ganlab.evaluate ckpt_path=PATH/last.ckpt"
        )
    if ckpt is None and cfg.real is None:
        raise UsageError(f"samples={cfg.samples} without ckpt_path= needs real= (e.g. real=mnist)")
    if ckpt is None and cfg.out is None:
        raise UsageError(f"samples={cfg.samples} without ckpt_path= needs out=FOLDER")


def data_overrides(cfg: DictConfig) -> dict[str, Any]:
    """`data.*` over the real data module's arguments. A null `root` or `splits` is the
    default, "not given"; a null added key is an override (`+data.limit=null`: all images)."""
    given = OmegaConf.to_container(cfg.data)
    return {k: v for k, v in given.items() if v is not None or k not in ("root", "splits")}


def protocol_splits(cfg: DictConfig, arguments: dict[str, Any]) -> dict[str, Any]:
    """The protocol's real splits (lucic2018: [test]) for a data module that has splits."""
    if cfg.protocol.get("splits") is None or "splits" not in arguments:
        return {}
    return {"splits": list(cfg.protocol.splits)}


def data_preset(name: str) -> DictConfig:
    """`conf/data/<name>.yaml`, composed (inside or outside a running Hydra app); a name is a
    preset's, never a path out of the presets."""
    if not re.fullmatch(r"[A-Za-z0-9_]+", str(name)):
        raise MissingConfigException(f"real={name} is not a preset name", f"data/{name}")
    if GlobalHydra.instance().is_initialized():
        return compose(config_name=f"data/{name}").data
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        return compose(config_name=f"data/{name}").data


def real_datamodule_config(
    cfg: DictConfig, ckpt: str | None, checkpoint: dict | None
) -> dict[str, Any]:
    """`_target_` and arguments of the real data module: a preset or the checkpoint's."""
    if cfg.real is not None:
        try:
            preset = data_preset(cfg.real)
        except MissingConfigException:
            choices = sorted(p.stem for p in (Path(CONF_DIR) / "data").glob("*.yaml"))
            raise UsageError(
                f"real={cfg.real} is neither a data preset ({', '.join(choices)}) nor an .npz"
            ) from None
        arguments = OmegaConf.to_container(preset, resolve=True)
        return {**arguments, **protocol_splits(cfg, arguments), **data_overrides(cfg)}
    target = checkpoint["ganlab"].get("datamodule")
    if target is None:
        raise UsageError(
            f"{ckpt} does not record its data module: name the real data with real=<data "
            "preset> (e.g. real=mnist) and data.root=…"
        )
    # a file never decides whether ganlab downloads (which writes into the data root): the
    # checkpoint's root is only read from, and data.download=true asks for a download here
    arguments = dict(checkpoint.get("datamodule_hyper_parameters") or {})
    if "download" in inspect.signature(resolve(target)).parameters:
        arguments["download"] = False
    return {
        "_target_": target,
        **arguments,
        **protocol_splits(cfg, arguments),
        **data_overrides(cfg),
    }


def load_real(cfg: DictConfig, ckpt: str | None, checkpoint: dict | None) -> RealImages:
    if cfg.real is not None and str(cfg.real).endswith(".npz"):
        return npz_real_images(cfg.real)
    config = real_datamodule_config(cfg, ckpt, checkpoint)
    return datamodule_images(instantiate(config, _convert_="all"))


def generated(
    cfg: DictConfig, model: GAN, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """n images from the model, with balanced labels when it is conditional."""
    labels = balanced_labels(cfg.n, model.num_classes) if model.conditional else None
    z = latent_vectors(cfg.n, model.latent_dim, cfg.seed)
    return render(model, z, labels, cfg.batch_size, device), labels


def scored_images(
    cfg: DictConfig, model: GAN | None, held: RealImages | None, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """What `samples=` names: generated images, held-out real ones, or an .npz's."""
    if cfg.samples == "real":
        return held.images, held.labels
    if cfg.samples is None:
        return generated(cfg, model, device)
    images, labels = load_npz(Path(cfg.samples))
    if len(images) < 2:
        raise UsageError(f"samples={cfg.samples} holds {len(images)} image; metrics need 2+")
    return images[: cfg.n], None if labels is None else labels[: cfg.n]


def print_table(scores: Scores, metrics: list[str]) -> None:
    print(f"{'metric':<16} value")
    for group in metrics:
        if group in scores.unavailable:
            print(f"{group:<16} unavailable: {scores.unavailable[group]}")
            continue
        for name in FIELDS[group]:
            print(f"{name:<16} {scores.values[name]:.4f}")


def print_protocol(protocol: dict[str, Any]) -> None:
    real = protocol["real"]
    print(
        f"protocol {protocol['name']}: {protocol['generated']['n']} images against {real['n']} "
        f"real ({real['data']}, {real['splits']}), resize {protocol['resize']['method']}"
    )
    for key, change in protocol["deviations"].items():
        print(f"  not the protocol's {key}: {change['used']} (it says {change['protocol']})")
    if scores := dict(protocol["reference_scores"]):
        table = scores.pop("table")
        print(f"  {table}: " + ", ".join(f"{name} {value}" for name, value in scores.items()))


EVALUATION_FILES = (RECORD_FILE, "samples.png", "nearest_neighbours.png")


def evaluation_folder(folder: str | Path, overwrite: bool) -> Path:
    """A folder `ganlab.evaluate` may write into, checked before anything is computed: never
    a training run's (its metrics.json is the run's record), one holding an evaluation only
    with `overwrite`."""
    folder = Path(folder)
    try:
        record = json.loads((folder / RECORD_FILE).read_bytes())
    except (OSError, ValueError):
        record = None
    if (folder / ".hydra").is_dir() or (isinstance(record, dict) and "status" in record):
        raise UsageError(
            f"out={folder} is a training run folder: its {RECORD_FILE} is the run's record, "
            "which ganlab.evaluate never replaces; leave out= unset (the default is "
            f"{folder}/evaluation/<checkpoint name>/) or choose another out="
        )
    taken = [name for name in EVALUATION_FILES if (folder / name).exists()]
    if taken and not overwrite:
        raise UsageError(
            f"out={folder} already holds {', '.join(taken)}: choose another out=, or replace "
            "them with overwrite=true"
        )
    return writable_folder(folder)


def evaluate(cfg: DictConfig) -> dict[str, Any]:
    started = time.perf_counter()
    ckpt = None if cfg.ckpt_path is None else str(cfg.ckpt_path)
    device = resolve_device(cfg.device)
    requested_real_n = cfg.real_n
    cfg.n = protocol_count(cfg.n, cfg.protocol, device)
    cfg.real_n = protocol_count(cfg.real_n, cfg.protocol, device)
    check_settings(cfg, ckpt)
    metrics = parse_metrics(list(cfg.metrics))
    resize = cfg.resize or cfg.protocol.resize
    check_resize(resize)
    checkpoint = read_checkpoint(ckpt, cfg.get("trusted_prefixes")) if ckpt else None
    model = None
    if checkpoint is not None and cfg.samples is None:
        model = module_from_checkpoint(checkpoint)  # before out is made and the real data loads
        model.sample_with_ema = cfg.ema
    out_default = None if ckpt is None else run_folder(ckpt) / "evaluation" / Path(ckpt).stem
    out = evaluation_folder(cfg.out or out_default, cfg.overwrite)

    real = load_real(cfg, ckpt, checkpoint)
    held_out = cfg.n if cfg.samples == "real" else 0
    real_n = capped_real_count(cfg.real_n, requested_real_n, len(real))
    reference, held, pool = split_reference(real, real_n, held_out=held_out)
    fake, labels = scored_images(cfg, model, held, device)
    if "fid" in metrics and (bias := bias_warning(len(fake), len(reference))):
        warn(bias)

    evaluator = Evaluator(
        reference,
        metrics,
        pool=pool,
        device=device,
        batch_size=cfg.batch_size,
        cache_dir=default_cache_dir() if cfg.cache else None,
        seed=cfg.seed,
        resize=resize,
    )
    scores = evaluator.score(fake, labels)
    save_grid(out / "samples.png", fake[:64])
    if scores.nearest_indices is not None:
        neighbour_figure(out / "nearest_neighbours.png", fake, pool.images, scores.nearest_indices)
    inception = bool(set(metrics) & set(INCEPTION)) or cfg.export_stats is not None
    protocol = protocol_record(
        cfg.protocol,
        n=len(fake),
        samples=cfg.samples or "generated",
        seed=cfg.seed,
        weights=weights_kind(model),
        reference=reference,
        total=len(real),
        resize=resize,
        inception=inception,
    )
    if cfg.export_stats is not None:
        features = evaluator.reference_features("inception")
        export_statistics(Path(cfg.export_stats), features, protocol)
    scores.seconds["total"] = round(time.perf_counter() - started, 2)
    result = {
        "metrics": scores.values,
        "unavailable": scores.unavailable,
        "ckpt": None if ckpt is None else str(Path(ckpt).resolve()),
        "global_step": None if checkpoint is None else checkpoint.get("global_step"),
        "samples": cfg.samples or "generated",
        "n": len(fake),
        "seed": cfg.seed,
        "real": reference.source,
        "nn_l1_pool": len(pool),
        "reference_cached": scores.reference_cached,
        "inception_weights": str(weights_path()) if set(metrics) & {"fid", "kid", "is"} else None,
        "classifier": evaluator.classifier_info,
        "seconds": scores.seconds,
        "protocol": protocol,
        "export_stats": None if cfg.export_stats is None else str(Path(cfg.export_stats)),
    }
    write_text_atomically(out / "metrics.json", json.dumps(result, indent=2) + "\n", "metrics")
    print_table(scores, metrics)
    print_protocol(protocol)
    print(f"wrote {out / 'metrics.json'}")
    return result


@hydra.main(version_base="1.3", config_path=CONF_DIR, config_name="evaluate")
def main(cfg: DictConfig) -> None:
    run_reporting_errors(evaluate, cfg)


def entry() -> None:
    """Console script `ganlab-evaluate`."""
    cli.run(main)


if __name__ == "__main__":
    entry()
