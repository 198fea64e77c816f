"""Each loss gradient against finite differences of the loss value (readout treated as input)."""
import numpy as np
import pytest

from refsnn import losses
from refsnn.gradcheck import max_rel_error, numerical_gradient


def fd_grad(loss, readout, target):
    r = readout.copy()
    return numerical_gradient(lambda: loss(r, target)[0], r, eps=1e-6,
                              method="central2").reshape(r.shape)


@pytest.mark.parametrize("seed", range(5))
def test_sum_over_time_ce(seed):
    rng = np.random.default_rng(seed)
    r = rng.normal(size=(3, 7, 4))
    y = rng.integers(0, 4, size=3)
    value, d = losses.sum_over_time_ce(r, y)
    assert max_rel_error(d, fd_grad(losses.sum_over_time_ce, r, y)) < 1e-6
    z = r.sum(axis=1)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    assert value == pytest.approx(-np.mean(np.log(p[np.arange(3), y])))


@pytest.mark.parametrize("seed", range(5))
def test_max_over_time_ce(seed):
    rng = np.random.default_rng(seed)
    r = rng.normal(size=(3, 7, 4))  # continuous values: no ties, the max is differentiable
    y = rng.integers(0, 4, size=3)
    value, d = losses.max_over_time_ce(r, y)
    assert max_rel_error(d, fd_grad(losses.max_over_time_ce, r, y)) < 1e-6
    # gradient only at the argmax step of each (sample, output)
    assert np.count_nonzero(d) <= 3 * 4
    assert np.all((d != 0).sum(axis=1) <= 1)


@pytest.mark.parametrize("seed", range(5))
def test_mse(seed):
    rng = np.random.default_rng(seed)
    r, t = rng.normal(size=(2, 5, 3)), rng.normal(size=(2, 5, 3))
    value, d = losses.mse(r, t)
    assert value == pytest.approx(np.mean((r - t) ** 2))
    assert max_rel_error(d, fd_grad(losses.mse, r, t)) < 1e-6


def test_softmax_ce_is_stable_for_large_logits():
    r = np.zeros((1, 3, 2))
    r[0, :, 0] = 1e4
    value, d = losses.max_over_time_ce(r, np.array([1]))
    assert np.isfinite(value) and value == pytest.approx(1e4)
    assert np.all(np.isfinite(d))


def test_predictions():
    r = np.zeros((2, 4, 3))
    r[0, 2, 1] = 5.0
    r[1, :, 2] = 1.0
    r[1, 0, 0] = 2.0  # larger max, smaller sum
    assert list(losses.predict_max_over_time(r)) == [1, 0]
    assert list(losses.predict_sum_over_time(r)) == [1, 2]


def test_bad_input():
    r = np.zeros((2, 4, 3))
    with pytest.raises(ValueError, match="labels"):
        losses.max_over_time_ce(r, np.array([0, 3]))
    with pytest.raises(ValueError, match="labels"):
        losses.sum_over_time_ce(r, np.array([0]))
    with pytest.raises(TypeError, match="labels"):
        losses.sum_over_time_ce(r, np.array([0.5, 1.0]))
    with pytest.raises(ValueError, match="readout"):
        losses.mse(np.zeros((2, 4)), np.zeros((2, 4)))
    with pytest.raises(ValueError, match="target"):
        losses.mse(r, np.zeros((2, 4, 2)))
    with pytest.raises(ValueError, match="NaN"):
        losses.mse(np.full((1, 1, 1), np.nan), np.zeros((1, 1, 1)))
