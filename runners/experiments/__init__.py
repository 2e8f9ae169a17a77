"""Experiments around runs: evaluate, EDA baseline, bench, selector comparison and the data sets."""
