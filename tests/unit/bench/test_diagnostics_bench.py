import re

import pytest

from ganlab.bench import diagnostics


@pytest.mark.usefixtures("one_thread")
def test_the_bench_times_both_halves_and_the_class_coverage_check(mnist_root, capsys):
    diagnostics.main(
        ["--data-root", str(mnist_root), "--steps", "6", "--batch", "8", "--block", "1",
         "--warmup", "1"]
    )  # fmt: skip
    printed = capsys.readouterr().out
    for line in ("diagnostics on : ", "diagnostics off: "):
        assert re.search(line + r"\d+\.\d{4} s/step \(median of \d+ steps\)", printed)
    # the 64-image fixture at batch 8: 8 steps per epoch
    coverage = r"class coverage: \d+\.\d{3} s per check \(median of 3\), once per epoch of 8 "
    assert re.search(coverage + r"steps \(\d+\.\d s\): \d+\.\d%", printed)
