"""`bench` on the real embedded model: the rows asked for, on the same inputs, in one table."""

import argparse
import re

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
    for tag in ("(c)", "(c-int8)"):  # where each one's time went, against its own layers' limit
        table = printed[0].split(f"where {tag}'s decoding time went")[1]
        for phase in ("prefill", "decode"):
            assert re.search(
                rf"\| {phase} \| [\d.]+ \| \d+ \| \d+ \| \d+ \| [\d.]+ \| [\d.]+ \| \d+% \| [\d.]+ \| \d+% \|", table
            )


def test_the_time_split_counts_the_model_s_linear_work(tiny):
    from chains.local.clock import DecodeClock
    from runners.experiments.limits import _linears, linear_rate, time_split

    first, layers, head = _linears(tiny)
    # two blocks of q, k, v, o (32x32, 32x16, 32x16, 32x32) and gate, up, down (32x64 each)
    assert len(first) == 7 and layers == 2 * (2 * 32 * 32 + 2 * 32 * 16 + 3 * 32 * 64) and head == 32 * 64
    assert linear_rate(tiny, 4) > 0
    clock = DecodeClock(
        prefill_s=2.0, prefill_tokens=400, prefill_passes=2, decode_s=1.0, decode_tokens=30, decode_steps=10
    )
    prefill, decode = time_split(tiny, clock)[2:]
    assert prefill.startswith("| prefill | 2.0 | 400 | 200 | 200 | ")
    assert decode.startswith("| decode | 1.0 | 30 | 3 | 30 | ")
