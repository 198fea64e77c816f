"""refsnn.gradcheck refuses bad arguments before anything is simulated, and refuses oracle
precisions that cannot carry a gradient check."""
import numpy as np
import pytest

from refsnn import LIFParams, Network, gradcheck, losses, reference


@pytest.fixture
def problem():
    net = Network.init([3, 4, 2], LIFParams(alpha=0.8, beta=0.9), recurrent=True, rng=0)
    x = (np.random.default_rng(0).random((2, 10, 3)) < 0.3).astype(float)
    return net, x


@pytest.fixture
def no_simulation(monkeypatch):
    """Fail the test if a forward pass (library or oracle) starts."""
    def forbidden(*args, **kwargs):
        pytest.fail("a forward pass ran before the arguments were checked")
    monkeypatch.setattr(Network, "simulate", forbidden)
    monkeypatch.setattr(reference, "simulate", forbidden)


@pytest.mark.parametrize("kw,exc,match", [
    (dict(n_samples=0), ValueError, "n_samples"),
    (dict(n_samples=-3), ValueError, "n_samples"),
    (dict(n_samples=2.5), TypeError, "n_samples"),
    (dict(n_samples=True), TypeError, "n_samples"),
    (dict(eps=0.0), ValueError, "eps"),
    (dict(eps=-1e-3), ValueError, "eps"),
    (dict(eps=np.nan), ValueError, "eps"),
    (dict(eps="1e-2"), TypeError, "eps"),
    (dict(method="complex"), ValueError, "method"),
    (dict(method=None), ValueError, "method"),
    (dict(loss="mse"), TypeError, "loss"),
    (dict(grad_fn="bptt"), TypeError, "grad_fn"),
    (dict(spike="smooth"), ValueError, "spike"),
    (dict(tol=0.0), ValueError, "tol"),
    (dict(tol=np.inf), ValueError, "tol"),
    (dict(tol="1e-6"), TypeError, "tol"),
    (dict(rng=None), TypeError, "rng"),
    (dict(rng="seed"), TypeError, "rng"),
    (dict(binary_input="no"), TypeError, "binary_input"),
    (dict(precision=int), TypeError, "precision"),
    (dict(precision=np.complex128), TypeError, "precision"),
    (dict(precision="abc"), TypeError, "precision"),
    (dict(precision=np.float16), ValueError, "precision float16 is too coarse"),
    (dict(precision=np.float32), ValueError, "precision float32 is too coarse"),
    (dict(target=np.array([0, 2])), ValueError, "labels"),        # label out of range
    (dict(target=np.array([0, 1, 1])), ValueError, "labels"),     # one label too many
    (dict(x=np.zeros((2, 10, 4))), ValueError, "x has 4 input neurons"),
    (dict(x=np.full((2, 10, 3), 0.5)), ValueError, "binary"),
    (dict(net="net"), TypeError, "net must be a refsnn Network"),
])
def test_check_network_checks_every_argument_first(problem, no_simulation, kw, exc, match):
    net, x = problem
    args = dict(net=net, x=x, loss=losses.max_over_time_ce, target=np.array([0, 1]))
    args.update(kw)
    with pytest.raises(exc, match=match):
        gradcheck.check_network(**args)


def test_float32_network_is_refused_first(problem, no_simulation):
    net, x = problem
    with pytest.raises(TypeError, match="float64 network"):
        gradcheck.check_network(net.astype(np.float32), x, losses.mse, np.zeros((2, 10, 2)))


@pytest.mark.parametrize("precision", [np.longdouble, np.float64, float, "float64"])
def test_precisions_that_carry_a_check_pass_a_correct_gradient(problem, precision):
    net, x = problem
    report = gradcheck.check_network(net, x, losses.sum_over_time_ce, np.array([0, 1]),
                                     n_samples=4, precision=precision)
    assert report.passed, str(report)


def test_as_precision():
    assert gradcheck.as_precision(np.longdouble) is np.longdouble
    assert gradcheck.as_precision(float) is np.float64
    for p in (np.float16, np.float32, "float32"):
        with pytest.raises(ValueError, match="too coarse for a gradient check"):
            gradcheck.as_precision(p)
    for p in (int, np.int64, bool, np.complex64, object):
        with pytest.raises(TypeError, match="precision must be a float type"):
            gradcheck.as_precision(p)


@pytest.mark.parametrize("kw,exc,match", [
    (dict(eps="x"), TypeError, "eps"), (dict(eps=np.inf), ValueError, "eps"),
    (dict(max_halvings=-1), ValueError, "max_halvings"),
    (dict(max_halvings=2.0), ValueError, "max_halvings"),
])
def test_numerical_gradient_arguments(kw, exc, match):
    with pytest.raises(exc, match=match):
        gradcheck.numerical_gradient(lambda: 0.0, np.zeros(3), **kw)


def test_numpy_scalars_are_accepted(problem):
    net, x = problem
    report = gradcheck.check_network(net, x, losses.mse, np.zeros((2, 10, 2)),
                                     n_samples=np.int64(2), eps=np.float32(1e-2),
                                     tol=np.float64(1e-6), binary_input=np.bool_(True))
    assert report.passed and sum(r.checked for r in report.rows) == 2 * len(report.rows)


def test_fd_cache_reuses_only_identical_problems():
    """A cached finite difference is returned only for the same network, input, loss and
    target: the report equals the uncached one, and a changed weight is computed afresh."""
    net = Network.init([3, 4, 2], LIFParams(alpha=0.8, beta=0.9), rng=4, gain=10.0)
    x = (np.random.default_rng(4).random((2, 12, 3)) < 0.4).astype(float)
    target = np.zeros((2, 12, 2))
    cache = {}
    calls = []
    real = gradcheck.numerical_gradient

    def counting(*a, **k):
        calls.append(1)
        return real(*a, **k)

    gradcheck.numerical_gradient = counting
    try:
        first = gradcheck.check_network(net, x, losses.mse, target, fd_cache=cache)
        n = len(calls)
        again = gradcheck.check_network(net, x, losses.mse, target, fd_cache=cache)
        assert len(calls) == n and n == len(net.parameters())      # all from the cache
        assert str(again) == str(first) and again.passed
        net.W[0][0, 0] += 0.1                                         # another problem
        gradcheck.check_network(net, x, losses.mse, target, fd_cache=cache)
        assert len(calls) == 2 * n
        gradcheck.check_network(net, x, losses.mse, target + 0.5, fd_cache=cache)
        assert len(calls) == 3 * n
    finally:
        gradcheck.numerical_gradient = real
