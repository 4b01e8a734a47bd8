"""Every kind of file ganlab writes, written onto a real full (or read-only) file system: one
`WriteError` line naming the file (exit 1), the previous version byte-identical, no temporary
file left. The kinds: checkpoint, samples .npz, image (grids), run record, evaluation
metrics, report table, report figure, classifier weights, reference cache (which only warns)."""

import errno
import json
import os
import warnings

import pytest
import torch
from matplotlib.figure import Figure

from ganlab.metrics.reference import cached_features
from ganlab.reporting.figures import save_figure
from ganlab.reporting.table import write_csv
from ganlab.run import atomic
from ganlab.run.atomic import (
    AtomicCheckpointIO,
    WriteError,
    write_atomically,
    write_text_atomically,
)
from ganlab.run.record import write_record
from ganlab.sampling.files import save_grid, save_npz

pytestmark = pytest.mark.fault

BIG = torch.randint(0, 255, (64, 3, 64, 64), dtype=torch.uint8)  # 786 KB raw: never fits
SMALL = BIG[:1, :, :8, :8]


def figure() -> Figure:
    fig = Figure(figsize=(8, 8))
    fig.subplots().imshow(torch.rand(256, 256).numpy())
    return fig


WRITERS = {
    "checkpoint": (
        lambda path: AtomicCheckpointIO().save_checkpoint({"w": torch.zeros(1)}, path),
        lambda path: AtomicCheckpointIO().save_checkpoint({"w": torch.rand(300_000)}, path),
        "checkpoint",
    ),
    "samples": (lambda p: save_npz(p, SMALL), lambda p: save_npz(p, BIG), "samples"),
    "grid": (lambda p: save_grid(p, SMALL), lambda p: save_grid(p, BIG), "image"),
    "run_record": (
        lambda p: write_record(p.parent, status="completed"),
        lambda p: write_record(p.parent, status="completed", metrics={"x": 1.0}, pad="x" * 10**6),
        "run record",
    ),
    "evaluation_metrics": (
        lambda p: write_text_atomically(p, "{}", "metrics"),
        lambda p: write_text_atomically(p, json.dumps({"a": "x" * 10**6}), "metrics"),
        "metrics",
    ),
    "report_table": (
        lambda p: write_csv([{"run": "0"}], p),
        lambda p: write_csv([{"run": str(i) * 100} for i in range(10_000)], p),
        "report table",
    ),
    "report_figure": (
        lambda p: write_text_atomically(p, "old", "figure"),
        lambda p: save_figure(figure(), p),
        "figure",
    ),
}
NAMES = {"run_record": "metrics.json", "evaluation_metrics": "metrics.json"}


def temp_files(folder):
    return [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize("leave", [0, 32 * 1024], ids=["full", "fills_during_the_write"])
@pytest.mark.parametrize("kind", sorted(WRITERS))
def test_a_full_disk_keeps_the_previous_file(kind, leave, full_disk):
    first, second, what = WRITERS[kind]
    path = full_disk.path / NAMES.get(kind, f"{kind}.out")
    first(path)
    before = path.read_bytes()
    full_disk.fill(leave)

    with pytest.raises(WriteError) as raised:
        second(path)

    message = str(raised.value)
    assert message.startswith(f"cannot write {what} {path} (No space left on device)"), message
    assert "\n" not in message and raised.value.exit_code == 1
    assert path.read_bytes() == before
    assert temp_files(full_disk.path) == []


@pytest.mark.parametrize("kind", ["checkpoint", "samples", "run_record"])
def test_a_read_only_file_system_keeps_the_previous_file(kind, full_disk):
    first, second, what = WRITERS[kind]
    path = full_disk.path / NAMES.get(kind, f"{kind}.out")
    first(path)
    before = path.read_bytes()
    full_disk.make_read_only()

    with pytest.raises(WriteError, match=f"cannot write {what} .*Read-only file system"):
        second(path)
    assert path.read_bytes() == before


def test_torch_saving_to_a_full_disk_raises_runtime_error_which_is_a_write_failure(
    full_disk, tmp_path, monkeypatch
):
    """torch.save to a path reports a full disk as RuntimeError('… unexpected pos …'): the
    real error object, raised inside an atomic save, still becomes the one-line message."""
    full_disk.fill()
    with pytest.raises(RuntimeError, match="unexpected pos") as real:
        torch.save(torch.rand(300_000), full_disk.path / "direct.pt")

    def failing_save(obj, file):
        raise real.value

    path = tmp_path / "last.ckpt"
    AtomicCheckpointIO().save_checkpoint({"step": 1}, path)
    before = path.read_bytes()
    monkeypatch.setattr(atomic.torch, "save", failing_save)
    with pytest.raises(WriteError, match=r"cannot write checkpoint .*unexpected pos"):
        AtomicCheckpointIO().save_checkpoint({"step": 2}, path)
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    "code", [errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES], ids=errno.errorcode.get
)
def test_any_os_error_of_a_write_is_one_line(code, tmp_path):
    """The mocked variant (no mount needed): a quota, a read-only or forbidden folder."""
    path = tmp_path / "samples.npz"
    path.write_bytes(b"previous")

    def fail(file):
        file.write(b"half")
        raise OSError(code, os.strerror(code))

    with pytest.raises(WriteError, match=f"cannot write samples {path}"):
        write_atomically(path, fail, "samples")
    assert path.read_bytes() == b"previous" and temp_files(tmp_path) == []


def test_a_bug_in_the_writer_is_not_reported_as_a_disk_problem(tmp_path):
    with pytest.raises(ZeroDivisionError):
        write_atomically(tmp_path / "x", lambda file: 1 / 0)


def test_a_reference_cache_that_cannot_be_written_only_warns(full_disk):
    full_disk.fill()
    features = torch.rand(2000, 64)
    with pytest.warns(UserWarning, match="could not cache the reference features: cannot write"):
        result, cached = cached_features({"npz": "x"}, "e", lambda: features, full_disk.path)
    assert torch.equal(result, features) and not cached
    assert temp_files(full_disk.path) == []


def test_no_warning_without_a_fault(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cached_features({"npz": "x"}, "e", lambda: torch.zeros(3), tmp_path)
        assert cached_features({"npz": "x"}, "e", lambda: torch.ones(3), tmp_path)[1]
