"""float32 linear layers on oneDNN's matmul, for a model that runs on a CPU in float32.

Imported only where such a model is loaded, since it imports torch."""

from __future__ import annotations

from typing import Any

import torch

# Weights packed into oneDNN's own layout are 10-25% faster at a few rows than plain ones, but packing costs
# time at every load and, while it runs, memory beside the model. Below this many bytes of linear weights
# (the embedded 135M model: 0.5 GB, under 1 s to pack) they are packed; above (the 1.5B model: 6.2 GB, 11 s
# and a peak of twice its size), a short job is faster on the weights as loaded (docs/measurements.md).
PACK_BELOW = 1 << 30


class OneDnnLinear(torch.nn.Linear):
    """A float32 linear layer computed by oneDNN (the op torch's own CPU compiler uses), on `packed`, oneDNN's
    copy of the weight, where there is one, else on the weight as it is.

    The weight stays an ordinary parameter, so a tied output head stays tied and a model moved or cast later
    computes with torch's own linear. Inference only: the op has no gradient, and `packed` does not follow
    changes to the weight."""

    packed: torch.Tensor | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.weight.is_cpu or self.weight.dtype != torch.float32:  # the model was moved or cast since
            return super().forward(x)
        weight = self.weight if self.packed is None else self.packed
        flat = x.reshape(-1, self.in_features)
        out = torch.ops.mkldnn._linear_pointwise(flat, weight, self.bias, "none", [], "")
        return out.reshape(*x.shape[:-1], self.out_features)


def on_onednn(model: Any, pack_below: int = PACK_BELOW) -> Any:
    """`model` with every float32 linear layer (the output head among them) a `OneDnnLinear`, in place; their
    weights packed where they add up to fewer than `pack_below` bytes.

    The same float32 arithmetic in another order: outputs differ from the dense layers' by rounding only.
    On a 2-core AVX2 CPU the 1.5B model's layers ran 1.4-2.7x as fast as torch's dense float32 matmul
    (docs/measurements.md). Where torch has no oneDNN, the model is left as it is.
    """
    if not torch.backends.mkldnn.is_available():
        return model
    layers = [m for m in model.modules() if type(m) is torch.nn.Linear and m.weight.dtype == torch.float32]
    pack = sum(m.weight.nbytes for m in layers) < pack_below
    for layer in layers:
        layer.__class__ = OneDnnLinear
        if pack:
            layer.packed = torch.ops.mkldnn._reorder_linear_weight(layer.weight.detach().contiguous(), None)
    return model
