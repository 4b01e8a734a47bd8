from types import SimpleNamespace

from ganlab.bench.recipes import RECIPES, StepTimer, compose_recipe
from tests.helpers import REPO


def test_the_bench_times_every_recipe_of_the_config_group():
    on_disk = {path.stem for path in (REPO / "conf" / "recipe").glob("*.yaml")}
    assert set(RECIPES) == on_disk and {"default", "wgan_gp28", "r3gan", "ttur"} <= on_disk


def test_each_recipe_composes_with_the_bench_settings(tmp_path):
    cfg = compose_recipe("wgan_gp28", "data", 64, 24, tmp_path)
    assert cfg.trainer.max_steps == 24
    assert cfg.data.batch_size == 64
    assert list(cfg.data.splits) == ["test"]
    assert cfg.model.n_critic == 5
    assert compose_recipe("small_data", "data", 64, 24, tmp_path).data.limit == 1000


def test_the_timer_skips_the_warm_up_steps(monkeypatch):
    clock = iter([0.0, 1.0, 3.0, 6.0, 10.0])
    monkeypatch.setattr("ganlab.bench.recipes.time.perf_counter", lambda: next(clock))
    timer = StepTimer(warmup=1)
    for step in range(5):
        timer.on_train_batch_start(SimpleNamespace(global_step=step), None, None, step)
    # intervals 1, 2, 3, 4 end at steps 1..4; those ending at step 1 (<= warmup) are dropped
    assert timer.times == [2.0, 3.0, 4.0]
