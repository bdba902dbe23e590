"""Vectorised helpers on integer arrays for building the road network: sorted distinct values, a counter
within groups of equal pairs, concatenated ranges."""

from __future__ import annotations

import numpy as np

__all__ = ["unique_ints", "cumcount", "ranges"]


def unique_ints(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values (sort-based: numpy 2's hashing ``np.unique`` is slower on large ids)."""
    ordered = np.sort(values)
    return ordered[np.r_[True, ordered[1:] != ordered[:-1]]] if len(ordered) else ordered


def cumcount(u: np.ndarray, v: np.ndarray, n: int) -> np.ndarray:
    """For each edge, how many earlier edges join the same (u, v): osmnx's edge key."""
    pair = u * np.int64(n) + v
    order = np.argsort(pair, kind="stable")
    sorted_pair = pair[order]
    group_start = np.flatnonzero(np.r_[True, sorted_pair[1:] != sorted_pair[:-1]])
    starts = np.repeat(group_start, np.diff(np.append(group_start, len(pair))))
    out = np.empty(len(pair), dtype=np.int64)
    out[order] = np.arange(len(pair)) - starts
    return out


def ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """``concatenate([arange(s, s + c) for s, c in zip(starts, counts)])``, vectorised."""
    before = np.cumsum(counts) - counts
    return np.repeat(starts - before, counts) + np.arange(int(counts.sum()))
