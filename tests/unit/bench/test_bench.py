"""`python -m ganlab.bench` end to end on the tiny MNIST fixture, its interleaving, and the
sections of its report file."""

import re
from types import SimpleNamespace

import pytest
import torch

from ganlab.bench import timing
from ganlab.bench.__main__ import ROWS, main, write


@pytest.fixture
def restore_threads():
    """`--threads` sets torch's thread count for the whole process."""
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


def test_bench_times_ganlab_and_plain_and_writes_the_table(mnist_root, tmp_path, restore_threads):
    output = tmp_path / "BENCHMARKS.md"
    argv = ["--rows", "dcgan", "--steps", "3", "--warmup", "1", "--block", "2"]
    argv += ["--batch", "dcgan=8", "--data-root", str(mnist_root), "--output", str(output)]
    argv += ["--device", "cpu", "--no-keras", "--threads", "1"]
    ((title, batch, timings),) = main(argv)
    assert (title, batch) == (ROWS["dcgan"].title, 8)
    assert [(name, images) for name, images, _ in timings] == [("ganlab", 8), ("plain PyTorch", 8)]
    assert [len(seconds) for _, _, seconds in timings] == [3, 3]  # each contender's timed steps
    assert all(s > 0 for _, _, seconds in timings for s in seconds)
    text = output.read_text()
    assert text.startswith("# ganlab benchmarks") and "<!-- bench:cpu -->" in text
    assert "python -m ganlab.bench --rows dcgan" in text  # the exact command
    assert "torch " + torch.__version__ in text and "cores usable" in text
    rows = re.findall(r"^\| DCGAN 28×28 \(default MNIST\), alternating \| 8 \| (.+)$", text, re.M)
    assert [r.split(" | ")[0] for r in rows] == ["ganlab", "plain PyTorch"]
    for row in rows:
        name, median, _, images_per_s, ratio = row.rstrip(" |").split(" | ")
        assert float(median) > 0 and float(images_per_s) > 0
        assert name != "plain PyTorch" or ratio == "1.000"


def test_a_batch_size_names_a_row(capsys):
    with pytest.raises(SystemExit):
        main(["--batch", "dcgan=0"])
    assert "--batch wants ROW=SIZE" in capsys.readouterr().err


class Clock:
    """A fake `time.perf_counter` that a contender's step advances by one second."""

    def __init__(self):
        self.now, self.events = 0.0, []

    def step(self, name: str) -> None:
        self.now += 1.0
        self.events.append(name)


@pytest.mark.parametrize("cuda", [False, True])
def test_contenders_run_in_blocks_between_ganlab_steps(monkeypatch, cuda):
    clock = Clock()
    monkeypatch.setattr(timing.time, "perf_counter", lambda: clock.now)
    monkeypatch.setattr(timing.torch.cuda, "synchronize", lambda: clock.events.append("sync"))
    plain = SimpleNamespace(name="plain", images_per_step=4, step=lambda: clock.step("plain"))
    timer = timing.Interleaved(lambda *_: [plain], warmup=1, steps=5, block=2)
    device = torch.device("cuda" if cuda else "cpu")
    module = SimpleNamespace(device=device, real_batches_per_step=1)
    data = SimpleNamespace(train_set=None, batch_size=4)
    timer.on_train_start(SimpleNamespace(datamodule=data), module)
    assert clock.events == ["plain"]  # its warm-up step
    for step in range(timer.max_steps):
        timer.on_train_batch_start(SimpleNamespace(global_step=step), module, None, step)
        clock.now += 2.0  # a ganlab step takes two seconds
        clock.events.append("ganlab")
    order = [event for event in clock.events if event != "sync"]
    warmup, block = ["plain", "ganlab"], ["plain", "plain", "ganlab", "ganlab"]
    # 5 timed steps in blocks of 2, 2 and 1; the last Trainer step only ends the timed span
    assert order == [*warmup, *block, *block, "plain", "ganlab", "ganlab"]
    assert timer.results == [("ganlab", 4, [2.0] * 5), ("plain", 4, [1.0] * 5)]
    assert ("sync" in clock.events) == cuda
    if cuda:  # synchronised at block boundaries only: none between a block's ganlab steps
        assert "ganlab,ganlab" in ",".join(clock.events)


def test_a_cpu_run_keeps_the_gpu_section(tmp_path):
    path = tmp_path / "BENCHMARKS.md"
    write(path, "gpu", "## GPU\n\ngpu table\n")
    write(path, "cpu", "## CPU\n\nfirst cpu table\n")
    write(path, "cpu", "## CPU\n\nsecond cpu table\n")
    text = path.read_text()
    assert text.startswith("# ganlab benchmarks")
    assert "gpu table" in text and "second cpu table" in text
    assert "first cpu table" not in text
    assert text.index("## CPU") < text.index("## GPU")


def test_a_run_keeps_every_section_it_did_not_measure(tmp_path):
    """Hand-written sections (a study's numbers) outlive the next `make bench`."""
    path = tmp_path / "BENCHMARKS.md"
    write(path, "cpu", "## CPU\n\nfirst\n")
    path.write_text(path.read_text() + "\n## Inception on the CPU\n\nmeasured by hand\n")
    write(path, "cpu", "## CPU\n\nsecond\n")
    text = path.read_text()
    assert "measured by hand" in text and "second" in text and "first" not in text
