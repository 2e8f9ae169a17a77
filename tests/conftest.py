"""Shared fixtures: the real embedded model and a tiny random Llama, each built once per session; the GPU marker."""

import pytest


@pytest.fixture(scope="session")
def embedded_llm():
    """The real embedded model, loaded once for the whole session."""
    from chains import load_llm

    return load_llm(seed=0)


@pytest.fixture(scope="session")
def tiny():
    """A tiny randomly initialised Llama: real transformers code paths, decode-loop tests in seconds."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=64,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        pad_token_id=0,
        eos_token_id=1,
    )
    return LlamaForCausalLM(config).eval()


def pytest_collection_modifyitems(config, items):
    """GPU tests run where torch sees a CUDA GPU; elsewhere they are deselected (listed as such, never passed).
    Under `make gpu-check` (SYNTHAUG_GPU_CHECK=1) a machine without a GPU is an error, not a quiet pass."""
    import os

    gpu = [item for item in items if item.get_closest_marker("gpu")]
    if not gpu:
        return
    import torch

    if torch.cuda.is_available():
        return
    if os.environ.get("SYNTHAUG_GPU_CHECK"):
        raise pytest.UsageError(
            "make gpu-check needs a CUDA GPU and a CUDA build of torch; torch.cuda.is_available() is False here"
        )
    config.hook.pytest_deselected(items=gpu)
    items[:] = [item for item in items if not item.get_closest_marker("gpu")]
