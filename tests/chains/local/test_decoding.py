"""Token choice and the cache name on a tiny randomly initialised Llama."""

import torch

from chains.local.decoding import cache_param, choose_tokens


def test_the_model_takes_its_cache_under_the_current_name(tiny):
    assert cache_param(tiny) == "cache"


def test_greedy_rows_take_the_best_token_and_a_tiny_nucleus_is_greedy_too():
    torch.manual_seed(0)
    scores = torch.tensor([[0.0, 3.0, 1.0, 2.0], [5.0, 0.0, 0.0, 9.0], [0.0, 0.0, 7.0, 0.0]])
    temperatures = torch.tensor([1.0, 0.0, 2.0])
    assert choose_tokens(scores, temperatures, sampling=True, top_p=1e-6).tolist() == [1, 3, 2]
    assert choose_tokens(scores, torch.zeros(3), sampling=False).tolist() == [1, 3, 2]


def test_sampled_rows_draw_apart_at_a_high_temperature():
    torch.manual_seed(0)
    scores = torch.zeros((64, 8))
    drawn = choose_tokens(scores, torch.full((64,), 5.0), sampling=True)
    assert len(set(drawn.tolist())) > 4
