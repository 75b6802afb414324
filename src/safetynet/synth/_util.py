"""Small vectorised helpers shared by the generator modules.

>>> import numpy as np
>>> labels(np.array([1, 0, 1]), ["否", "是"], np.array([True, False, True])).to_pylist()
['是', None, '是']
"""

from __future__ import annotations

import zlib

import numpy as np
import pyarrow as pa

__all__ = ["choice", "labels", "stream"]


def stream(seed: int, *key: str) -> np.random.Generator:
    """An independent random generator for one named part of the build (order-free)."""
    return np.random.default_rng(
        np.random.SeedSequence([seed, *(zlib.crc32(k.encode()) for k in key)])
    )


def choice(rng: np.random.Generator, p: np.ndarray | tuple[float, ...], n: int) -> np.ndarray:
    """``n`` draws of 0..len(p)-1 with probabilities ∝ ``p`` (faster than Generator.choice)."""
    cdf = np.cumsum(np.asarray(p, dtype=np.float64))
    idx = np.searchsorted(cdf, rng.random(n) * cdf[-1], side="right")
    return np.asarray(np.minimum(idx, len(cdf) - 1), dtype=np.int64)


def labels(
    index: np.ndarray,
    names: np.ndarray | list[str] | tuple[str, ...],
    mask: np.ndarray | None = None,
) -> pa.Array:
    """Strings ``names[index]`` (null where ``mask`` is False), built through a dictionary."""
    ind = pa.array(np.asarray(index).astype(np.int32), mask=None if mask is None else ~mask)
    return pa.DictionaryArray.from_arrays(ind, pa.array(list(names), pa.string())).cast(pa.string())
