"""BENCHMARKS.md: the machine, the command, and one table per device kind.

A CPU run replaces the CPU section and keeps a GPU section written by another run (and the
other way round), so one file holds both.
"""

import os
import platform
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import lightning
import torch

from ganlab.bench.keras_dcgan import tensorflow_version
from ganlab.bench.timing import Timings
from ganlab.run.atomic import write_text_atomically

TITLE = "# ganlab benchmarks"
INTRO = """\
Written by `python -m ganlab.bench` (`make bench`). Each row times ganlab's real training step
(the LightningModule under the Trainer with the run's logger, checkpoints, sample grids and
progress bar) against a plain PyTorch loop written in `ganlab/bench/plain.py`: the same
architectures built from stock `torch.nn` layers only (`cpu_tricks=false`), the same initial
weights, optimizers, batch size and images, in one process, in alternating blocks of steps.
The ratio is what ganlab gives over the loop a user would write. The malloc policy of
`cpu_tricks` is process-wide, so in a `cpu_tricks=true` run both contenders have it: its own
gain shows between a `cpu_tricks=true` and a `cpu_tricks=false` run (docs/results.md).
A step is one generator update; s/step is the median over the timed steps
after warm-up (the quartiles beside it), images/s counts real images consumed (batch size ×
real batches per generator update), and ganlab / plain is the ratio of the medians (below 1:
ganlab is faster). On a GPU ganlab runs its fast path (`trainer=gpu`: bf16, channels-last,
fused Adam, data on the GPU) against the plain fp32 eager loop: there a ratio of 0.33 means the
fast path is 3x faster. The Keras row is the TensorFlow DCGAN tutorial, run in its own process.
"""


@dataclass
class RowResult:
    title: str
    batch: int
    timings: list[Timings] = field(default_factory=list)
    skipped: str | None = None

    def ratio(self, timings: Timings) -> float | None:
        plain = next((t for t in self.timings if t.name.startswith("plain")), None)
        return timings.median / plain.median if plain else None


def cpu_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or platform.machine()
    match = re.search(r"^model name\s*:\s*(.+)$", text, re.MULTILINE)
    return match.group(1).strip() if match else platform.machine()


def usable_cores() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def machine(device: torch.device) -> list[str]:
    gpu = torch.cuda.get_device_name(device) if device.type == "cuda" else "none used"
    tf = tensorflow_version()
    return [
        f"- CPU: {cpu_model()}, {usable_cores()} cores usable, "
        f"torch intra-op threads {torch.get_num_threads()}",
        f"- GPU: {gpu}",
        f"- torch {torch.__version__}, lightning {lightning.__version__}, "
        f"tensorflow {tf or 'not installed'}, Python {platform.python_version()}",
    ]


def section(
    device: torch.device,
    command: str,
    results: list[RowResult],
    memory_what: str,
    load: tuple[tuple[float, ...], tuple[float, ...]] | None,
) -> str:
    kind = "GPU" if device.type == "cuda" else "CPU"
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"## {kind}", "", f"Measured {when} with:", "", "```", command, "```", ""]
    lines += machine(device)
    if load:
        before, after = (", ".join(f"{v:.1f}" for v in values) for values in load)
        lines.append(f"- load average (1, 5, 15 min): {before} before, {after} after")
    lines += [f"- memory: {memory_what}" if memory_what else "- memory: not measured", ""]
    lines += [
        "| row | batch | contender | s/step (median) | quartiles | images/s | ÷ plain "
        "| peak memory MiB |",
        "|---|---:|---|---:|---|---:|---:|---:|",
    ]
    for result in results:
        if result.skipped:
            lines.append(f"| {result.title} | {result.batch} | {result.skipped} | | | | | |")
            continue
        for timings in result.timings:
            low, high = timings.quartiles
            ratio = result.ratio(timings)
            memory = f"{timings.peak_mib:.0f}" if timings.peak_mib is not None else "n/a"
            lines.append(
                f"| {result.title} | {result.batch} | {timings.name} | {timings.median:.3f} "
                f"| {low:.3f} to {high:.3f} | {timings.images_per_second:.0f} "
                f"| {ratio:.3f} | {memory} |"
            )
    return "\n".join(lines) + "\n"


def write(path: Path, device: torch.device, body: str) -> None:
    """Replace this device kind's section of the file and keep everything else (the other
    kind's, and any other measurement or text); a new CPU section goes before the GPU one."""
    kind = "gpu" if device.type == "cuda" else "cpu"
    block = f"<!-- bench:{kind} -->\n{body}<!-- /bench:{kind} -->\n"
    text = path.read_text() if path.is_file() else f"{TITLE}\n\n{INTRO}\n"
    pattern = rf"<!-- bench:{kind} -->\n.*?<!-- /bench:{kind} -->\n"
    if re.search(pattern, text, re.DOTALL):
        text = re.sub(pattern, lambda _: block, text, count=1, flags=re.DOTALL)
    elif kind == "cpu" and "<!-- bench:gpu -->" in text:
        text = text.replace("<!-- bench:gpu -->", f"{block}\n<!-- bench:gpu -->", 1)
    else:
        text = text.rstrip("\n") + f"\n\n{block}"
    write_text_atomically(path, text, "benchmark report")
