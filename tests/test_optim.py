"""SGD and Adam (refsnn.optim): closed forms, Adam's first-step property, convergence, validation."""
import numpy as np
import pytest

from refsnn import LIFParams, Network, bptt, losses
from refsnn.optim import SGD, Adam


def quad_grad(w, a):
    """Gradient of ``f(w) = sum_i a_i w_i^2 / 2``."""
    return a * w


def test_sgd_quadratic_matches_closed_form():
    a = np.array([0.5, 1.0, 3.0])
    w0 = np.array([1.0, -2.0, 0.5])
    lr = 0.1
    w = w0.copy()
    opt = SGD(lr)
    for t in range(1, 31):
        opt.step([w], [quad_grad(w, a)])
        np.testing.assert_allclose(w, w0 * (1 - lr * a) ** t, rtol=1e-12, atol=1e-15)


def test_sgd_momentum_matches_heavy_ball_recurrence():
    # scalar f = a w^2 / 2: (v_t, w_t) = M (v_{t-1}, w_{t-1}) with v_t = mu v + a w, w_t = w - lr v_t
    a, lr, mu = 2.0, 0.05, 0.9
    M = np.array([[mu, a], [-lr * mu, 1 - lr * a]])
    state = np.array([0.0, 1.5])
    w = np.array([1.5])
    opt = SGD(lr, momentum=mu)
    for _ in range(40):
        opt.step([w], [a * w])
        state = M @ state
        assert w[0] == pytest.approx(state[1], rel=1e-12, abs=1e-14)
    # differs from plain SGD (momentum is used)
    w_plain = np.array([1.5])
    plain = SGD(lr)
    for _ in range(40):
        plain.step([w_plain], [a * w_plain])
    assert abs(w_plain[0] - w[0]) > 1e-3


def test_adam_first_step_has_magnitude_lr():
    rng = np.random.default_rng(0)
    g = rng.normal(size=(4, 5)) * np.logspace(-4, 4, 20).reshape(4, 5)  # wildly scaled
    g[0, 0] = 0.0
    w = rng.normal(size=(4, 5))
    w0 = w.copy()
    lr = 0.01
    Adam(lr=lr, eps=0.0).step([w], [g])
    dw = w - w0
    nz = g != 0
    np.testing.assert_allclose(np.abs(dw[nz]), lr, rtol=1e-12)
    np.testing.assert_array_equal(np.sign(dw[nz]), -np.sign(g[nz]))
    assert dw[0, 0] == 0.0
    # with the default eps the magnitude is lr |g| / (|g| + eps)
    w2 = w0.copy()
    Adam(lr=lr).step([w2], [g])
    np.testing.assert_allclose(np.abs(w2 - w0)[nz], lr * np.abs(g[nz]) / (np.abs(g[nz]) + 1e-8),
                               rtol=1e-12)


def test_adam_second_step_matches_hand_computation():
    b1, b2, lr, eps = 0.8, 0.95, 0.1, 1e-8
    g1, g2 = np.array([2.0, -1.0]), np.array([-0.5, 3.0])
    w = np.zeros(2)
    opt = Adam(lr=lr, beta1=b1, beta2=b2, eps=eps)
    opt.step([w], [g1])
    opt.step([w], [g2])
    m = b1 * (1 - b1) * g1 + (1 - b1) * g2
    v = b2 * (1 - b2) * g1 ** 2 + (1 - b2) * g2 ** 2
    mh, vh = m / (1 - b1 ** 2), v / (1 - b2 ** 2)
    expected = -lr * g1 / (np.abs(g1) + eps) - lr * mh / (np.sqrt(vh) + eps)
    np.testing.assert_allclose(w, expected, rtol=1e-12)
    assert opt.t == 2


def test_adam_minimises_badly_scaled_quadratic():
    a = np.array([1e-3, 1.0, 1e3])  # condition number 1e6: plain SGD with a stable lr stalls
    w0 = np.array([1.0, 1.0, 1.0])
    w = w0.copy()
    opt = Adam(lr=0.05)
    for _ in range(500):
        opt.step([w], [quad_grad(w, a)])
    assert np.all(np.abs(w) < 1e-6), w
    # SGD at its largest stable rate barely moves the flat coordinate in as many steps
    w_sgd = w0.copy()
    sgd = SGD(1.9 / a.max())
    for _ in range(500):
        sgd.step([w_sgd], [quad_grad(w_sgd, a)])
    assert abs(w_sgd[0]) > 0.9


def test_reset_forgets_state():
    g = [np.array([1.0, -2.0])]
    w1, w2 = np.zeros(2), np.zeros(2)
    opt = Adam(lr=0.1)
    opt.step([w1], g)
    opt.step([w1], [np.array([-3.0, 0.5])])
    opt.reset()
    assert opt.t == 0
    w1[:] = 0.0
    opt.step([w1], g)
    Adam(lr=0.1).step([w2], g)
    np.testing.assert_array_equal(w1, w2)
    # after reset, other shapes are accepted
    opt.reset()
    opt.step([np.zeros(3)], [np.ones(3)])

    sgd = SGD(0.1, momentum=0.5)
    sgd.step([np.zeros(2)], g)
    sgd.reset()
    assert sgd.velocity is None


def test_step_on_network_parameters_reduces_loss():
    p = LIFParams.from_taus(dt=1e-3, tau_syn=5e-3, tau_mem=1e-2)
    net = Network.init([6, 8, 2], p, recurrent=True, rng=1)
    rng = np.random.default_rng(0)
    x = (rng.random((8, 30, 6)) < 0.2).astype(float)
    y = np.arange(8) % 2
    before = [w.copy() for _, w in net.parameters()]
    trace = net.simulate(x)
    v0, d = losses.max_over_time_ce(trace.readout, y)
    grads = bptt(net, trace, d)
    SGD(1e-3).step(net.parameters(), grads.parameters())  # (name, array) pairs
    for (name, w), w_old, (_, g) in zip(net.parameters(), before, grads.parameters()):
        np.testing.assert_allclose(w, w_old - 1e-3 * g, rtol=0, atol=1e-15, err_msg=name)
    # a network and a Grads object stand for their parameters()
    Adam(1e-3).step(net, grads)


@pytest.mark.parametrize("make", [lambda: SGD(0.1), lambda: SGD(0.1, momentum=0.9),
                                  lambda: Adam(0.1)])
def test_step_rejects_bad_input(make):
    opt = make()
    w = np.zeros(3)
    with pytest.raises(ValueError, match="same length"):
        opt.step([w], [np.ones(3), np.ones(3)])
    with pytest.raises(ValueError, match=r"grads\[0\] has shape"):
        opt.step([w], [np.ones(4)])
    with pytest.raises(ValueError, match=r"grads\[0\] contains NaN"):
        opt.step([w], [np.array([1.0, np.nan, 0.0])])
    with pytest.raises(TypeError, match=r"params\[0\] must be a floating-point"):
        opt.step([np.zeros(3, dtype=int)], [np.ones(3)])
    with pytest.raises(TypeError, match="params must be a list"):
        opt.step(w, [np.ones(3)])
    with pytest.raises(TypeError, match=r"grads\[0\] must be a numpy array"):
        opt.step([w], [[1.0, 2.0, 3.0]])
    with pytest.raises(ValueError, match="same order"):
        opt.step([("W[0]", w)], [("W[1]", np.ones(3))])
    np.testing.assert_array_equal(w, 0.0)  # nothing was updated by a rejected call
    opt.step([w], [np.ones(3)])
    with pytest.raises(ValueError, match="reset"):
        opt.step([np.zeros(2)], [np.ones(2)])


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(lr=0.0), ValueError, "lr"),
    (dict(lr=-1e-3), ValueError, "lr"),
    (dict(lr=np.inf), ValueError, "lr"),
    (dict(lr=np.nan), ValueError, "lr"),
    (dict(lr="0.1"), TypeError, "lr"),
    (dict(lr=True), TypeError, "lr"),
])
def test_constructors_reject_bad_lr(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        SGD(**kwargs)
    with pytest.raises(exc, match=match):
        Adam(**kwargs)


@pytest.mark.parametrize("kwargs, match", [
    (dict(beta1=1.0), "beta1"), (dict(beta1=-0.1), "beta1"), (dict(beta2=1.0), "beta2"),
    (dict(beta2=np.nan), "beta2"), (dict(eps=-1e-8), "eps"), (dict(eps=np.inf), "eps"),
])
def test_adam_rejects_bad_hyperparameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Adam(lr=0.1, **kwargs)


def test_sgd_rejects_bad_momentum():
    for mu in (1.0, -0.5, np.nan):
        with pytest.raises(ValueError, match="momentum"):
            SGD(0.1, momentum=mu)
    SGD(0.1, momentum=0.0)
    Adam(0.1, beta1=0.0, beta2=0.0)  # [0, 1) includes 0
