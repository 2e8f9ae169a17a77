"""The batch decode loop on a tiny randomly initialised Llama: rows leave when done, answers match generate."""

import warnings

import torch

from chains.local.decoding import cache_param, decode, fast_sampler


def test_rows_that_finish_leave_and_the_rest_match_generate(tiny):
    prompts = torch.tensor([[5, 6, 7, 8], [9, 10, 11, 12], [13, 14, 15, 16]])
    mask = torch.ones_like(prompts)
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)  # the cache goes in under its current name
        tokens, logprobs = decode(tiny, prompts, mask, None, 6, lambda t: len(t) >= (2 if t[0] % 2 else 6), {1})
    for row, got in zip(prompts, tokens):
        with torch.inference_mode():
            out = tiny.generate(row[None], max_new_tokens=6, do_sample=False, pad_token_id=0, eos_token_id=None)
        expected = out[0, 4:].tolist()
        want = 2 if expected[0] % 2 else 6
        assert got == [t for t in expected[:want] if t != 1][: len(got)] and len(got) <= want
    assert all(lp < 0 for lp in logprobs)


def test_the_model_takes_its_cache_under_the_current_name(tiny):
    assert cache_param(tiny) == "cache"


def test_the_fast_sampler_leaves_one_token_and_top_p_near_zero_is_greedy():
    torch.manual_seed(0)
    scores = torch.tensor([[0.0, 3.0, 1.0, 2.0], [5.0, 0.0, 0.0, 0.0]])
    picked = fast_sampler(temperature=1.0, top_p=1e-6)(None, scores)
    assert torch.isfinite(picked).sum(dim=-1).tolist() == [1, 1]
    assert picked.argmax(dim=-1).tolist() == [1, 0]
