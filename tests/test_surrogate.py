"""Surrogate pairs (docs/design.md §5): F' is the derivative of F, F(-inf) = 0, stable for huge |x|."""
import warnings

import numpy as np
import pytest

from refsnn.surrogate import SURROGATES, Surrogate, as_surrogate, heaviside_array


#: bound on |F'''| between the kinks (F' as in the module table): superspike 6 s^2 (1+s|x|)^-4,
#: sigmoid s^3 max|logistic'''| = s^3/8, exponential s^2 exp(-s|x|); 0 where F' is linear;
#: the asymptotic superspike is s times the superspike
F3_MAX = {"superspike": lambda s: 6 * s * s, "sigmoid": lambda s: s ** 3 / 8,
          "piecewise_linear": lambda s: 0.0, "exponential": lambda s: s * s,
          "boxcar": lambda s: 0.0, "asymptotic_superspike": lambda s: 6 * s ** 3}
#: the peak of F' (at x = 0) and the largest |term| of F, for a scale s, where not 1 and 2/s
PEAK = {"sigmoid": lambda s: s / 4, "asymptotic_superspike": lambda s: s}
TERMS = {"sigmoid": lambda s: 1.0, "asymptotic_superspike": lambda s: 2.0}
#: the surrogates whose F' peaks at threshold and vanishes far from it: all but the hybrid,
#: whose F' is the spike itself and whose pair is checked in closed form, entry by entry
#: (test_hybrid_derivative_is_the_spike)
PEAKED = tuple(n for n in SURROGATES if n != "hybrid")


@pytest.mark.parametrize("name", PEAKED)
@pytest.mark.parametrize("scale", [0.5, 5.0, 40.0])
def test_derivative_is_derivative_of_primitive(name, scale):
    sg = Surrogate(name, scale)
    rng = np.random.default_rng(0)
    x = rng.uniform(-3 / scale, 3 / scale, size=400)
    kinks = np.array(sg.kinks)
    h = 1e-7 / scale
    # finite differences are only valid away from the kinks of F' (or of F for the boxcar)
    if kinks.size:
        x = x[np.min(np.abs(x[:, None] - kinks[None, :]), axis=1) > 10 * h]
    num = (sg.primitive(x + h) - sg.primitive(x - h)) / (2 * h)
    d = sg.derivative(x)
    # Error of this float64 central difference from the step and the precision alone (u the
    # unit roundoff: the bound holds on any IEEE-754 machine):
    #   truncation  h^2 max|F'''| / 6                      (Taylor; F smooth on the stencil)
    #   roundoff    2 c u M / (2h), M >= every |term| of F  (each F(x +- h) is off by <= c u M;
    #               M = 1 for the sigmoid, 2 for the asymptotic superspike, 2/scale for the
    #               others; c = 8 ulps, generously)
    #   step        |F'| u (|x| + h) / h                    (x +- h is rounded before F sees it)
    # With h = 1e-7/scale: truncation <= 1e-14 max(1, scale/48) P, roundoff <= 8.8e-9 M scale,
    # step 3.3e-9 |F'|: at most 0.2 of the tolerance 1e-7 P + 1e-6 |F'| at every point
    # (asserted), P = 1 for the sigmoid and the peak of F' for the others (1 but for the
    # asymptotic superspike's scale: its F' and F are scale times the superspike's).
    u = np.finfo(np.float64).eps / 2
    M = TERMS.get(name, lambda s: 2.0 / s)(scale)
    P = PEAK[name](scale) if name == "asymptotic_superspike" else 1.0
    bound = h * h * F3_MAX[name](scale) / 6 + 8 * u * M / h + np.abs(d) * u * (np.abs(x) + h) / h
    tol = 1e-7 * P + 1e-6 * np.abs(d)
    assert np.all(bound < 0.2 * tol), "this step cannot resolve the tolerance in float64"
    err = np.abs(num - d)
    assert np.all(err <= bound), f"max error / derived bound {np.max(err / bound):.2f}"


@pytest.mark.parametrize("name", SURROGATES)
def test_primitive_limits_and_monotone(name):
    sg = Surrogate(name, 7.0)
    assert sg.primitive(np.array([-1e6]))[0] == pytest.approx(0.0, abs=1e-6)
    x = np.linspace(-5, 5, 2001)
    F = sg.primitive(x)
    assert np.all(np.diff(F) >= 0), "F must be non-decreasing (it is the integral of F' >= 0)"
    assert np.all(sg.derivative(x) >= 0)


@pytest.mark.parametrize("name", PEAKED)
def test_peak_at_threshold(name):
    sg = Surrogate(name, 3.0)
    x = np.linspace(-2, 2, 4001)
    d = sg.derivative(x)
    assert sg.derivative(np.array([0.0]))[0] == pytest.approx(d.max())  # peak at threshold
    assert np.all(d[np.abs(x) > 1.0] < d.max())  # and not elsewhere
    expected_peak = PEAK.get(name, lambda s: 1.0)(3.0)  # sigmoid scale/4, asymptotic scale
    assert d.max() == pytest.approx(expected_peak)


@pytest.mark.parametrize("name", PEAKED)
def test_stable_for_huge_inputs(name):
    sg = Surrogate(name, 100.0)
    x = np.array([-1e6, -1e3, -1.0, 0.0, 1.0, 1e3, 1e6])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F, dF = sg.primitive(x), sg.derivative(x)
    assert np.all(np.isfinite(F)) and np.all(np.isfinite(dF))
    assert dF[0] < 1e-6 and dF[-1] < 1e-6


def test_known_values():
    assert Surrogate("superspike", 10.0).derivative(np.array([0.1]))[0] == pytest.approx(0.25)
    assert Surrogate("superspike", 10.0).primitive(np.array([0.0]))[0] == pytest.approx(0.1)
    assert Surrogate("sigmoid", 2.0).primitive(np.array([0.0]))[0] == pytest.approx(0.5)
    assert Surrogate("piecewise_linear", 2.0).derivative(np.array([0.25]))[0] == pytest.approx(0.5)
    assert Surrogate("exponential", 2.0).derivative(np.array([-0.5]))[0] == pytest.approx(np.exp(-1))
    assert Surrogate("boxcar", 2.0).derivative(np.array([0.2, 0.3]))[0] == 1.0
    assert Surrogate("boxcar", 2.0).derivative(np.array([0.2, 0.3]))[1] == 0.0
    # Zenke & Vogels §4.2.6: beta / (beta |x| + 1)^2 with beta = 10 at x = 0.1 is 10 / 4
    assert Surrogate("asymptotic_superspike", 10.0).derivative(np.array([0.1]))[0] == 2.5
    np.testing.assert_array_equal(heaviside_array([-1.0, 0.0, 1e-12]), [0.0, 0.0, 1.0])


def test_bad_input():
    with pytest.raises(ValueError, match="surrogate name"):
        Surrogate("tanhh")
    with pytest.raises(ValueError, match="scale"):
        Surrogate("sigmoid", -1.0)
    with pytest.raises(TypeError, match="scale"):
        Surrogate("sigmoid", "big")
    with pytest.raises(TypeError, match="surrogate"):
        as_surrogate(3)
    with pytest.raises(ValueError, match="finite"):
        Surrogate().derivative(np.array([np.nan]))
    assert as_surrogate(("boxcar", 2)) == Surrogate("boxcar", 2.0)


@pytest.mark.parametrize("scale", [np.int64(10), np.int32(3), np.uint8(7), np.float32(2.5),
                                   np.float64(40.0), np.float16(0.5), 10, 2.5])
def test_numpy_scalar_scales_are_accepted(scale):
    sg = Surrogate("superspike", scale)
    assert type(sg.scale) is float and sg.scale == float(scale)
    assert sg == Surrogate("superspike", float(scale))
    assert as_surrogate(("sigmoid", scale)).scale == float(scale)


@pytest.mark.parametrize("scale", [True, np.bool_(True), "10", None, np.array([10.0]),
                                   1 + 0j, np.complex128(10)])
def test_non_real_scales_are_refused(scale):
    with pytest.raises(TypeError, match="surrogate scale must be a real number"):
        Surrogate("superspike", scale)


@pytest.mark.parametrize("scale", [0.5, 10.0, 40.0])
def test_asymptotic_superspike_is_scale_times_superspike(scale):
    """Zenke & Vogels §4.2.6: the asymptotic form is the normalised SuperSpike times beta, and
    so is its primitive (F(+inf) = 2 for every scale, where the normalised one has 2/scale)."""
    x = np.linspace(-3.0, 3.0, 601)
    a, s = Surrogate("asymptotic_superspike", scale), Surrogate("superspike", scale)
    np.testing.assert_allclose(a.derivative(x), scale * s.derivative(x), rtol=4e-16, atol=0)
    np.testing.assert_allclose(a.primitive(x), scale * s.primitive(x), rtol=1e-15, atol=1e-15)
    assert a.primitive(np.array([1e12]))[0] == pytest.approx(2.0)


@pytest.mark.parametrize("scale, c", [(1.0, 0.0), (1.0, 0.1), (2.5, 0.3)])
def test_hybrid_derivative_is_the_spike(scale, c):
    """"lessons" §4.3, Eq. 8: dS/dU <- S = Theta(U - theta), scaled, with the constant c below
    threshold (Theta(0) = 0, so F'(0) = c); its primitive is a threshold-shifted leaky ReLU."""
    sg = Surrogate("hybrid", scale, c)
    x = np.array([-1e6, -2.0, -1e-12, 0.0, 1e-12, 0.5, 1e6])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        d, F = sg.derivative(x), sg.primitive(x)
    np.testing.assert_array_equal(d, scale * heaviside_array(x) + c * (1 - heaviside_array(x)))
    np.testing.assert_array_equal(F, np.where(x > 0, scale * x, c * x))
    assert sg.kinks == (0.0,)


def test_hybrid_defaults_and_options():
    assert Surrogate("hybrid").scale == 1.0 and Surrogate("hybrid").subthreshold == 0.0
    assert Surrogate().scale == 10.0 and Surrogate("sigmoid").scale == 10.0
    assert Surrogate("hybrid", 10.0).scale == 10.0  # an explicit 10 is kept
    assert as_surrogate(("hybrid", 1.0, 0.2)) == Surrogate("hybrid", 1.0, 0.2)
    with pytest.raises(ValueError, match="subthreshold is an option of the hybrid"):
        Surrogate("sigmoid", 2.0, 0.1)
    with pytest.raises(ValueError, match="subthreshold must be finite and >= 0"):
        Surrogate("hybrid", 1.0, -0.1)
    with pytest.raises(TypeError, match="subthreshold must be a real number"):
        Surrogate("hybrid", 1.0, "small")
