"""float32 linear layers on oneDNN's matmul, for a model that runs on a CPU in float32.

Imported only where such a model is loaded, since it imports torch."""

from __future__ import annotations

from typing import Any

import torch


class OneDnnLinear(torch.nn.Linear):
    """A float32 linear layer computed by oneDNN (the op torch's own CPU compiler uses) on its weight as it is.

    The weight stays an ordinary parameter, so a tied output head stays tied and a mapped weights file stays
    mapped. Inference only: the op has no gradient."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.weight.is_cpu or self.weight.dtype != torch.float32:  # the model was moved or cast since
            return super().forward(x)
        flat = x.reshape(-1, self.in_features)
        out = torch.ops.mkldnn._linear_pointwise(flat, self.weight, self.bias, "none", [], "")
        return out.reshape(*x.shape[:-1], self.out_features)


def on_onednn(model: Any) -> Any:
    """`model` with every float32 linear layer (the output head among them) a `OneDnnLinear`, in place.

    The same float32 arithmetic in another order: outputs differ from the dense layers' by rounding only.
    On a 2-core AVX2 CPU the 1.5B model's layers ran 1.4-2.7x as fast as torch's dense float32 matmul, most at
    the few rows of a decode step, and as fast as on weights packed into oneDNN's own layout, which takes 11 s
    a load to pack (docs/measurements.md). Where torch has no oneDNN, the model is left as it is.
    """
    if torch.backends.mkldnn.is_available():
        for module in model.modules():
            if type(module) is torch.nn.Linear and module.weight.dtype == torch.float32:
                module.__class__ = OneDnnLinear
    return model
