"""Pure kernels of the chaotic RNN generators (Fournier & Urbani 2024, arXiv:2405.10822).

The three architectures of the paper are layered networks of rate units
``x_l`` (layer 0 is the visible layer ``v``) with ``phi = tanh``:

* ``"unrestricted"`` (eq. 2): one layer, self-coupled through ``J + A``;
* ``"restricted"`` (eqs. 4-5): layers ``v, h`` coupled through ``W + A``
  (h -> v) and ``W~ + A^T`` (v -> h);
* ``"deep"`` (eqs. A1-A3): layers ``v, h1, h2`` with the same structure
  between consecutive layers.

Every architecture is described here by the same three objects so that a
single Euler integrator serves all of them:

``edges``
    list of ``(src, dst, K)``: the field on layer ``dst`` receives
    ``phi(x_src) @ K``; ``K`` of shape ``(N_src, N_dst)`` already contains
    the fixed and trained couplings added once, the ``1 / sqrt(N_src)`` of
    the equations and the Euler factor ``dt / tau`` (so the hot loop does
    one matmul per edge and nothing else with the couplings).
``drives``
    per layer, ``(dt / tau) * bias`` (plus, for clamped runs, the constant
    input of the clamped layer); broadcastable to ``(n, N_l)``.
``states``
    per layer, an array ``(n, N_l)`` of pre-activations, or ``None`` for a
    clamped layer, whose ``phi`` is held at the data.

All functions take the array namespace ``xp`` and return arrays; none
converts to NumPy.
"""

from __future__ import annotations

import math

__all__ = [
    "ARCHITECTURES",
    "layer_sizes",
    "coupling_std",
    "draw_fixed_couplings",
    "zero_trained_parameters",
    "propagators",
    "euler_step",
    "euler_integrate",
    "initial_states",
    "free_run",
    "relax_under_fixed_input",
    "bias_drives",
    "contrastive_hebbian_step",
    "clamped_run",
    "hebbian_updates",
    "largest_lyapunov_exponent",
]

ARCHITECTURES = ("unrestricted", "restricted", "deep")


# --------------------------------------------------------------------------
# Parameters
# --------------------------------------------------------------------------


def layer_sizes(architecture, n_visible, n_hidden):
    """Sizes ``(N_v, N_h, ...)`` of the layers of ``architecture``.

    Parameters
    ----------
    architecture : {"unrestricted", "restricted", "deep"}
    n_visible : int
    n_hidden : int or tuple of two ints
        Ignored for ``"unrestricted"``; a pair ``(N_h1, N_h2)`` for ``"deep"``.

    Returns
    -------
    sizes : tuple of int
    """
    if architecture == "unrestricted":
        return (int(n_visible),)
    if architecture == "restricted":
        return (int(n_visible), int(n_hidden))
    return (int(n_visible), int(n_hidden[0]), int(n_hidden[1]))


def coupling_std(g, convention="variance"):
    """Standard deviation of the fixed couplings before the ``1/sqrt(N)``.

    The paper (text after eq. 2) draws ``J`` with variance ``g``; Sompolinsky,
    Crisanti & Sommers (1988) use standard deviation ``g``. The transition
    to chaos of the untrained network sits at ``g = 1`` in both conventions.

    Parameters
    ----------
    g : float
    convention : {"variance", "std"}

    Returns
    -------
    std : float
    """
    return math.sqrt(g) if convention == "variance" else float(g)


def draw_fixed_couplings(rng, sizes, *, std, dtype=None):
    """Draw the fixed random couplings of the architecture with ``sizes``.

    Parameters
    ----------
    rng : skneq._backend.BackendRandom
    sizes : tuple of int
        From :func:`layer_sizes`.
    std : float
        Entry standard deviation (:func:`coupling_std`).
    dtype : dtype, optional

    Returns
    -------
    fixed : list of arrays
        Unrestricted: ``[J]`` with ``J`` of shape ``(N_v, N_v)`` (eq. 2).
        Layered: for each pair of consecutive layers ``(l, l+1)``, first
        ``W_l`` of shape ``(N_l, N_{l+1})`` (field on ``l`` from ``l+1``,
        eq. 4 / A1 / A2) then ``W~_l`` of shape ``(N_{l+1}, N_l)`` (field
        on ``l+1`` from ``l``, eq. 5 / A2 / A3).
    """
    if len(sizes) == 1:
        return [std * rng.normal((sizes[0], sizes[0]), dtype=dtype)]
    fixed = []
    for n_lo, n_hi in zip(sizes[:-1], sizes[1:]):
        fixed.append(std * rng.normal((n_lo, n_hi), dtype=dtype))
        fixed.append(std * rng.normal((n_hi, n_lo), dtype=dtype))
    return fixed


def zero_trained_parameters(sizes, *, xp, dtype, device=None):
    """Trained couplings and biases at their initial value, zero.

    Returns
    -------
    trained : list of arrays
        Unrestricted: ``[A]`` of shape ``(N_v, N_v)`` (eq. 2). Layered: one
        ``A_l`` of shape ``(N_l, N_{l+1})`` per pair of consecutive layers
        (eqs. 4-5, A1-A3).
    biases : list of arrays
        One bias per layer: ``b`` (visible), ``c``, ``d`` of shape ``(N_l,)``.
    """
    if len(sizes) == 1:
        trained = [xp.zeros((sizes[0], sizes[0]), dtype=dtype, device=device)]
    else:
        trained = [
            xp.zeros((n_lo, n_hi), dtype=dtype, device=device) for n_lo, n_hi in zip(sizes[:-1], sizes[1:])
        ]
    biases = [xp.zeros((n,), dtype=dtype, device=device) for n in sizes]
    return trained, biases


def propagators(fixed, trained, *, dt, tau):
    """Edges ``(src, dst, K)`` of the Euler map, couplings added once.

    ``K = (dt / tau) * (fixed + trained)^T / sqrt(N_src)`` in the row-vector
    convention ``field_dst = phi(x_src) @ K`` (eqs. 2, 4-5, A1-A3).

    Parameters
    ----------
    fixed, trained : lists of arrays
        From :func:`draw_fixed_couplings` and :func:`zero_trained_parameters`.
    dt, tau : float

    Returns
    -------
    edges : list of (int, int, array)
    """
    rate = dt / tau
    if len(trained) == 1 and len(fixed) == 1:
        J, A = fixed[0], trained[0]
        return [(0, 0, (J + A).T * (rate / math.sqrt(J.shape[0])))]
    edges = []
    for layer, A in enumerate(trained):
        W, W_tilde = fixed[2 * layer], fixed[2 * layer + 1]
        n_lo, n_hi = A.shape
        # field on the upper layer from the lower one: (W~ + A^T) phi(x_lo) / sqrt(N_lo)
        edges.append((layer, layer + 1, (W_tilde.T + A) * (rate / math.sqrt(n_lo))))
        # field on the lower layer from the upper one: (W + A) phi(x_hi) / sqrt(N_hi)
        edges.append((layer + 1, layer, (W + A).T * (rate / math.sqrt(n_hi))))
    return edges


# --------------------------------------------------------------------------
# Euler integration
# --------------------------------------------------------------------------


def euler_step(states, edges, drives, *, decay, activation, masks=None, xp):
    """One synchronous Euler step of ``tau dx/dt = -x + field + bias``, in place.

    ``x <- (1 - dt/tau) x + phi(x_src) @ K + drive`` for every free layer,
    all fields computed from the states before the step.

    Parameters
    ----------
    states : list of arrays (n, N_l) or None
        Updated in place (free layers only); the caller owns them.
    edges : list of (src, dst, K)
        From :func:`propagators`; edges into clamped layers are ignored and
        edges out of clamped layers must already be folded into ``drives``.
    drives : list of arrays or None
        ``(dt / tau) * (bias [+ clamped input])`` per layer.
    decay : float
        ``1 - dt / tau``.
    activation : callable
        ``phi`` (``xp.tanh`` in the paper).
    masks : list of arrays (N_l,) or None, optional
        Per layer, 1 for a free unit and 0 for a unit held at ``x = 0``
        (``phi(0) = 0``: it sends no field, the Sec. III ablation of
        Fournier & Urbani); ``None`` for a layer without held units.

    Returns
    -------
    states : list
    """
    fields = [None] * len(states)
    for src, x in enumerate(states):
        targets = [(dst, K) for s, dst, K in edges if s == src and states[dst] is not None]
        if x is None or not targets:
            continue
        phi = activation(x)
        for dst, K in targets:
            field = phi @ K
            if fields[dst] is None:
                fields[dst] = field
            else:
                fields[dst] += field
        del phi  # fewer large temporaries alive at once (see euler_integrate)
    for layer, x in enumerate(states):
        if x is None:
            continue
        field = fields[layer]
        x *= decay
        if field is not None:
            x += field
        if drives[layer] is not None:
            x += drives[layer]
        if masks is not None and masks[layer] is not None:
            x *= masks[layer]
    return states


def euler_integrate(states, edges, drives, *, n_steps, dt, tau, activation=None, record=(), masks=None, xp):
    """Integrate the network ``n_steps`` Euler steps of size ``dt``.

    Discretisation of eqs. 2, 4-5 and A1-A3 used by the paper (Sec. II,
    "Training protocol").

    Parameters
    ----------
    states : list of arrays (n, N_l) or None
        Initial pre-activations (copied, never modified); ``None`` marks a
        clamped layer.
    edges, drives :
        See the module docstring.
    n_steps : int
        Number of steps; the final time is ``n_steps * dt``.
    dt, tau : float
    activation : callable, optional
        ``phi``; ``xp.tanh`` by default (any elementwise function, e.g. the
        identity for the linear test case).
    record : tuple of int
        Layers whose ``phi`` is recorded at every step (empty: none).
    masks : list of arrays (N_l,) or None, optional
        Units held at ``x = 0`` (see :func:`euler_step`); applied to the
        initial state too.

    Returns
    -------
    states : list of arrays (n, N_l) or None
        Pre-activations at time ``n_steps * dt``.
    trajectories : list of arrays of shape (n_steps + 1, n, N_l)
        Only if ``record`` is not empty: ``phi(x_l(t))`` of each recorded
        layer for ``t = 0, dt, ..., n_steps dt``.
    """
    activation = xp.tanh if activation is None else activation
    decay = 1.0 - dt / tau
    # Allocator hint, harmless elsewhere: reserve room for one step's
    # temporaries (phi and fields, about twice the states) *below* the
    # long-lived state copies, then release it. glibc's malloc then reuses
    # that hole every step instead of growing and trimming the top of the
    # heap, which page-faulted ~4 MB back per step at the paper's size
    # (measured on NumPy: 1.5x -> 1.25x the time of the matrix products).
    reserve = [xp.empty_like(x) for x in states if x is not None for _ in range(2)]
    states = [None if x is None else xp.asarray(x, copy=True) for x in states]
    del reserve
    if masks is not None:
        for x, mask in zip(states, masks):
            if x is not None and mask is not None:
                x *= mask
    record = tuple(record)
    frames = [[activation(states[layer])] for layer in record]
    for _ in range(int(n_steps)):
        euler_step(states, edges, drives, decay=decay, activation=activation, masks=masks, xp=xp)
        for layer, path in zip(record, frames):
            path.append(activation(states[layer]))
    if record:
        return states, [xp.stack(path, axis=0) for path in frames]
    return states


def initial_states(rng, sizes, n_samples, *, dtype=None, clamped=()):
    """Independent N(0, 1) initial conditions (Sec. II, "Training protocol").

    Parameters
    ----------
    rng : BackendRandom
    sizes : tuple of int
    n_samples : int
    clamped : tuple of int
        Layers that get ``None`` instead of a random state.

    Returns
    -------
    states : list of arrays (n_samples, N_l) or None
    """
    return [None if layer in clamped else rng.normal((n_samples, n), dtype=dtype) for layer, n in enumerate(sizes)]


def bias_drives(biases, *, dt, tau):
    """``(dt / tau) * bias`` per layer, the constant part of the Euler map."""
    rate = dt / tau
    return [rate * bias for bias in biases]


def free_run(edges, biases, initial, *, n_steps, dt, tau, record=(), masks=None, xp):
    """Free dynamics from ``initial`` up to ``T = n_steps * dt``.

    Parameters
    ----------
    edges, biases, initial :
        See the module docstring.
    n_steps : int
    dt, tau : float
    record : tuple of int
        Layers whose path is returned (Fig. 3a); empty for none.
    masks : list of arrays or None
        Units held at 0 (:func:`euler_step`).

    Returns
    -------
    phis : list of arrays (n, N_l)
        ``phi(x_l(T))`` of every layer: the configurations of the free
        averages of eqs. 3, 6 and A4-A8, and the generated samples.
    trajectories : list of arrays (n_steps + 1, n, N_l)
        Only if ``record`` is not empty.
    """
    drives = bias_drives(biases, dt=dt, tau=tau)
    out = euler_integrate(initial, edges, drives, n_steps=n_steps, dt=dt, tau=tau, record=record, masks=masks, xp=xp)
    states, trajectories = out if record else (out, None)
    phis = [xp.tanh(x) for x in states]
    return (phis, trajectories) if record else phis


def relax_under_fixed_input(phi_src, K, bias, x0, *, T, dt, tau, xp):
    """A layer at time ``T`` under a fixed input: the closed form of eq. 7.

    With ``phi(x_src)`` held fixed the dynamics of the receiving layer is
    linear, ``tau dx/dt = -x + phi_src (W + A) / sqrt(N_src) + bias``, and

    ``x(T) = x(0) exp(-T/tau) + (phi_src (W + A) / sqrt(N_src) + bias) (1 - exp(-T/tau))``.

    Used for the hidden layer with the visible layer clamped (eq. 7) and,
    in reverse, for the visible prediction of the reconstruction (B3).

    Parameters
    ----------
    phi_src : array of shape (M, N_src)
        Fixed activity of the source layer (``xi`` in [-1, 1] for eq. 7).
    K : array of shape (N_src, N_dst)
        The propagator of :func:`propagators` for this edge, which holds
        ``(dt / tau) (W + A) / sqrt(N_src)``.
    bias : array of shape (N_dst,)
    x0 : array of shape (M, N_dst) or None
        Initial condition (``None`` is ``x(0) = 0``, the mean of N(0, 1)).
    T, dt, tau : float

    Returns
    -------
    x : array of shape (M, N_dst)
        Pre-activations at time ``T``.
    """
    relax = math.exp(-T / tau)
    field = (phi_src @ K) * (tau / dt) + bias
    x = field * (1.0 - relax)
    if x0 is not None:
        x = x + relax * x0
    return x


def clamped_run(xi, edges, biases, initial, *, n_steps, dt, tau, closed_form=True, xp):
    """Hidden layers at ``T`` with ``phi(v) = xi`` clamped (eq. 7, eqs. A2-A3).

    With two layers and ``closed_form`` the exact eq. 7 is used; otherwise
    (deep architecture) the hidden dynamics is Euler-integrated with the
    clamped layer's input folded into the drive of layer 1.

    Parameters
    ----------
    xi : array of shape (M, N_v)
    edges : list of (src, dst, K)
    biases : list of arrays
    initial : list
        ``[None, h1(0), ...]`` (layer 0 is clamped). ``h(0)`` may be None
        in the closed form (mean initial condition).
    n_steps : int
    closed_form : bool

    Returns
    -------
    phis : list of arrays
        ``[xi, phi(h1(T)), ...]``: the clamped configurations of eqs. 6-7
        and A4-A8.
    """
    edge_up = next(K for src, dst, K in edges if src == 0 and dst == 1)
    if len(biases) == 2 and closed_form:
        h = relax_under_fixed_input(xi, edge_up, biases[1], initial[1], T=n_steps * dt, dt=dt, tau=tau, xp=xp)
        return [xi, xp.tanh(h)]
    drives = bias_drives(biases, dt=dt, tau=tau)
    drives[0] = None
    drives[1] = xi @ edge_up + drives[1]
    free_edges = [(src, dst, K) for src, dst, K in edges if src != 0 and dst != 0]
    states = euler_integrate(initial, free_edges, drives, n_steps=n_steps, dt=dt, tau=tau, xp=xp)
    return [xi] + [xp.tanh(x) for x in states[1:]]


# --------------------------------------------------------------------------
# Contrastive Hebbian learning
# --------------------------------------------------------------------------


def hebbian_updates(phis_clamped, phis_free, *, learning_rate, xp):
    """Contrastive Hebbian updates of the trained parameters (eqs. 3, 6, A4-A8).

    ``Delta A = k (<phi phi>_clamped - <phi phi>_free)`` between consecutive
    layers (a layer with itself for the unrestricted architecture, eq. 3),
    ``Delta bias_l = k (<phi(x_l)>_clamped - <phi(x_l)>_free)``.

    Parameters
    ----------
    phis_clamped : list of arrays (M_c, N_l)
        Clamped configurations, ``phis_clamped[0] = xi``.
    phis_free : list of arrays (M_f, N_l)
        Free configurations at time T.
    learning_rate : float
        ``k``.

    Returns
    -------
    delta_trained : list of arrays
        ``[Delta A]`` (N_v, N_v) or ``[Delta A_l]`` (N_l, N_{l+1}).
    delta_biases : list of arrays (N_l,)
    """
    k = learning_rate
    m_c = phis_clamped[0].shape[0]
    m_f = phis_free[0].shape[0]
    if len(phis_clamped) == 1:
        xi, p = phis_clamped[0], phis_free[0]
        delta_trained = [(xi.T @ xi) * (k / m_c) - (p.T @ p) * (k / m_f)]
    else:
        delta_trained = [
            (phis_clamped[l].T @ phis_clamped[l + 1]) * (k / m_c) - (phis_free[l].T @ phis_free[l + 1]) * (k / m_f)
            for l in range(len(phis_clamped) - 1)
        ]
    delta_biases = [
        k * (xp.mean(pc, axis=0) - xp.mean(pf, axis=0)) for pc, pf in zip(phis_clamped, phis_free)
    ]
    return delta_trained, delta_biases


def contrastive_hebbian_step(fixed, trained, biases, xi, rng, *, n_free, n_steps, dt, tau, learning_rate, xp):
    """One training step ``t_age`` of the paper (Fig. 1d; eqs. 3, 6-7, A4-A8).

    Clamped statistics from the mini-batch ``xi`` (eq. 7 for the restricted
    architecture, simulated hidden layers for the deep one, ``xi`` itself
    for the unrestricted one), free statistics from ``n_free`` parallel
    Euler runs of length ``T = n_steps dt`` from N(0, 1) initial
    conditions, then the contrastive Hebbian update.

    Parameters
    ----------
    fixed, trained, biases : lists of arrays
        Current parameters (not modified).
    xi : array of shape (M, N_v)
        Mini-batch mapped to [-1, 1].
    rng : BackendRandom
    n_free : int
        Number of free runs (the paper uses ``M``).
    n_steps : int
    dt, tau, learning_rate : float

    Returns
    -------
    trained, biases : lists of arrays
        Updated parameters (new arrays).
    """
    sizes = tuple(int(b.shape[0]) for b in biases)
    edges = propagators(fixed, trained, dt=dt, tau=tau)
    if len(sizes) == 1:
        phis_clamped = [xi]
    else:
        start = initial_states(rng, sizes, int(xi.shape[0]), dtype=xi.dtype, clamped=(0,))
        phis_clamped = clamped_run(xi, edges, biases, start, n_steps=n_steps, dt=dt, tau=tau, xp=xp)
    start = initial_states(rng, sizes, n_free, dtype=xi.dtype)
    phis_free = free_run(edges, biases, start, n_steps=n_steps, dt=dt, tau=tau, xp=xp)
    delta_trained, delta_biases = hebbian_updates(phis_clamped, phis_free, learning_rate=learning_rate, xp=xp)
    trained = [A + dA for A, dA in zip(trained, delta_trained)]
    biases = [b + db for b, db in zip(biases, delta_biases)]
    return trained, biases


# --------------------------------------------------------------------------
# Chaos
# --------------------------------------------------------------------------


def largest_lyapunov_exponent(edges, biases, initial, *, n_steps, n_transient, dt, tau, eps=1e-7, rng, xp):
    """Largest Lyapunov exponent of the free dynamics (Benettin's algorithm).

    A reference trajectory and a copy displaced by ``eps`` are integrated
    side by side (stacked along the batch axis, one matmul per edge). After
    every step the distance ``d`` between them (over all layers) is
    measured and the copy is pulled back to distance ``eps`` along the same
    direction, so that the displacement aligns with the most unstable
    direction. During the first ``n_transient`` steps (reaching the
    attractor, aligning the displacement) the growth is discarded; then
    ``lambda = sum log(d / eps) / (n_steps dt)`` is the mean growth rate
    per unit time (the unit of ``tau`` and ``dt``). Positive means chaos
    (Sompolinsky, Crisanti & Sommers 1988: positive for ``g > 1`` in the
    untrained network, negative below).

    Parameters
    ----------
    edges, biases :
        The network (:func:`propagators`); use float64 couplings so that
        ``eps`` is resolved.
    initial : list of arrays (n, N_l)
        One initial condition per independent estimate.
    n_steps : int
        Steps over which the growth is averaged.
    n_transient : int
        Steps run first (growth discarded).
    dt, tau, eps : float
    rng : BackendRandom
        For the direction of the initial displacement.

    Returns
    -------
    exponents : array of shape (n,)
        One estimate per initial condition.
    """
    drives = bias_drives(biases, dt=dt, tau=tau)
    decay = 1.0 - dt / tau
    n = initial[0].shape[0]
    directions = [rng.normal(tuple(x.shape), dtype=x.dtype) for x in initial]
    norm = xp.sqrt(sum(xp.sum(u * u, axis=1) for u in directions))
    start = xp.expand_dims(eps / norm, axis=1)
    pair = [xp.concat([x, x + u * start], axis=0) for x, u in zip(initial, directions)]
    growth = xp.zeros_like(norm)
    for step in range(int(n_transient) + int(n_steps)):
        euler_step(pair, edges, drives, decay=decay, activation=xp.tanh, xp=xp)
        diffs = [x[n:, :] - x[:n, :] for x in pair]
        dist = xp.sqrt(sum(xp.sum(d * d, axis=1) for d in diffs))
        if step >= n_transient:
            growth = growth + xp.log(dist / eps)
        scale = xp.expand_dims(eps / dist, axis=1)
        pair = [xp.concat([x[:n, :], x[:n, :] + d * scale], axis=0) for x, d in zip(pair, diffs)]
    return growth / (n_steps * dt)
