"""A run is named by what tells it apart from the other runs of its session."""

from regstudio.experiments.config import default_config, set_path
from regstudio.experiments.runs import describe_run


def test_alone_or_among_alike_runs_a_run_is_named_by_its_regularizers():
    cfg = default_config()
    assert describe_run(cfg) == "no regularization"
    l2 = set_path(cfg, "regularization.l2", 0.001)
    assert describe_run(l2, [cfg]) == "L2 0.001"


def test_data_model_and_optimizer_appear_only_where_they_differ():
    mlp = set_path(default_config(), "data", {"source": "builtin", "name": "moons"})
    cnn = set_path(set_path(mlp, "data", {"source": "builtin", "name": "shapes"}), "model.layers",
                   [{"type": "conv2d", "filters": 4}, {"type": "maxpool2d"}, {"type": "dense"}])
    a, b = describe_run(mlp, [cnn]), describe_run(cnn, [mlp])
    assert a == "moons, MLP 256-256, no regularization"
    assert b == "shapes, CNN 1 conv, no regularization"
    faster = set_path(mlp, "training.lr", 0.1)
    assert describe_run(faster, [mlp]) == f"{mlp['training']['optimizer']} lr 0.1, no regularization"


def test_a_lessons_label_names_the_run_and_a_table_by_its_file():
    cfg = default_config()
    table = set_path(cfg, "data", {"source": "table", "path": "/data/penguins.csv", "target": "species"})
    assert describe_run(cfg, [cfg], label="no augmentation") == "no augmentation"
    assert describe_run(table, [cfg]).startswith("penguins.csv, ")
