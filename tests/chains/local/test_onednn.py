import pytest
import torch

from chains.local.onednn import OneDnnLinear, on_onednn


@pytest.mark.parametrize("pack_below", [0, 1 << 30])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(1, 48), (7, 48), (2, 5, 48)])
def test_a_onednn_layer_computes_what_the_dense_layer_does(bias, shape, pack_below):
    torch.manual_seed(0)
    dense = torch.nn.Linear(48, 96, bias=bias)
    model = torch.nn.Sequential(torch.nn.Linear(48, 96, bias=bias))
    model[0].load_state_dict(dense.state_dict())
    layer = on_onednn(model, pack_below)[0]
    x = torch.randn(*shape)
    with torch.no_grad():
        expected, got = dense(x), layer(x)
    assert type(layer) is OneDnnLinear
    assert (layer.packed is not None) == (pack_below > 0)
    assert got.shape == expected.shape
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)


def test_weights_are_packed_only_where_they_add_up_to_less_than_the_bound():
    def layers(pack_below):
        model = torch.nn.Sequential(torch.nn.Linear(8, 4), torch.nn.Linear(4, 8))  # 2 x 128 bytes of weights
        return [m.packed is not None for m in on_onednn(model, pack_below)]

    assert layers(257) == [True, True]
    assert layers(256) == [False, False]


def test_a_layer_cast_after_loading_computes_as_a_dense_one():
    layer = on_onednn(torch.nn.Sequential(torch.nn.Linear(8, 4)))[0].to(torch.bfloat16)
    x = torch.randn(3, 8, dtype=torch.bfloat16)
    with torch.no_grad():
        torch.testing.assert_close(layer(x), torch.nn.functional.linear(x, layer.weight, layer.bias))


def test_other_layers_and_dtypes_are_left_as_they_are():
    model = torch.nn.Sequential(torch.nn.Linear(4, 4).to(torch.bfloat16), torch.nn.LayerNorm(4))
    assert [type(m) for m in on_onednn(model)] == [torch.nn.Linear, torch.nn.LayerNorm]


@pytest.mark.integration
def test_a_cpu_float32_model_runs_on_onednn_and_answers_as_the_dense_one():
    """The real embedded model in float32 on the CPU (small enough to pack): no dense linear layer is left, its
    weights are the ones loaded (the tied output head still tied), and its logits are the dense copy's, up to
    float rounding."""
    from transformers import AutoModelForCausalLM

    from chains import load_llm

    llm = load_llm("smollm2-135m", dtype="float32", device="cpu")
    model = llm.pipeline.model
    assert not any(type(m) is torch.nn.Linear for m in model.modules())
    assert all(m.packed is not None for m in model.modules() if isinstance(m, OneDnnLinear))
    assert model.lm_head.weight is model.get_input_embeddings().weight  # SmolLM2 ties them
    dense = AutoModelForCausalLM.from_pretrained(model.name_or_path, dtype=torch.float32).eval()
    ids = llm.pipeline.tokenizer("The room was small but the view was", return_tensors="pt").input_ids
    with torch.inference_mode():
        expected, got = dense(ids).logits, model(ids).logits
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-3)
    assert torch.equal(got[0, -1].argmax(), expected[0, -1].argmax())
