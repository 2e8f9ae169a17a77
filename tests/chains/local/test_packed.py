import pytest
import torch

from chains.local.packed import PackedLinear, packed


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(1, 48), (7, 48), (2, 5, 48)])
def test_a_packed_layer_computes_what_the_dense_layer_does(bias, shape):
    torch.manual_seed(0)
    dense = torch.nn.Linear(48, 96, bias=bias)
    x = torch.randn(*shape)
    with torch.no_grad():
        expected, got = dense(x), PackedLinear(dense)(x)
    assert got.shape == expected.shape
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)


def test_a_cpu_float32_model_is_loaded_with_packed_layers_and_answers_as_the_dense_one():
    """The real embedded model in float32 on the CPU: no dense linear layer is left, and its logits are the
    dense copy's, up to float rounding."""
    from transformers import AutoModelForCausalLM

    from chains import load_llm

    llm = load_llm("smollm2-135m", dtype="float32", device="cpu")
    model = llm.pipeline.model
    assert not any(type(m) is torch.nn.Linear for m in model.modules())
    assert sum(isinstance(m, PackedLinear) for m in model.modules()) > 0
    dense = AutoModelForCausalLM.from_pretrained(model.name_or_path, dtype=torch.float32).eval()
    ids = llm.pipeline.tokenizer("The room was small but the view was", return_tensors="pt").input_ids
    with torch.inference_mode():
        expected, got = dense(ids).logits, model(ids).logits
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-3)
    assert torch.equal(got[0, -1].argmax(), expected[0, -1].argmax())
    assert packed(dense) is dense and not any(type(m) is torch.nn.Linear for m in dense.modules())
