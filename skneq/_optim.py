"""First-order optimisers as pure update rules on tuples of arrays.

``init`` returns the optimiser state (a tuple of arrays, stored by the
estimator as a fitted attribute so ``partial_fit`` continues smoothly);
``step`` takes parameters, *ascent* directions (log-likelihood gradients)
and the state, and returns new parameters and state. Nothing here keeps
hidden state or knows the model.
"""

from __future__ import annotations

OPTIMIZERS = ("sgd", "rmsprop", "adam")

__all__ = ["OPTIMIZERS", "init", "step"]


def init(name, params, *, xp):
    """Zero state for optimiser ``name`` matching ``params``."""
    if name not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {name!r}")
    zeros = tuple(xp.zeros_like(p) for p in params)
    if name == "adam":
        return (zeros, tuple(xp.zeros_like(p) for p in params), 0)
    return (zeros,)


def step(name, params, grads, state, *, learning_rate, momentum=0.9, decay=0.9, beta2=0.999, eps=1e-8,
         in_place=False, xp):
    """One ascent step ``params + update(grads)``.

    With ``in_place=True`` the SGD rule writes into ``params``, the
    velocity buffers and (without momentum) ``grads`` (as ``BernoulliRBM``
    does), and the RMSprop rule into ``params`` and its state, instead of
    allocating new arrays (the same values, to the bit: each product and
    sum of the expressions below in its order); Adam ignores it.

    * ``"sgd"``: heavy-ball momentum, ``v = momentum v + lr g; p += v``.
    * ``"rmsprop"``: ``s = decay s + (1 - decay) g^2; p += lr g / (sqrt(s) + eps)``.
    * ``"adam"``: Kingma & Ba with bias correction, ``beta1 = momentum``.

    Returns
    -------
    params, state : tuples of arrays
    """
    if name == "sgd" and momentum == 0:
        # Plain SGD: no velocity buffer to update (BernoulliRBM's rule).
        if in_place:
            for p, g in zip(params, grads):
                g *= learning_rate  # the gradients are scratch: no temporary
                p += g
            return params, state
        return tuple(p + learning_rate * g for p, g in zip(params, grads)), state
    if name == "sgd" and in_place:
        (vel,) = state
        for p, v, g in zip(params, vel, grads):
            v *= momentum
            v += learning_rate * g
            p += v
        return params, state
    if name == "sgd":
        (vel,) = state
        vel = tuple(momentum * v + learning_rate * g for v, g in zip(vel, grads))
        return tuple(p + v for p, v in zip(params, vel)), (vel,)
    if name == "rmsprop" and in_place:
        (sq,) = state
        for p, g, s in zip(params, grads, sq):
            t = (1.0 - decay) * g
            t *= g
            s *= decay
            s += t  # s = decay s + (1 - decay) g g
            t = xp.sqrt(s)
            t += eps
            update = learning_rate * g
            update /= t
            p += update  # p + lr g / (sqrt(s) + eps)
        return params, state
    if name == "rmsprop":
        (sq,) = state
        sq = tuple(decay * s + (1.0 - decay) * g * g for s, g in zip(sq, grads))
        new = tuple(p + learning_rate * g / (xp.sqrt(s) + eps) for p, g, s in zip(params, grads, sq))
        return new, (sq,)
    if name == "adam":
        m1, m2, t = state
        t = t + 1
        m1 = tuple(momentum * m + (1.0 - momentum) * g for m, g in zip(m1, grads))
        m2 = tuple(beta2 * m + (1.0 - beta2) * g * g for m, g in zip(m2, grads))
        c1, c2 = 1.0 - momentum**t, 1.0 - beta2**t
        new = tuple(p + learning_rate * (a / c1) / (xp.sqrt(s / c2) + eps) for p, a, s in zip(params, m1, m2))
        return new, (m1, m2, t)
    raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {name!r}")
