"""float32 linear layers whose weights oneDNN packs once, for a model that runs on a CPU in float32.

Imported only where such a model is loaded, since it imports torch."""

from __future__ import annotations

from typing import Any

import torch


class PackedLinear(torch.nn.Module):
    """A float32 linear layer on oneDNN's packed copy of its weight (the op torch's own CPU compiler uses)."""

    def __init__(self, linear: torch.nn.Linear) -> None:
        super().__init__()
        self.in_features, self.out_features = linear.in_features, linear.out_features
        # Not a parameter or buffer: an opaque oneDNN tensor has no storage to save or move.
        self.weight_packed = torch.ops.mkldnn._reorder_linear_weight(linear.weight.detach().contiguous(), None)
        # For inference only: oneDNN's packed op has no gradient.
        self.bias = None if linear.bias is None else torch.nn.Parameter(linear.bias.detach(), requires_grad=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        flat = x.reshape(-1, self.in_features)
        out = torch.ops.mkldnn._linear_pointwise(flat, self.weight_packed, self.bias, "none", [], "")
        return out.reshape(*x.shape[:-1], self.out_features)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, packed"


def packed(model: Any) -> Any:
    """`model` with every float32 linear layer (the output head among them) a `PackedLinear`, in place.

    The same float32 arithmetic in another order: outputs differ from the dense layers' by rounding only.
    On a 2-core AVX2 CPU the 1.5B model's layers ran 1.6-2.3x as fast as torch's dense float32 matmul, most
    at the few rows of a decode step (docs/measurements.md). A tied output head gets a packed copy of its
    own (the embeddings keep theirs). Where torch has no oneDNN, the model is left as it is.
    """
    if not torch.backends.mkldnn.is_available():
        return model
    # Parents only: a list of the layers themselves would keep every dense weight alive beside its packed copy.
    parents = [m for m in model.modules() if any(_dense(child) for child in m.children())]
    with torch.no_grad():
        for module in parents:
            for name in [name for name, child in module.named_children() if _dense(child)]:
                setattr(module, name, PackedLinear(getattr(module, name)))
        # The rest (embeddings, norms, biases) may still be views of the mapped weights file, which would keep
        # every page of it read while packing in memory beside the packed copies: copies of their own free it.
        for parameter in model.parameters():
            parameter.data = parameter.data.clone()
    return model


def _dense(module: torch.nn.Module) -> bool:
    return type(module) is torch.nn.Linear and module.weight.dtype == torch.float32
