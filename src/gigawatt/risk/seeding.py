"""Per-draw seeding: draw ``i`` of ``n`` uses ``SeedSequence(seed).spawn(n)[i]``.

The child sequence is built directly from its spawn key (``SeedSequence(seed,
spawn_key=(i,))`` is what ``spawn`` returns for child ``i``), so a worker that evaluates
draws 5000..5999 does not have to spawn the 5000 before them. Results therefore depend on
(seed, index) only, never on which executor or how many workers ran the draw.
"""

from __future__ import annotations

import numpy as np

from ..errors import ValidationError


def check_seed(seed: int) -> int:
    """A seed must be a non-negative integer (numpy's SeedSequence entropy)."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValidationError(f"seed = {seed!r}; allowed: an integer >= 0", field="seed")
    return int(seed)


def draw_seed_sequence(seed: int, index: int) -> np.random.SeedSequence:
    """The seed sequence of draw ``index`` (equal to ``SeedSequence(seed).spawn(n)[index]``)."""
    if index < 0:
        raise ValidationError(f"draw index = {index}; allowed: >= 0", field="index")
    return np.random.SeedSequence(check_seed(seed), spawn_key=(int(index),))


def draw_generator(seed: int, index: int) -> np.random.Generator:
    """The random generator of draw ``index`` of a run seeded with ``seed``."""
    return np.random.Generator(np.random.PCG64(draw_seed_sequence(seed, index)))


def draw_uniforms(seed: int, start: int, stop: int, k: int) -> np.ndarray:
    """Uniforms in [0, 1) for draws ``start..stop-1``, ``k`` per draw (one per uncertainty).

    Returns
    -------
    numpy.ndarray
        Shape ``(stop - start, k)``; row ``r`` comes from draw ``start + r``'s generator.
    """
    out = np.empty((stop - start, k))
    for r, i in enumerate(range(start, stop)):
        out[r] = draw_generator(seed, i).random(k)
    return out


__all__ = ["check_seed", "draw_seed_sequence", "draw_generator", "draw_uniforms"]
