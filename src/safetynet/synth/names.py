"""Realistic Chinese names, vectorised and derived from a per-person key.

The surname follows a frequency table; the given name has one (25 %) or two characters from
pools that lean male or female. A key always gives the same name, so a person looks the same
in the registry and in every department feed.

>>> import numpy as np
>>> a = person_names(np.arange(5, dtype=np.uint64), np.array([1, 0, 1, 0, 1], bool), seed=1)
>>> a.to_pylist() == person_names(np.arange(5, dtype=np.uint64), np.array([1, 0, 1, 0, 1], bool), seed=1).to_pylist()
True
>>> all(2 <= len(n) <= 4 for n in a.to_pylist())
True
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from safetynet.synth.idgen import splitmix64
from safetynet.synth.tables import FEMALE_CHARS, MALE_CHARS, SURNAMES

__all__ = ["given_names", "person_names", "surnames", "uniforms"]

_SURNAME = pa.array([s for s, _ in SURNAMES])
_SURNAME_CDF = np.cumsum([w for _, w in SURNAMES], dtype=np.float64)
_SURNAME_CDF /= _SURNAME_CDF[-1]
_MALE = pa.array(list(MALE_CHARS))
_FEMALE = pa.array(list(FEMALE_CHARS))
# One pool with female characters after the male ones, so a single take() serves both sexes.
_POOL = pa.concat_arrays([_MALE, _FEMALE, pa.array([""])])
_EMPTY = len(_POOL) - 1


def uniforms(keys: np.ndarray, seed: int, stream: int) -> np.ndarray:
    """Uniform [0, 1) floats from keys (one independent stream per ``stream`` number)."""
    salt = np.uint64((seed * 1_000_003 + stream * 7_919) % 2**63)
    h = splitmix64(keys.astype(np.uint64) ^ splitmix64(np.array([salt], dtype=np.uint64)))
    return (h >> np.uint64(11)).astype(np.float64) * (1.0 / 2**53)


def surnames(keys: np.ndarray, seed: int) -> pa.Array:
    """A surname per key, drawn by frequency."""
    idx = np.searchsorted(_SURNAME_CDF, uniforms(keys, seed, 1), side="right")
    return _SURNAME.take(pa.array(np.minimum(idx, len(_SURNAME) - 1)))


def given_names(keys: np.ndarray, male: np.ndarray, seed: int) -> pa.Array:
    """One- or two-character given names leaning male or female."""
    n_m, n_f = len(_MALE), len(_FEMALE)
    size = np.where(male, n_m, n_f)
    base = np.where(male, 0, n_m)
    first = base + (uniforms(keys, seed, 2) * size).astype(np.int64)
    second = base + (uniforms(keys, seed, 3) * size).astype(np.int64)
    second = np.where(uniforms(keys, seed, 4) < 0.25, _EMPTY, second)
    return pc.binary_join_element_wise(
        _POOL.take(pa.array(first)), _POOL.take(pa.array(second)), ""
    )


def person_names(
    keys: np.ndarray, male: np.ndarray, seed: int, family: pa.Array | None = None
) -> pa.Array:
    """Full names; ``family`` overrides the surname (e.g. a household's surname)."""
    sur = surnames(keys, seed) if family is None else family
    return pc.binary_join_element_wise(sur, given_names(keys, male, seed), "")
