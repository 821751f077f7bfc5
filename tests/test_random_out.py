"""BackendRandom.uniform: the float32 raw-word path and ``out=`` give exactly ``Generator.random``'s numbers."""

from __future__ import annotations

import numpy as np
import pytest

from skneq import _backend, _random_bits

M = _random_bits.RAW_MIN  # below it random() itself; from it on the raw-word path
COUNTS = [1, 2, 3, M - 1, M, M + 1, M + 904, M + 905, 37632, 37633]  # even and odd


def _numpy_rng(seed, dtype=np.float32):
    return _backend.make_rng(_backend.Backend(np, "cpu", dtype), seed)


def _prepare(gen, before):
    """Draws that leave a PCG64 with (odd count) or without (even count) a buffered 32-bit half-word."""
    if before == "odd float32":
        gen.random(7, dtype=np.float32)
    elif before == "even float32":
        gen.random(6, dtype=np.float32)
    elif before == "int64 below 2^32":  # Lemire's bounded draws read the same 32-bit stream
        gen.integers(0, 1500, size=17)
    elif before == "float64":
        gen.random(3)


def _same_state(g, h):
    """Equal PCG64 states (the buffered half-word only counts when one is buffered)."""
    a, b = g.bit_generator.state, h.bit_generator.state
    return a["state"] == b["state"] and a["has_uint32"] == b["has_uint32"] and (
        not a["has_uint32"] or a["uinteger"] == b["uinteger"])


@pytest.mark.parametrize("before", [None, "odd float32", "even float32", "int64 below 2^32", "float64"])
@pytest.mark.parametrize("n", COUNTS)
def test_float32_uniform_is_generator_random_to_the_bit(n, before):
    """Same values and same generator state after, for even and odd counts, with and without a buffered half."""
    ours = _numpy_rng(11)
    ref = np.random.default_rng()
    ref.bit_generator.state = ours._gen.bit_generator.state  # the same PCG64 state
    _prepare(ours._gen, before)
    _prepare(ref, before)
    if before == "odd float32":
        assert ours._gen.bit_generator.state["has_uint32"] == 1  # the case that needs care
    got = ours.uniform((n,), dtype=np.float32)
    np.testing.assert_array_equal(got, ref.random(n, dtype=np.float32))
    assert got.dtype == np.float32
    assert _same_state(ours._gen, ref)
    # and the stream goes on identically (an odd n leaves a half-word buffered)
    np.testing.assert_array_equal(ours.uniform((5,), dtype=np.float32), ref.random(5, dtype=np.float32))
    np.testing.assert_array_equal(ours.uniform((4099,), dtype=np.float32), ref.random(4099, dtype=np.float32))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(3, 5), (1, 48, 784), (2, 67, 31)])
def test_out_gives_the_values_without_out(shape, dtype):
    a, b = _numpy_rng(4, dtype), _numpy_rng(4, dtype)
    buf = np.full((2,) + shape, -1.0, dtype=dtype)
    for k in range(2):  # into slices of a bigger buffer, twice (odd sizes leave a half-word buffered)
        expect = a.uniform(shape, dtype=dtype)
        got = b.uniform(shape, dtype=dtype, out=buf[k])
        assert got is buf[k] or np.shares_memory(got, buf)
        np.testing.assert_array_equal(buf[k], expect)
    assert _same_state(a._gen, b._gen)


def test_other_bit_generators_fall_back_to_random():
    """Only PCG64's 32-bit buffering is reproduced; any other bit generator draws with random() itself."""
    rng = _numpy_rng(0)
    rng._gen = np.random.Generator(np.random.MT19937(3))
    ref = np.random.Generator(np.random.MT19937(3))
    ref.random(1, dtype=np.float32)
    rng._gen.random(1, dtype=np.float32)
    np.testing.assert_array_equal(rng.uniform((5001,), dtype=np.float32), ref.random(5001, dtype=np.float32))


def test_out_on_every_backend(xpb):
    """out= holds the numbers drawn without it on every backend (NumPy writes in place, the others copy in)."""
    for dtype in (xpb.xp.float32, xpb.xp.float64):
        bk = _backend.Backend(xpb.xp, xpb.device, dtype)
        buf = xpb.xp.zeros((3, 2, 700), dtype=dtype, device=xpb.device)
        a, b = _backend.make_rng(bk, 8), _backend.make_rng(bk, 8)
        want = xpb.to_numpy(a.uniform((2, 700), dtype=dtype))
        got = b.uniform((2, 700), dtype=dtype, out=buf[1, ...])
        np.testing.assert_array_equal(xpb.to_numpy(got), want)
        # the next draws still agree: out= consumed exactly the same numbers
        np.testing.assert_array_equal(xpb.to_numpy(b.uniform((9,), dtype=dtype)),
                                      xpb.to_numpy(a.uniform((9,), dtype=dtype)))


def test_out_is_checked():
    rng = _numpy_rng(0)
    with pytest.raises(ValueError, match="out"):
        rng.uniform((3, 4), dtype=np.float32, out=np.empty((4, 3), dtype=np.float32))
    with pytest.raises(ValueError, match="out"):
        rng.uniform((3, 4), dtype=np.float32, out=np.empty((3, 4), dtype=np.float64))


def test_raw_word_path_only_for_numpy_generators():
    """A generator that is not NumPy's (CuPy's on a GPU) keeps its own random(): no raw words are read."""

    class OwnGenerator:
        def random(self, shape, dtype):
            return np.full(shape, 0.25, dtype=dtype)

    rng = _numpy_rng(0)
    rng._gen = OwnGenerator()
    np.testing.assert_array_equal(rng.uniform((600,), dtype=np.float32), np.full(600, 0.25, np.float32))
