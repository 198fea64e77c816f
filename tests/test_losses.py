"""Each loss gradient against finite differences of the loss value (readout treated as input)."""
import warnings

import numpy as np
import pytest

from refsnn import losses
from conftest import fd_grad
from refsnn.gradcheck import max_rel_error


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


LOSSES = [(losses.max_over_time_ce, "labels"), (losses.sum_over_time_ce, "labels"),
          (losses.mse, "trace")]


def _target(kind, r):
    return np.zeros(r.shape[0], dtype=int) if kind == "labels" else np.zeros(r.shape)


@pytest.mark.parametrize("loss,kind", LOSSES)
@pytest.mark.parametrize("shape", [(0, 4, 3), (2, 0, 3), (2, 4, 0)])
def test_empty_readout_is_refused(loss, kind, shape):
    """B = 0 (or T = 0, K = 0) is a ValueError naming the readout, not NaN with a warning."""
    r = np.zeros(shape)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning on the way
        with pytest.raises(ValueError, match="readout must have at least one entry"):
            loss(r, _target(kind, r))


@pytest.mark.parametrize("predict", [losses.predict_max_over_time, losses.predict_sum_over_time])
def test_predictions_refuse_empty_and_complex_readouts(predict):
    with pytest.raises(ValueError, match="readout must have at least one entry"):
        predict(np.zeros((0, 4, 3)))
    with pytest.raises(TypeError, match="readout must be real"):
        predict(np.zeros((2, 4, 3), dtype=complex))


@pytest.mark.parametrize("loss,kind", LOSSES)
@pytest.mark.parametrize("dtype", [np.complex128, np.complex64])
def test_complex_readout_is_refused(loss, kind, dtype):
    """A complex readout is a TypeError, not silently cast (numpy's ComplexWarning)."""
    r = np.zeros((2, 4, 3), dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(TypeError, match="readout must be real"):
            loss(r, _target(kind, r))


def test_other_bad_arrays_are_refused():
    r = np.zeros((2, 4, 3))
    with pytest.raises(TypeError, match="target must be real"):
        losses.mse(r, np.zeros(r.shape, dtype=complex))
    with pytest.raises(TypeError, match="readout must be a numeric array"):
        losses.mse(np.full((2, 4, 3), "1.0"), r)
    with pytest.raises(TypeError, match="readout must be a numeric array"):
        losses.sum_over_time_ce(np.empty((2, 4, 3), dtype=object), [0, 1])
    with pytest.raises(ValueError, match=r"z must have shape \(batch, n_out\)"):
        losses.softmax_ce(np.zeros(3), [0])
    with pytest.raises(ValueError, match="z must have at least one entry"):
        losses.softmax_ce(np.zeros((0, 3)), np.zeros(0, dtype=int))
    with pytest.raises(ValueError, match="labels"):
        losses.softmax_ce(np.zeros((2, 3)), [0, 3])
    with pytest.raises(ValueError, match="z contains NaN or inf"):  # a time sum that overflows
        losses.sum_over_time_ce(np.full((1, 2, 2), 1e308), [0])


def test_integer_and_longdouble_readouts_are_accepted():
    y = np.array([0, 1])
    v_int, d_int = losses.sum_over_time_ce(np.ones((2, 4, 3), dtype=int), y)
    v, d = losses.sum_over_time_ce(np.ones((2, 4, 3)), y)
    assert v_int == v and np.array_equal(d_int, d)
    v_ld, d_ld = losses.max_over_time_ce(np.ones((2, 4, 3), dtype=np.longdouble), y)
    assert d_ld.dtype == np.longdouble
