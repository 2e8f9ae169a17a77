"""Shared fixtures: the real embedded model and a tiny random Llama, each built once per session; the GPU marker."""

import os

import pytest

# The tests run the small embedded model unless they name another (or test the default itself): the default
# built-in 1.5B model is for rows of quality, and most tests need only real model code paths.
os.environ["SYNTHAUG_MODEL"] = "smollm2-135m"


@pytest.fixture(scope="session")
def embedded_llm():
    """The real embedded model, loaded once for the whole session."""
    from chains import load_llm

    return load_llm(seed=0)


@pytest.fixture(scope="session")
def tiny():
    """A tiny randomly initialised Llama: real transformers code paths, decode-loop tests in seconds."""
    from tests.tiny_models import tiny_model

    return tiny_model("llama")


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
