"""`bench` on the real embedded model: the rows asked for, on the same inputs, in one table."""

import argparse

import pytest

from chains.models import ModelSpec
from runners.experiments.bench import run_bench
from runners.parser import bench_rows


def test_only_names_known_rows():
    assert bench_rows("c, a2") == {"c", "a2"}
    with pytest.raises(argparse.ArgumentTypeError, match="unknown row 'x'; use some of a,a2,b,c,d,c0"):
        bench_rows("c,x")


@pytest.mark.integration
def test_a_bench_of_chosen_rows_adds_the_other_dtype_on_the_same_inputs():
    printed = []
    results = run_bench(
        ModelSpec(model="smollm2-135m", device="cpu", seed=0),
        inputs=4,
        offset=7000,
        only={"c", "d"},
        also_dtype="int8",
        whole=False,
        print_fn=printed.append,
    )
    names = [r.name for r in results]
    assert [n.split()[0] for n in names] == ["(c)", "(d)", "(c-int8)"]
    assert all(r.outputs >= 4 for r in results)
    assert "(c-int8) synthaug generate, dtype int8" in printed[0]
