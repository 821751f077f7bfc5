"""NumPy's float32 uniforms read from PCG64's raw words: ``Generator.random``'s numbers, cheaper.

Used by :class:`skneq._backend.BackendRandom` for every float32 uniform
drawn with a NumPy generator (NumPy, torch on the CPU, array-api-strict).
"""

from __future__ import annotations

import numpy as np

__all__ = ["RAW_MIN", "uniform_float32_into"]

# Below about this many numbers ``random`` is cheaper: the raw path has a
# fixed cost (the state check and three calls) of a few microseconds.
RAW_MIN = 4096


def uniform_float32_into(gen, flat):
    """``gen.random(flat.size, dtype=float32)`` written into the 1-D float32 ndarray ``flat``, bit for bit.

    NumPy makes a float32 uniform as ``(u32 >> 8) * 2**-24`` from the bit
    generator's 32-bit stream; PCG64 serves that stream from its 64-bit
    words, low half first, keeping the high half buffered for the next
    32-bit draw. Here the even run of 32-bit draws is read from
    :meth:`~numpy.random.BitGenerator.random_raw` two per word (cheaper
    than ``random``'s call per number) and converted with the same exact
    arithmetic; a half-word already buffered is used first and an odd last
    number goes through ``random`` (leaving the same buffered half as
    ``random(n)`` would), so the values and the generator's state after the
    call are those of ``random`` for any count and any earlier draws. Other
    bit generators, big-endian hosts and counts below ``RAW_MIN`` take
    ``random`` itself.

    Parameters
    ----------
    gen : numpy.random.Generator
    flat : ndarray of shape (n,), float32, contiguous

    Returns
    -------
    flat
    """
    n = flat.shape[0]
    bg = gen.bit_generator
    if n < RAW_MIN or type(bg) is not np.random.PCG64 or not np.little_endian:
        return gen.random(n, dtype=np.float32, out=flat)
    start = int(bg.state["has_uint32"])
    if start:  # a half-word is buffered: random() serves it first
        gen.random(1, dtype=np.float32, out=flat[:1])
    stop = start + (n - start) // 2 * 2
    bits = bg.random_raw((stop - start) // 2).view(np.uint32)  # low half of each word first
    bits >>= 8
    np.multiply(bits, np.float32(2.0**-24), out=flat[start:stop], dtype=np.float32, casting="unsafe")
    if stop < n:  # low half of a fresh word; its high half stays buffered, as after random(n)
        gen.random(1, dtype=np.float32, out=flat[stop:])
    return flat
