"""The fill-in rules of ``codegen_runtime.block``: how a real module's code becomes a script's."""

from __future__ import annotations

import pytest

from regstudio.experiments.codegen_runtime import _specialize, block

TORCH_FLAGS = {"USE_SGD": False, "USE_ADAM": False, "DECAY_BIASES": False}


def test_a_chain_of_flags_keeps_the_chosen_branch_one_indent_less():
    lines = ["def f():",
             "    if A:",
             "        x = 1",
             "        if B:",
             "            y = 2",
             "    elif B:",
             "        x = 3",
             "    else:",
             "        x = 4",
             "",
             "    return x"]
    assert _specialize(lines, {"A": True, "B": False}) == ["def f():", "    x = 1", "", "    return x"]
    assert _specialize(lines, {"A": True, "B": True}) == ["def f():", "    x = 1", "    y = 2", "", "    return x"]
    assert _specialize(lines, {"A": False, "B": True}) == ["def f():", "    x = 3", "", "    return x"]
    assert _specialize(lines, {"A": False, "B": False}) == ["def f():", "    x = 4", "", "    return x"]
    assert _specialize(["if A:", "    x = 1", "y = 2"], {"A": False}) == ["y = 2"]
    assert _specialize(["if x:", "    y = 1"], {"A": True}) == ["if x:", "    y = 1"]  # not a flag: kept


def test_a_chain_mixing_a_flag_and_a_condition_is_refused():
    with pytest.raises(KeyError, match="tests no flag"):
        _specialize(["if A:", "    x = 1", "elif x > 2:", "    x = 3"], {"A": False})


def test_values_settings_notes_and_noqa():
    lines = block("torch_blocks", "make_optimizer", flags={**TORCH_FLAGS, "USE_SGD": True},
                  values={"MOMENTUM": "0.9", "NESTEROV": "True", "WEIGHT_DECAY": "0.0"})
    assert lines == ["def make_optimizer(model):",
                     "    return torch.optim.SGD(model.parameters(), lr=LR, momentum=0.9, nesterov=True)", "", ""]
    aug = block("data", "augmentation", settings={"FLIPS": "[('vflip', 0.2)]", "OTHER_OPS": "[]"},
                notes={"FLIPS_NOTE": "(op, probability)"}, gap=0)
    assert aug[0] == "FLIPS = [('vflip', 0.2)]  # (op, probability)" and aug[-1] == "OTHER_OPS = []"
    imports = block("torch_blocks", "imports", gap=0)
    assert imports[:3] == ["import argparse", "import json", "import os"]  # the module's noqa dropped


def test_a_value_in_an_f_string_reads_as_its_text_and_elsewhere_as_source():
    main = "\n".join(block("keras_blocks", "main", flags={"EARLY_STOPPING": False, "AUGMENT": False},
                           values={"METRIC": "'r2'"}))
    assert "val_r2 {final['r2']:.4f}" in main and "METRIC" not in main


def test_an_include_brings_the_shared_lines_at_the_lines_indentation():
    fill = {"flags": {"AUGMENT": False, "EARLY_STOPPING": False, "PENALIZED": False, "PROXIMAL_L1": False},
            "values": {"Y_DTYPE": "torch.long", "VAL_SCORE": '"val_acc"', "METRIC": "'acc'"}}
    main = block("torch_blocks", "main", **fill)
    assert main[1] == '    parser = argparse.ArgumentParser(description="Train the exported experiment.")'
    assert main[4] == "    args = parser.parse_args()" and "parse_arguments" not in "\n".join(main)


@pytest.mark.parametrize(("module", "name", "kwargs", "left"), [
    ("torch_blocks", "make_optimizer", {}, "USE_SGD"),  # a flag not given
    ("torch_blocks", "make_optimizer", {"flags": {**TORCH_FLAGS, "USE_SGD": True}}, "MOMENTUM"),
    ("data", "augmentation", {}, "FLIPS_NOTE"),
    ("keras_blocks", "build_model", {}, "model_layers"),  # the layers not written out
])
def test_a_placeholder_left_unfilled_is_an_error(module, name, kwargs, left):
    with pytest.raises(ValueError, match=f"still holds a placeholder \\({left}\\)"):
        block(module, name, **kwargs)


@pytest.mark.parametrize(("loss", "expected"), [
    ("CROSS_ENTROPY", "F.cross_entropy(outputs, y)"),
    ("SIGMOID_BCE", "F.binary_cross_entropy_with_logits(outputs[:, 0], y.float())"),
    (None, "F.mse_loss(outputs, y)"),
])
def test_each_loss_and_score_variant_runs_as_exported(loss, expected):
    torch = pytest.importorskip("torch")
    import torch.nn.functional as F

    flags = {"CROSS_ENTROPY": loss == "CROSS_ENTROPY", "SIGMOID_BCE": loss == "SIGMOID_BCE",
             "REGRESSION": loss is None}
    source = "\n".join(block("torch_blocks", "data_loss", flags=flags) + block("torch_blocks", "score", flags=flags))
    assert expected in source and "if " not in source.replace("if sst", "")
    ns = {"F": F, "torch": torch}
    exec(compile(source, "<exported>", "exec"), ns)  # the script's own text, no file contents
    outputs = torch.tensor([[2.0, -1.0], [-0.5, 0.5], [1.0, 3.0]])
    if loss == "CROSS_ENTROPY":
        y = torch.tensor([0, 1, 0])
        assert ns["data_loss"](outputs, y).item() == pytest.approx(F.cross_entropy(outputs, y).item())
        assert ns["score"](outputs, y) == pytest.approx(2 / 3)
    elif loss == "SIGMOID_BCE":
        y = torch.tensor([1, 0, 0])
        assert ns["score"](outputs, y) == pytest.approx(2 / 3)  # logit > 0 is class 1
    else:
        y = outputs + 0.1
        assert ns["data_loss"](outputs, y).item() == pytest.approx(0.01)
        assert 0.9 < ns["score"](outputs, y) < 1


def test_every_runtime_module_is_listed():
    from pathlib import Path

    from regstudio.experiments import codegen_runtime

    found = {p.stem for p in Path(codegen_runtime.__file__).parent.glob("*.py")} - {"__init__"}
    assert found == set(codegen_runtime.MODULES)
