"""Draws from a timing distribution, a block at a time: the kubelet's, the informers' and the API client's delays."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from itertools import chain

import numpy as np

from rollsim.spec.distributions import Distribution

__all__ = ["Sampler"]


class Sampler(partial[float]):
    """Draws from one distribution with its own stream, a block at a time (one numpy call per block).

    Calling it is ``next`` on a chain of the blocks: a call in C, without a Python frame, except
    the one in 1,024 that draws the next block (then, not before: the stream is read at the
    same moments as when each call checked whether its block was used up).
    """

    dist: Distribution
    rng: np.random.Generator
    block: int

    def __new__(cls, dist: Distribution, rng: np.random.Generator, block: int = 1024) -> Sampler:
        """A sampler of ``dist`` drawing from ``rng``, ``block`` draws at a time."""
        sampler = super().__new__(cls, next, chain.from_iterable(_blocks(dist, rng, block)))
        sampler.dist, sampler.rng, sampler.block = dist, rng, block
        return sampler


def _blocks(dist: Distribution, rng: np.random.Generator, block: int) -> Iterator[list[float]]:
    """Blocks of draws, each drawn when the one before is used up."""
    while True:
        yield np.asarray(dist.sample(rng, block), dtype=float).tolist()
