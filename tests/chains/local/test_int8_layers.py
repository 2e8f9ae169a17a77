"""`quantized`: every linear layer becomes torch's dynamic int8 layer, with the weights torch's own `from_float`
gives it, whatever dtype the model was loaded in, and the rest of the model in float32."""

import warnings

import torch

from chains.local.loading import is_quantized, quantized


def _model(dtype):
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Embedding(50, 16), torch.nn.Linear(16, 32), torch.nn.LayerNorm(32), torch.nn.Linear(32, 8, bias=False)
    )
    return model.to(dtype).eval()


def _torch_int8(model):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return torch.ao.quantization.quantize_dynamic(model.float(), {torch.nn.Linear}, dtype=torch.qint8)


def test_int8_layers_match_torchs_own_dynamic_quantization():
    ids = torch.tensor([[1, 7, 42, 3]])
    for dtype in (torch.float32, torch.bfloat16):
        reference = _torch_int8(_model(dtype))
        mine = quantized(_model(dtype))
        assert is_quantized(mine) and not any(type(m) is torch.nn.Linear for m in mine.modules())
        assert all(p.dtype == torch.float32 for p in mine.parameters())
        for ours, theirs in zip(mine, reference):
            if hasattr(theirs, "weight") and callable(theirs.weight):  # the int8 layers
                assert torch.equal(ours.weight().int_repr(), theirs.weight().int_repr())
                assert ours.weight().q_scale() == theirs.weight().q_scale()
                assert (ours.in_features, ours.out_features) == (theirs.in_features, theirs.out_features)
        with torch.no_grad():
            assert torch.equal(mine(ids), reference(ids))
