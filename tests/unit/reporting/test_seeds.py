import csv

from ganlab.report import main
from ganlab.reporting.runs import find_runs, swept_keys
from ganlab.reporting.seeds import markdown_seed_table, seed_groups, seed_rows
from tests.unit.reporting.test_report import fake_run


def seeded_study(root):
    """Two recipes over seeds (one resumed), one run still going."""
    losses = {("a", 1): 3.0, ("a", 2): 1.0, ("a", 3): 2.0, ("b", 1): 5.0}
    for i, ((recipe, seed), loss) in enumerate(losses.items()):
        resumed = ["resume=true"] if seed == 2 else []
        fake_run(
            root, str(i), [f"+recipe={recipe}", f"seed={seed}", *resumed], {"g_loss_epoch": loss}
        )
    fake_run(root, "9", ["+recipe=b", "seed=2"])
    return root


def test_runs_differing_only_in_seed_form_one_group(tmp_path):
    runs, _ = find_runs(seeded_study(tmp_path))
    groups = seed_groups(runs, swept_keys(runs))
    assert [(g.setting, [r.name for r in g.runs]) for g in groups] == [
        ({"recipe": "a"}, ["0", "1", "2"]),
        ({"recipe": "b"}, ["3"]),
    ]
    rows = seed_rows(groups, ["g_loss_epoch"])
    assert rows[0]["seeds"] == "1 2 3"
    assert (rows[0]["g_loss_epoch_median"], rows[0]["g_loss_epoch_min"]) == (2.0, 1.0)
    assert rows[0]["g_loss_epoch_max"] == 3.0
    table = markdown_seed_table(groups, rows, ["g_loss_epoch"])
    assert "| a | 1 2 3 | 3 | 2 [1, 3] |" in table
    assert "| b | 1 | 3 | 5 |" in table


def test_the_report_adds_the_seed_table_only_when_a_setting_has_several_seeds(tmp_path, capsys):
    main([str(seeded_study(tmp_path / "seeds"))])
    assert "## Across seeds" in (tmp_path / "seeds" / "report.md").read_text()
    with (tmp_path / "seeds" / "report_seeds.csv").open() as handle:
        assert [row["recipe"] for row in csv.DictReader(handle)] == ["a", "b"]
    fake_run(tmp_path / "one", "0", ["+recipe=a", "seed=1"], {"g_loss_epoch": 1.0})
    fake_run(tmp_path / "one", "1", ["+recipe=b", "seed=2"], {"g_loss_epoch": 1.0})
    main([str(tmp_path / "one")])
    assert "Across seeds" not in (tmp_path / "one" / "report.md").read_text()
    assert not (tmp_path / "one" / "report_seeds.csv").exists()
