"""`python -m ganlab.bench` end to end on the tiny MNIST fixture, and its report file."""

import re

import pytest
import torch

from ganlab.bench import report
from ganlab.bench.__main__ import main
from ganlab.bench.rows import ROWS


@pytest.fixture
def restore_threads():
    """`--threads` sets torch's thread count for the whole process."""
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


def test_bench_times_ganlab_and_plain_and_writes_the_table(mnist_root, tmp_path, restore_threads):
    output = tmp_path / "BENCHMARKS.md"
    missing = [row.key for row in ROWS if not row.available]
    argv = ["--rows", "dcgan", *missing, "--steps", "3", "--warmup", "1", "--block", "2"]
    argv += ["--batch", "dcgan=8", "--data-root", str(mnist_root), "--output", str(output)]
    argv += ["--device", "cpu", "--no-keras", "--threads", "1"]
    (timed, *skipped) = main(argv)
    assert [t.name for t in timed.timings] == ["ganlab", "plain PyTorch"]
    assert [len(t.seconds) for t in timed.timings] == [3, 3]  # each contender's timed steps
    assert all(s > 0 for t in timed.timings for s in t.seconds)
    assert [r.skipped for r in skipped] == ["skipped (preset not available)"] * len(missing)
    text = output.read_text()
    assert "python -m ganlab.bench --rows dcgan" in text  # the exact command
    assert "torch " + torch.__version__ in text and "cores usable" in text
    rows = re.findall(r"^\| DCGAN 28×28 \(default MNIST\), alternating \| 8 \| (.+)$", text, re.M)
    assert [r.split(" | ")[0] for r in rows] == ["ganlab", "plain PyTorch"]
    for row in rows:
        name, median, _, images_per_s, ratio, memory = row.rstrip(" |").split(" | ")
        assert float(median) > 0 and float(images_per_s) > 0 and float(memory) > 0
        assert name != "plain PyTorch" or ratio == "1.000"
    for key in missing:
        title = next(row.title for row in ROWS if row.key == key)
        assert f"| {title} |" in text and "skipped (preset not available)" in text


def test_a_cpu_run_keeps_the_gpu_section(tmp_path):
    path = tmp_path / "BENCHMARKS.md"
    report.write(path, torch.device("cuda"), "## GPU\n\ngpu table\n")
    report.write(path, torch.device("cpu"), "## CPU\n\nfirst cpu table\n")
    report.write(path, torch.device("cpu"), "## CPU\n\nsecond cpu table\n")
    text = path.read_text()
    assert text.startswith(report.TITLE)
    assert "gpu table" in text and "second cpu table" in text
    assert "first cpu table" not in text
    assert text.index("## CPU") < text.index("## GPU")


def test_a_run_keeps_every_section_it_did_not_measure(tmp_path):
    """Hand-written sections (a study's numbers) outlive the next `make bench`."""
    path = tmp_path / "BENCHMARKS.md"
    report.write(path, torch.device("cpu"), "## CPU\n\nfirst\n")
    path.write_text(path.read_text() + "\n## Inception on the CPU\n\nmeasured by hand\n")
    report.write(path, torch.device("cpu"), "## CPU\n\nsecond\n")
    text = path.read_text()
    assert "measured by hand" in text and "second" in text and "first" not in text
