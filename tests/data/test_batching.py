import numpy as np
import pytest

from regstudio.data import minibatches


def test_minibatches_cover_everything_once_keeping_the_last_partial_batch():
    batches = list(minibatches(10, 4, np.random.default_rng(0)))
    assert [len(b) for b in batches] == [4, 4, 2]
    assert sorted(np.concatenate(batches).tolist()) == list(range(10))
    assert not np.array_equal(np.concatenate(batches), np.arange(10))


def test_minibatches_seeded_and_unshuffled():
    a = np.concatenate(list(minibatches(50, 8, np.random.default_rng(3))))
    b = np.concatenate(list(minibatches(50, 8, np.random.default_rng(3))))
    np.testing.assert_array_equal(a, b)
    plain = list(minibatches(5, 2, np.random.default_rng(0), shuffle=False))
    assert [p.tolist() for p in plain] == [[0, 1], [2, 3], [4]]
    assert list(minibatches(0, 4, np.random.default_rng(0))) == []
    with pytest.raises(ValueError):
        list(minibatches(5, 0, np.random.default_rng(0)))
