"""The encoders of refsnn.encoding against their closed forms: times to steps, rate, latency
(log and linear, normalised), delta modulation (difference and tracking)."""
import numpy as np
import pytest

from refsnn.encoding import (GRID_SLACK, delta_encode, latency_encode, latency_times,
                             normalized_tau, rate_encode, times_to_spikes)


def _binary(a):
    return a.dtype == np.float64 and np.all((a == 0.0) | (a == 1.0))


def _steps(s):
    """The step of the only spike of each ``(b, i)`` of ``s`` ``(B, T, N)``, -1 for none."""
    assert np.all(s.sum(axis=1) <= 1), "more than one spike per input"
    return np.where(s.any(axis=1), s.argmax(axis=1), -1)


def _floor_steps(t, T):
    """The closed-form step ``floor(t)`` where ``t < T``, -1 elsewhere, and a mask of the
    entries whose ``t`` is at least 1e-6 from an integer (there every rounding convention of
    a floor agrees, so the comparison needs no tolerance)."""
    out = np.full(t.shape, -1)
    fin = np.isfinite(t) & (t < T)
    out[fin] = np.floor(t[fin]).astype(int)
    clear = ~np.isfinite(t)
    clear[~clear] = np.abs(t[~clear] - np.rint(t[~clear])) > 1e-6
    return out, clear


# ---------------------------------------------------------------------- times to the grid
def test_times_to_spikes_floor_rule():
    dt, steps = 1e-3, 10
    t = np.array([[0.0, 0.4e-3, 1e-3, 1.999e-3, 3 * 1e-3, 9.9e-3, 10e-3, 0.5, np.inf]])
    np.testing.assert_array_equal(_steps(times_to_spikes(t, steps, dt))[0],
                                  [0, 0, 1, 1, 3, 9, -1, -1, -1])
    # a time written as k * dt lands in step k for every k, although k * dt / dt can round
    # to just below k; a time 1e-6 steps below the boundary does not
    k = np.arange(1000)
    for dt in (1e-3, 0.1, 7e-4):
        np.testing.assert_array_equal(_steps(times_to_spikes((k * dt)[None], 1000, dt))[0], k)
        early = (k[1:] - 1e-6) * dt
        np.testing.assert_array_equal(_steps(times_to_spikes(early[None], 1000, dt))[0],
                                      k[1:] - 1)
    assert GRID_SLACK < 1e-6


@pytest.mark.parametrize("times, steps, dt, exc, match", [
    (np.zeros(3), 5, 1e-3, ValueError, "times"),
    (np.full((1, 2), -1e-3), 5, 1e-3, ValueError, "times"),
    (np.full((1, 2), np.nan), 5, 1e-3, ValueError, "times"),
    (np.zeros((1, 2)), 0, 1e-3, ValueError, "steps"),
    (np.zeros((1, 2)), 5, 0.0, ValueError, "dt"),
    (np.zeros((1, 2)), 5.0, 1e-3, TypeError, "steps"),
])
def test_times_to_spikes_rejects_bad_input(times, steps, dt, exc, match):
    with pytest.raises(exc, match=match):
        times_to_spikes(times, steps, dt)


# ---------------------------------------------------------------------- rate code
def test_rate_encode_shape_and_values():
    v = np.array([[0.0, 0.5, 1.0], [0.2, 0.3, 0.9]])
    s = rate_encode(v, 40, rng=0)
    assert s.shape == (2, 40, 3) and _binary(s) and s.flags.c_contiguous
    assert np.all(s[0, :, 0] == 0.0)              # value 0 never fires
    assert np.all(s[0, :, 2] == 1.0)              # value 1 with max_prob 1 always fires
    np.testing.assert_array_equal(s, rate_encode(v, 40, rng=0))  # seeded
    assert not np.array_equal(s, rate_encode(v, 40, rng=1))
    g = np.random.default_rng(5)
    assert rate_encode(v, 40, rng=g).shape == (2, 40, 3)


@pytest.mark.parametrize("max_prob", [1.0, 0.3])
def test_rate_encode_empirical_rate(max_prob):
    values = np.linspace(0.0, 1.0, 11)[None, :]
    T = 20000
    s = rate_encode(values, T, rng=123, max_prob=max_prob)
    p = max_prob * values[0]
    emp = s[0].mean(axis=0)
    se = np.sqrt(p * (1 - p) / T)
    # within 4 standard errors (exact for p in {0, 1}); a miscalibrated encoder, e.g. a
    # rate off by two percentage points, is ~5.7 standard errors away at p = 0.5
    assert np.all(np.abs(emp - p) <= 4 * se + 1e-12), (emp, p)


def test_rate_encode_is_independent_over_time():
    s = rate_encode(np.full((1, 1), 0.5), 20000, rng=7)[0, :, 0]
    c = np.corrcoef(s[:-1], s[1:])[0, 1]
    assert abs(c) < 4 / np.sqrt(len(s))


@pytest.mark.parametrize("call, exc, match", [
    (lambda: rate_encode(np.ones(3), 10, 0), ValueError, "values"),          # 1-D
    (lambda: rate_encode(np.full((1, 2), 1.5), 10, 0), ValueError, r"\[0, 1\]"),
    (lambda: rate_encode(np.full((1, 2), -0.1), 10, 0), ValueError, r"\[0, 1\]"),
    (lambda: rate_encode(np.full((1, 2), np.nan), 10, 0), ValueError, "NaN"),
    (lambda: rate_encode(np.array([["a", "b"]]), 10, 0), TypeError, "values"),
    (lambda: rate_encode(np.ones((1, 2)), 0, 0), ValueError, "T"),
    (lambda: rate_encode(np.ones((1, 2)), 2.5, 0), TypeError, "T"),
    (lambda: rate_encode(np.ones((1, 2)), 10, 0, max_prob=0.0), ValueError, "max_prob"),
    (lambda: rate_encode(np.ones((1, 2)), 10, 0, max_prob=1.2), ValueError, "max_prob"),
    (lambda: rate_encode(np.ones((1, 2)), 10, None), TypeError, "rng"),
    (lambda: rate_encode(np.ones((1, 2)), 10, "seed"), TypeError, "rng"),
])
def test_rate_encode_rejects_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


# ---------------------------------------------------------------------- latency code
def _log_times(x, tau, theta):
    """Eq. 25 written out: tau ln(x / (x - theta)) for x > theta, inf otherwise."""
    t = np.full(x.shape, np.inf)
    a = x > theta
    t[a] = tau * np.log(x[a] / (x[a] - theta))
    return t


@pytest.mark.parametrize("tau, theta, T", [(5.0, 0.01, 50), (8.0, 0.05, 100), (0.7, 0.3, 7)])
def test_latency_step_is_floor_of_closed_form(tau, theta, T):
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.random(4000), theta + rng.random(500) * 0.1 * theta,
                        [0.0, theta, np.nextafter(theta, 1.0), 1.0]])
    t = _log_times(x, tau, theta)
    want, clear = _floor_steps(t, T)
    got = _steps(latency_encode(x[None], T, tau=tau, threshold=theta))[0]
    assert clear.mean() > 0.99
    np.testing.assert_array_equal(got[clear], want[clear])
    np.testing.assert_allclose(latency_times(x[None], tau, theta)[0][np.isfinite(t)],
                               t[np.isfinite(t)], rtol=1e-12)
    assert np.all(got[x <= theta] == -1) and got[-1] == np.floor(tau * np.log(1 / (1 - theta)))
    # floor, not rint: plenty of spiking values have a fractional part above 1/2
    tf = t[np.isfinite(t) & (t < T - 1)]
    assert np.sum(tf % 1 > 0.5) > 100
    # values whose crossing time is an integer k (to ~1e-11) land in step k
    k = np.arange(1, T)
    xk = theta / (1.0 - np.exp(-k / tau))
    ok = (xk <= 1.0) & (np.exp(-k / tau) > 1e-6)
    assert ok.sum() >= 3
    np.testing.assert_array_equal(
        _steps(latency_encode(xk[ok][None], T, tau=tau, threshold=theta))[0], k[ok])


def test_latency_is_monotone_and_spans_the_window():
    x = np.sort(np.random.default_rng(2).random(2000))
    for kw in (dict(tau=8.0, threshold=0.05), dict(linear=True, tau=90.0, threshold=0.1),
               dict(normalize=True, threshold=0.02)):
        got = _steps(latency_encode(x[None], 100, **kw))[0]
        fires = got >= 0
        assert np.all(np.diff(fires.astype(int)) >= 0)       # larger values fire if smaller do
        assert np.all(np.diff(got[fires]) <= 0)              # ... and no later
        assert got[fires][0] - got[fires][-1] >= 40           # the code spans the window
        t = latency_times(x[None], **{k: v for k, v in kw.items() if k != "normalize"})[0]
        assert np.all(np.diff(t[np.isfinite(t)]) < 0)        # strictly, before quantising


def test_latency_documented_examples_and_late_spikes():
    v = np.array([[1.0, 0.1, 0.05, 0.02, 0.011, 0.01, 0.0]])
    np.testing.assert_array_equal(_steps(latency_encode(v, 50))[0],    # tau 5, theta 0.01
                                  [0, 0, 1, 3, 11, -1, -1])
    # t(0.011) = 11.99: in step 11 of 12 steps (rint would have put it at 12, outside);
    # a spike at or after T is dropped
    assert _steps(latency_encode(v, 12))[0, 4] == 11
    s = latency_encode(v, 11)
    assert s[0, :, 4].sum() == 0 and s[0, :, 3].sum() == 1


@pytest.mark.parametrize("theta, ref, T", [(0.01, None, 20), (0.01, 1 / 16, 50),
                                           (0.2, 0.5, 9), (0.05, 1.0, 30), (0.3, 0.31, 2)])
def test_latency_normalize_puts_ref_value_on_the_last_step(theta, ref, T):
    r = 2 * theta if ref is None else ref
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.random(3000), theta + (r - theta) * rng.random(300), [r, 1.0]])
    t = np.full(x.shape, np.inf)                                        # closed form
    a = x > theta
    t[a] = (T - 1) * np.log(x[a] / (x[a] - theta)) / np.log(r / (r - theta))
    want, clear = _floor_steps(t, T)
    s = latency_encode(x[None], T, threshold=theta, normalize=True, ref_value=ref)
    got = _steps(s)[0]
    assert got[-2] == T - 1                                  # the reference value: last step
    np.testing.assert_array_equal(got[clear], want[clear])
    assert np.all(got[x >= r] >= 0)                          # everything above it spikes
    assert np.isclose(normalized_tau(T, theta, ref_value=ref) * np.log(r / (r - theta)), T - 1)
    # tau cancels; and a sample's code does not depend on the rest of its batch
    np.testing.assert_array_equal(
        s, latency_encode(x[None], T, tau=123.0, threshold=theta, normalize=True,
                          ref_value=ref))
    batch = np.stack([x, x[::-1], np.full_like(x, r)])
    np.testing.assert_array_equal(
        latency_encode(batch, T, threshold=theta, normalize=True, ref_value=ref)[0], s[0])


@pytest.mark.parametrize("tau, theta, T", [(40.0, 0.1, 50), (9.0, 0.0, 10), (3.0, 0.5, 2)])
def test_latency_linear_closed_form(tau, theta, T):
    rng = np.random.default_rng(4)
    x = np.concatenate([rng.random(3000), [0.0, theta, np.nextafter(theta, 0.0), 1.0]])
    t = np.where(x >= theta, tau * (1.0 - x), np.inf)
    want, clear = _floor_steps(t, T)
    got = _steps(latency_encode(x[None], T, tau=tau, threshold=theta, linear=True))[0]
    np.testing.assert_array_equal(got[clear], want[clear])
    assert got[-1] == 0 and np.all(got[x < theta] == -1)
    assert got[-3] == (np.floor(tau * (1 - theta)) if tau * (1 - theta) < T else -1)  # x = theta


@pytest.mark.parametrize("theta, ref, T", [(0.01, None, 5), (0.0, None, 17), (0.2, 0.6, 40)])
def test_latency_linear_normalize(theta, ref, T):
    r = theta if ref is None else ref
    rng = np.random.default_rng(5)
    x = np.concatenate([rng.random(3000), [theta, r, 1.0]])
    t = np.where(x >= theta, (T - 1) * (1.0 - x) / (1.0 - r), np.inf)
    want, clear = _floor_steps(t, T)
    got = _steps(latency_encode(x[None], T, threshold=theta, linear=True, normalize=True,
                                ref_value=ref))[0]
    np.testing.assert_array_equal(got[clear], want[clear])
    assert got[-2] == T - 1 and got[-1] == 0              # r on the last step, 1 on step 0
    if ref is None:
        assert got[-3] == T - 1 and np.all(got[x >= theta] >= 0)   # [theta, 1] fills it


def test_latency_threshold_is_exclusive_for_log_inclusive_for_linear():
    v = np.array([[0.2, 0.2 + 1e-12]])
    # log: t = ln(x / (x - theta)) = inf at x = theta, ln(2e11) = 26.0 just above it
    assert list(_steps(latency_encode(v, 30, tau=1.0, threshold=0.2))[0]) == [-1, 26]
    assert list(_steps(latency_encode(v, 30, tau=1.0, threshold=0.2, linear=True))[0]) == [0, 0]


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(values=np.ones((1, 2)), T=0), ValueError, "T"),
    (dict(values=np.ones((1, 2)), T=5, tau=0.0), ValueError, "tau"),
    (dict(values=np.ones((1, 2)), T=5, tau=np.inf), ValueError, "tau"),
    (dict(values=np.ones((1, 2)), T=5, threshold=0.0), ValueError, "threshold"),
    (dict(values=np.ones((1, 2)), T=5, threshold=1.0), ValueError, "threshold"),
    (dict(values=np.ones((1, 2)), T=5, threshold=1.0, linear=True), ValueError, "threshold"),
    (dict(values=np.ones((1, 2)), T=5, threshold=-0.1, linear=True), ValueError, "threshold"),
    (dict(values=np.full((1, 2), 2.0), T=5), ValueError, "values"),
    (dict(values=np.ones((2, 2, 2)), T=5), ValueError, "values"),
    (dict(values=np.ones((1, 2)), T=5, normalize=1), TypeError, "normalize"),
    (dict(values=np.ones((1, 2)), T=5, normalize=True, tau=-1.0), ValueError, "tau"),
    (dict(values=np.ones((1, 2)), T=5, linear="yes"), TypeError, "linear"),
    (dict(values=np.ones((1, 2)), T=5, ref_value=0.5), ValueError, "ref_value"),
    (dict(values=np.ones((1, 2)), T=1, normalize=True), ValueError, "T"),
    (dict(values=np.ones((1, 2)), T=5, normalize=True, ref_value=0.01), ValueError,
     "ref_value"),                                              # log code: r > theta
    (dict(values=np.ones((1, 2)), T=5, normalize=True, ref_value=1.5), ValueError,
     "ref_value"),
    (dict(values=np.ones((1, 2)), T=5, normalize=True, linear=True, ref_value=1.0),
     ValueError, "ref_value"),                                  # linear: r < 1
    (dict(values=np.ones((1, 2)), T=5, normalize=True, linear=True, ref_value=0.001),
     ValueError, "ref_value"),                                  # linear: r >= theta
    (dict(values=np.ones((1, 2)), T=5, normalize=True, threshold=0.6), ValueError,
     "ref_value"),                                              # default 2 theta > 1
])
def test_latency_encode_rejects_bad_input(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        latency_encode(**kwargs)


# ---------------------------------------------------------------------- delta modulation
def _on_off(s, N):
    return s[..., :N], s[..., N:]


def test_delta_reproduces_snntorch_examples():
    a = np.array([1.0, 2.0, 2.9, 3.0, 3.9])[None, :, None]
    on = delta_encode(a, 1.0, off_spikes=False)[0, :, 0]
    np.testing.assert_array_equal(on, [1, 1, 0, 0, 0])                 # snnTorch's code
    np.testing.assert_array_equal(delta_encode(a, 1.0, padding="first", off_spikes=False)
                                  [0, :, 0], [0, 1, 0, 0, 0])
    np.testing.assert_array_equal(delta_encode(a, 1.0, mode="track", off_spikes=False)
                                  [0, :, 0], [1, 1, 0, 1, 0])           # its docstring
    b = np.array([1.0, 2.0, 0.0, 2.0, 2.9])[None, :, None]
    for mode in ("diff", "track"):
        s = delta_encode(b, 1.0, mode=mode)
        assert s.shape == (1, 5, 2) and _binary(s)
        np.testing.assert_array_equal(s[0, :, 0] - s[0, :, 1], [1, 1, -1, 1, 0])
        s = delta_encode(b, 1.0, mode=mode, padding="first")
        np.testing.assert_array_equal(s[0, :, 0] - s[0, :, 1], [0, 1, -1, 1, 0])


def test_delta_staircase_exact_counts():
    theta, T, width = 0.25, 40, 4
    n = np.arange(T)
    stairs = {h: h * (n // width) for h in (0.25, 0.5, 0.75)}   # exact in binary
    x = np.stack([stairs[0.25], stairs[0.5], stairs[0.75], -stairs[0.5]], axis=1)[None]
    jumps = n[(n % width == 0) & (n > 0)]                         # 9 stair edges
    d_on, d_off = _on_off(delta_encode(x, theta, padding="first"), 4)
    for i in range(3):                                           # diff: one spike per edge
        np.testing.assert_array_equal(np.flatnonzero(d_on[0, :, i]), jumps)
    np.testing.assert_array_equal(np.flatnonzero(d_off[0, :, 3]), jumps)
    assert d_off[0, :, :3].sum() == 0 and d_on[0, :, 3].sum() == 0
    t_on, t_off = _on_off(delta_encode(x, theta, mode="track", padding="first"), 4)
    for i, k in enumerate((1, 2, 3)):       # track: a jump of k theta -> k spikes in a row
        want = np.sort(np.concatenate([jumps + j for j in range(k)]))
        np.testing.assert_array_equal(np.flatnonzero(t_on[0, :, i]), want)
    np.testing.assert_array_equal(np.flatnonzero(t_off[0, :, 3]),
                                  np.sort(np.concatenate([jumps, jumps + 1])))
    # padding "zero": a signal starting at 0.6 spikes at step 0 (diff) / steps 0, 1 (track)
    y = np.full((1, 5, 1), 0.6)
    np.testing.assert_array_equal(delta_encode(y, theta)[0, :, 0], [1, 0, 0, 0, 0])
    np.testing.assert_array_equal(delta_encode(y, theta, mode="track")[0, :, 0],
                                  [1, 1, 0, 0, 0])
    assert delta_encode(y, theta, padding="first").sum() == 0


def test_delta_ramp_diff_is_silent_track_counts():
    theta, T = 0.25, 41
    ramp = (theta / 4) * np.arange(T)                  # exact: 1/16 per step
    x = np.stack([ramp, -ramp, 0.09 * ramp], axis=1)[None]
    assert delta_encode(x, theta, padding="first").sum() == 0    # slower than theta per step
    on, off = _on_off(delta_encode(x, theta, mode="track", padding="first"), 3)
    np.testing.assert_array_equal(np.flatnonzero(on[0, :, 0]), np.arange(4, T, 4))
    np.testing.assert_array_equal(np.flatnonzero(off[0, :, 1]), np.arange(4, T, 4))
    assert on[0, :, 1:].sum() == 0 and off[0, :, 0].sum() == 0
    assert off[0, :, 2].sum() == 0                     # the slow ramp: 0.225 < theta in all


def _slow_walk(rng, B, T, N, theta, monotone=0):
    """Random series changing by at most 0.95 theta per step (monotone: sign of every step)."""
    inc = rng.uniform(-0.95, 0.95, (B, T, N)) * theta
    if monotone:
        inc = monotone * np.abs(inc)
    inc[:, 0] = rng.uniform(-3, 3, (B, N))
    return np.cumsum(inc, axis=1)


@pytest.mark.parametrize("sign", [1, -1])
def test_delta_track_counts_are_integer_part_of_net_change(sign):
    theta, B, T, N = 0.1, 3, 300, 20
    x = _slow_walk(np.random.default_rng(6), B, T, N, theta, monotone=sign)
    on, off = _on_off(delta_encode(x, theta, mode="track", padding="first"), N)
    net = (x[:, -1] - x[:, 0]) / theta
    assert np.abs(net).max() > 50                      # many spikes per channel
    np.testing.assert_array_equal(on.sum(1) - off.sum(1), np.trunc(net))
    assert (off if sign > 0 else on).sum() == 0


@pytest.mark.parametrize("padding", ["first", "zero"])
def test_delta_track_reconstructs_within_threshold(padding):
    theta, B, T, N = 0.2, 4, 400, 10
    x = _slow_walk(np.random.default_rng(7), B, T, N, theta)
    if padding == "zero":
        x = x - x[:, :1] + np.random.default_rng(8).uniform(-0.9, 0.9, (B, 1, N)) * theta
    r0 = np.zeros((B, 1, N)) if padding == "zero" else x[:, :1]
    on, off = _on_off(delta_encode(x, theta, mode="track", padding=padding), N)
    assert np.all(on + off <= 1)
    r = r0 + theta * np.cumsum(on - off, axis=1)       # the decoder of the docstring
    err = np.abs(x - r)
    assert err.max() < theta and err.max() > 0.8 * theta     # the bound, and it is tight
    net = x[:, -1] - r0[:, 0]
    assert np.all(np.abs(theta * (on.sum(1) - off.sum(1)) - net) < theta)
    # the difference mode cannot follow it: changes below theta per step never spike
    assert delta_encode(x, theta, padding="first").sum() == 0
    # a faster signal breaks the bound (slope overload) and the reference catches up later
    fast = np.concatenate([np.zeros(5), np.full(10, 4.5 * theta)])[None, :, None]
    on, off = _on_off(delta_encode(fast, theta, mode="track"), 1)
    np.testing.assert_array_equal(np.flatnonzero(on[0, :, 0]), np.arange(5, 9))


def test_delta_off_channels_are_the_second_half_and_can_be_dropped():
    x = np.random.default_rng(9).normal(size=(2, 30, 3))
    for mode in ("diff", "track"):
        s = delta_encode(x, 0.5, mode=mode)
        assert s.shape == (2, 30, 6) and _binary(s)
        np.testing.assert_array_equal(delta_encode(x, 0.5, mode=mode, off_spikes=False),
                                      s[..., :3])
        np.testing.assert_array_equal(delta_encode(-x, 0.5, mode=mode)[..., 3:], s[..., :3])
        assert s[..., :3].sum() > 5 and s[..., 3:].sum() > 5
    d = np.diff(x, axis=1, prepend=0.0)
    s = delta_encode(x, 0.5)
    np.testing.assert_array_equal(s[..., :3], d >= 0.5)
    np.testing.assert_array_equal(s[..., 3:], d <= -0.5)


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(series=np.zeros((3, 4))), ValueError, "series"),
    (dict(series=np.zeros((1, 0, 2))), ValueError, "series"),
    (dict(series=np.full((1, 3, 2), np.nan)), ValueError, "series"),
    (dict(series=np.array([[["a"]]])), TypeError, "series"),
    (dict(series=np.zeros((1, 3, 2)), threshold=0.0), ValueError, "threshold"),
    (dict(series=np.zeros((1, 3, 2)), threshold=-1.0), ValueError, "threshold"),
    (dict(series=np.zeros((1, 3, 2)), threshold=np.inf), ValueError, "threshold"),
    (dict(series=np.zeros((1, 3, 2)), threshold="0.1"), TypeError, "threshold"),
    (dict(series=np.zeros((1, 3, 2)), mode="delta"), ValueError, "mode"),
    (dict(series=np.zeros((1, 3, 2)), padding=False), ValueError, "padding"),
    (dict(series=np.zeros((1, 3, 2)), off_spikes="no"), TypeError, "off_spikes"),
])
def test_delta_encode_rejects_bad_input(kwargs, exc, match):
    kwargs.setdefault("threshold", 0.1)
    with pytest.raises(exc, match=match):
        delta_encode(**kwargs)
