"""The exported scripts are byte for byte the golden files captured before the generator's
static blocks became real modules (``codegen_runtime/``): what users get does not change."""

from __future__ import annotations

import pytest

from .codegen_cases import CASES, FRAMEWORKS, generate, golden_path, make_base


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    return make_base(tmp_path_factory.mktemp("codegen_data"))


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("case", CASES)
def test_script_is_byte_for_byte_the_golden_file(case, framework, base):
    expected = golden_path(case, framework).read_bytes().decode("utf-8")
    assert generate(case, framework, base) == expected
