"""`python -m ganlab.bench` (`make bench ARGS='...'`): ganlab's training step against the plain
PyTorch loop of `plain.py` (and the TensorFlow tutorial in Keras where TensorFlow is installed),
interleaved in one process; the table replaces its own marked section of BENCHMARKS.md."""

import argparse
import contextlib
import os
import platform
import re
import shlex
import statistics
import sys
import tempfile
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import NamedTuple

import lightning
import torch
from hydra import compose, initialize_config_dir

from ganlab.bench import keras
from ganlab.bench.plain import Timed
from ganlab.bench.timing import Contender, Interleaved, Timings
from ganlab.data.base import TensorImages
from ganlab.data.mnist import MNISTDataModule, default_root
from ganlab.models import GAN
from ganlab.run.atomic import write_text_atomically
from ganlab.run.cli import run_reporting_errors
from ganlab.run.config import CONF_DIR
from ganlab.run.fit import train


class Row(NamedTuple):
    title: str
    overrides: str
    cpu_batch: int
    cuda_batch: int
    cpu_steps: int = 20  # timed steps per contender on the CPU; CUDA steps are cheap: 50


# Every row trains on MNIST (resized to 64×64 for the 64×64 networks). CPU batches keep the
# default run near ten minutes on two cores; CUDA batches are the books' and tutorials'.
ROWS = {
    "dcgan": Row(
        "DCGAN 28×28 (default MNIST), alternating", "model=dcgan model.update=alternating", 256, 256
    ),
    "dcgan_simultaneous": Row(
        "DCGAN 28×28 (MNIST), simultaneous (TF tutorial)",
        "model=dcgan model.update=simultaneous",
        256,
        256,
    ),
    "dcgan64": Row("DCGAN 64×64", "model=dcgan64 data.image_size=64", 64, 128),
    "wgan_gp": Row(
        "WGAN-GP 64×64, n_critic 5",
        "model=wgan_gp model.n_critic=5 data.image_size=64",
        32,
        512,
        10,
    ),
    "cdcgan": Row("cDCGAN 28×28 (MNIST labels)", "model=cdcgan_concat", 256, 256),
}
KERAS_ROW = "dcgan_simultaneous"  # the tutorial's step: where the Keras contender is timed

INTRO = """\
# ganlab benchmarks

Written by `python -m ganlab.bench` (`make bench`; its method: docs/performance.md). Each row
times ganlab's real training step (the LightningModule under the Trainer with the run's logger,
checkpoints, sample grids and progress bar) against the plain PyTorch loop of
`ganlab/bench/plain.py`: the same architectures from stock `torch.nn` layers only, the same
initial weights, optimizers, batch size and images, in one process, in alternating blocks of
steps. A step is one generator update; s/step is the median over the timed steps after
warm-up (the quartiles beside it), images/s counts the real images a step consumes, and
÷ plain is the ratio of the medians (below 1: ganlab is faster). On a GPU ganlab runs its fast
path (`trainer=gpu`) against the plain fp32 eager loop. The Keras row is the TensorFlow DCGAN
tutorial, run in its own process.
"""


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m ganlab.bench", description=__doc__)
    parser.add_argument("--rows", nargs="+", choices=ROWS, default=list(ROWS), help="(all)")
    parser.add_argument("--device", choices=("cpu", "cuda"), help="(cuda if there is a GPU)")
    parser.add_argument("--steps", type=int, help="timed steps per contender and row")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps first (3)")
    parser.add_argument("--block", type=int, default=5, help="steps per interleaved block (5)")
    parser.add_argument("--batch", nargs="+", default=[], metavar="ROW=SIZE", help="batch sizes")
    parser.add_argument("--data-root", default=default_root(), help="MNIST root (GANLAB_DATA)")
    parser.add_argument("--no-keras", action="store_true", help="skip the Keras contender")
    parser.add_argument("--threads", type=int, default=0, help="CPU threads (one per core)")
    parser.add_argument("--output", type=Path, default=Path("BENCHMARKS.md"))
    parser.add_argument("overrides", nargs="*", help="Hydra overrides for ganlab's side")
    args = parser.parse_args(argv)
    args.batch = dict(pair.partition("=")[::2] for pair in args.batch)
    for key, size in args.batch.items():
        if key not in ROWS or not size.isdigit() or int(size) < 1:
            parser.error(f"--batch wants ROW=SIZE with ROW in {list(ROWS)}, got {key}={size}")
    return args


def time_row(
    key: str, device: str, batch: int, steps: int, args: argparse.Namespace
) -> list[Timings]:
    """The row's contenders' timings: ganlab composed from the row's Hydra overrides and
    trained by `ganlab.run.fit.train`, the others run between its blocks."""

    def contenders(module: GAN, data: TensorImages, batch_size: int) -> list[Contender]:
        found: list[Contender] = [Timed(module, data.images, data.labels, batch_size, device)]
        if key == KERAS_ROW and device == "cpu" and not args.no_keras and keras.available():
            hparams, images = dict(module.hparams), data.images.numpy()
            found.append(keras.KerasDCGAN(hparams, images, batch_size, args.threads))
        return found

    timer = Interleaved(contenders, args.warmup, steps, args.block)
    root = args.data_root  # both splits where both are there, else the one that is
    splits = [s for s in ("train", "test") if not MNISTDataModule(root, [s]).missing_files()]
    with tempfile.TemporaryDirectory(prefix=f"ganlab-bench-{key}-") as tmp:
        overrides = [*ROWS[key].overrides.split(), f"data.batch_size={batch}", f"data.root={root}"]
        overrides.append(f"data.splits=[{','.join(splits or ['train', 'test'])}]")
        overrides += [f"trainer.max_steps={timer.max_steps}", "trainer.max_epochs=-1"]
        overrides += [f"paths.output_dir={tmp}", "seed=0"]
        overrides.append("trainer=gpu" if device == "cuda" else "trainer.accelerator=cpu")
        with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
            train(compose("train", overrides=overrides + args.overrides), [timer])
    return timer.results


def machine(device: str) -> list[str]:
    try:
        cpu = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.M)[1]
    except (OSError, TypeError):
        cpu = platform.processor() or platform.machine()
    tf = "not installed"
    for name in ("tensorflow", "tensorflow-cpu"):
        with contextlib.suppress(PackageNotFoundError):
            tf = version(name)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    gpu = torch.cuda.get_device_name() if device == "cuda" else "none used"
    return [
        f"- CPU: {cpu}, {cores} cores usable, torch intra-op threads {torch.get_num_threads()}",
        f"- GPU: {gpu}",
        f"- torch {torch.__version__}, lightning {lightning.__version__}, tensorflow {tf}, "
        f"Python {platform.python_version()}",
    ]


def table(rows: list[tuple[str, int, list[Timings]]]) -> list[str]:
    lines = ["| row | batch | contender | s/step (median) | quartiles | images/s | ÷ plain |"]
    lines.append("|---|---:|---|---:|---|---:|---:|")
    for title, batch, timings in rows:
        plain = statistics.median(timings[1][2])
        for name, images, seconds in timings:
            median = statistics.median(seconds)
            low, _, high = statistics.quantiles(seconds, n=4) if len(seconds) > 1 else [median] * 3
            lines.append(
                f"| {title} | {batch} | {name} | {median:.3f} | {low:.3f} to {high:.3f} "
                f"| {images / median:.0f} | {median / plain:.3f} |"
            )
    return lines


def write(path: Path, kind: str, body: str) -> None:
    """Replace the section marked `bench:{kind}` and keep everything else (the other device
    kind's section, and any other text); a new CPU section goes before the GPU one."""
    block = f"<!-- bench:{kind} -->\n{body}<!-- /bench:{kind} -->\n"
    text = path.read_text() if path.is_file() else INTRO
    pattern = rf"<!-- bench:{kind} -->\n.*?<!-- /bench:{kind} -->\n"
    if re.search(pattern, text, re.DOTALL):
        text = re.sub(pattern, lambda _: block, text, count=1, flags=re.DOTALL)
    elif kind == "cpu" and "<!-- bench:gpu -->" in text:
        text = text.replace("<!-- bench:gpu -->", f"{block}\n<!-- bench:gpu -->", 1)
    else:
        text = text.rstrip("\n") + f"\n\n{block}"
    write_text_atomically(path, text, "benchmark report")


def main(argv: list[str] | None = None) -> list[tuple[str, int, list[Timings]]]:
    argv = sys.argv[1:] if argv is None else argv
    args = parse(argv)
    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    if args.threads:
        torch.set_num_threads(args.threads)
    loadavg = os.getloadavg if hasattr(os, "getloadavg") else lambda: (float("nan"),) * 3
    load_before, results = loadavg(), []
    for key in args.rows:
        row = ROWS[key]
        batch = int(args.batch.get(key, row.cuda_batch if device == "cuda" else row.cpu_batch))
        steps = args.steps or (row.cpu_steps if device == "cpu" else 50)
        print(f"ganlab.bench: {row.title}, batch {batch}, {steps} steps", flush=True)
        results.append((row.title, batch, time_row(key, device, batch, steps, args)))
    loads = (", ".join(f"{v:.1f}" for v in load) for load in (load_before, loadavg()))
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    kind = "gpu" if device == "cuda" else "cpu"
    command = shlex.join(["python", "-m", "ganlab.bench", *argv])
    lines = [f"## {kind.upper()}", "", f"Measured {when} with:", "", "```", command, "```", ""]
    lines += [*machine(device), "- load average (1, 5, 15 min): {} before, {} after".format(*loads)]
    body = "\n".join([*lines, "", *table(results)]) + "\n"
    write(args.output, kind, body)
    print(body)
    return results


if __name__ == "__main__":
    run_reporting_errors(main)
