"""Every tensor the decoders make lives on the model's device; devices and dtypes resolve as documented."""

import ast
from contextlib import contextmanager
from pathlib import Path

import pytest
import torch

from chains.local import loading
from chains.local.loading import DeviceError, resolve_device, resolve_dtype
from tests.tiny_models import PREFIX, SUFFIXES, text, tiny_pipeline

LOCAL = Path(__file__).resolve().parents[3] / "chains" / "local"
FACTORIES = {"tensor", "zeros", "ones", "full", "arange", "empty"}


def deviceless_factories(source: str) -> list[int]:
    """Lines of `torch.<factory>(...)` calls that name no device (`x.new_zeros`, `zeros_like` derive theirs)."""
    return [
        node.lineno
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in FACTORIES
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "torch"
        and not any(keyword.arg == "device" for keyword in node.keywords)
    ]


def test_no_tensor_factory_in_the_decode_modules_lacks_a_device():
    assert deviceless_factories("import torch\na = torch.zeros(3)\nb = torch.arange(4, device=a.device)\n") == [2]
    found = {path.name: deviceless_factories(path.read_text()) for path in LOCAL.glob("*.py")}
    assert {name: lines for name, lines in found.items() if lines} == {}
    assert (
        sum(1 for path in LOCAL.glob("*.py") for line in path.read_text().splitlines() if "torch.tensor(" in line) > 3
    )


@contextmanager
def deviceless_on_meta():
    """Tensors made without a device land on `meta`, where any use beside a real tensor fails."""
    torch.set_default_device("meta")
    try:
        yield
    finally:
        torch.set_default_device(None)


def test_the_trap_catches_a_tensor_made_without_a_device():
    with deviceless_on_meta(), pytest.raises((RuntimeError, NotImplementedError)):
        (torch.zeros(2) + torch.ones(2, device="cpu")).tolist()


@pytest.mark.parametrize("name", ["mistral", "gemma2", "granite"])
def test_decoding_makes_no_tensor_off_the_models_device(name):
    llm = tiny_pipeline(name)
    prompts = [text(PREFIX + s) for s in SUFFIXES]
    sources = [text(PREFIX[:8])] * len(prompts)  # no-copy bans too
    with deviceless_on_meta():
        answers = llm.generate_scored(prompts, n=2, max_new_tokens=8, do_sample=True, temperature=0.9, sources=sources)
        streamed = "".join(llm.stream(prompts[0], max_new_tokens=4, do_sample=False))
    assert [len(a) for a in answers] == [2] * len(prompts) and streamed


def test_auto_is_the_cpu_without_a_gpu_and_a_missing_gpu_is_named():
    if torch.cuda.is_available():
        pytest.fail("this test is for machines without a GPU; make gpu-check runs the GPU tests")
    assert resolve_device("auto") == "cpu"
    with pytest.raises(DeviceError, match=r"device cuda:1 is not here: this machine has no CUDA GPU"):
        resolve_device("cuda:1")
    with pytest.raises(DeviceError, match=r"device 'gpu' is not one of auto, cpu, cuda, cuda:N or mps"):
        resolve_device("gpu")


def test_dtype_auto_follows_the_device(monkeypatch):
    assert resolve_dtype("float16", "cpu") == "float16"
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: False)
    assert resolve_dtype("auto", "cuda") == "float16"  # a GPU without bfloat16 (V100, T4)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)
    assert resolve_dtype("auto", "cuda:1") == "bfloat16"
    assert resolve_dtype("auto", "mps") == "float16"
    assert resolve_dtype("auto", "cpu") in ("float32", "bfloat16")


def test_dtype_auto_on_a_cpu_follows_its_flags(monkeypatch):
    for flags, dtype in [
        ({"avx2", "avx512f", "amx_bf16"}, "bfloat16"),  # native bfloat16
        ({"avx2", "avx512_bf16"}, "bfloat16"),
        ({"avx2", "fma"}, "float32"),  # emulated bfloat16 is slower; int8 is faster but changes the answers
        (set(), "float32"),  # no /proc/cpuinfo (not Linux)
    ]:
        monkeypatch.setattr(loading, "cpu_flags", lambda flags=flags: flags)
        assert resolve_dtype("auto", "cpu") == dtype, flags
