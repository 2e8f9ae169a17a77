"""`ModelSpec`: which model writes the rows and where it runs, checked once; `load_model`, the one factory."""

from __future__ import annotations

import os
import re
from typing import Any, Literal, get_args

from langchain_core.language_models import BaseLanguageModel
from pydantic import BaseModel, ConfigDict, Field

from chains.errors import SynthaugError
from chains.knobs import check_knobs

Dtype = Literal["auto", "float32", "bfloat16", "float16", "int8"]
DTYPES: tuple[str, ...] = get_args(Dtype)
_DEVICE = re.compile(r"auto|cpu|mps|cuda(:\d+)?")


class ModelSpec(BaseModel):
    """A local model (the embedded one, a built-in, a folder, a .gguf file or a hub id) on a device, or a
    model behind an OpenAI-compatible server; with the options that decide how it loads and runs."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    model: str | None = None
    """A built-in name (`qwen2.5-coder-1.5b`, `smollm2-135m`), a folder, a .gguf file or a hub id; None: the
    default ($SYNTHAUG_MODEL, else qwen2.5-coder-1.5b). A served model has none."""
    device: str = "auto"
    """`auto` (a GPU where there is one), `cpu`, `cuda`, `cuda:N` or `mps`."""
    device_map: Literal["auto"] | None = None
    """`auto`: spread the model over every GPU (and the CPU) with accelerate; for models larger than one GPU."""
    dtype: Dtype = "auto"
    batch_size: int | None = None
    """Decode slots of a local model; None sizes them by the model and its device."""
    trust_remote_code: bool = False
    allow_pickle: bool = False
    server: str | None = None
    """Base URL of an OpenAI-compatible server (`http://host:8000/v1`); the model runs there."""
    server_model: str | None = None
    """The model's name on the server; None: the one model the server lists."""
    api_key_env: str | None = None
    """The environment variable holding the server's API key; None sends none."""
    concurrency: int = Field(default=8, ge=1, le=256)
    """Requests in flight to the server."""
    timeout: float = Field(default=300.0, gt=0)
    """Seconds a server request may take before it is retried."""
    max_retries: int = Field(default=4, ge=0, le=20)
    """Retries of a failed server request (429, 5xx, time-outs, lost connections), with growing back-off."""
    seed: int | None = None
    generation: dict[str, Any] = {}
    """Decoding settings given with the model (`max_new_tokens`, `temperature`, `top_p`, `do_sample`)."""

    def __init__(self, **fields: Any) -> None:
        """Checked before pydantic sees the fields, so a bad value is a `SynthaugError` (or a `KnobError`
        naming the knob out of range) that says how to fix it, not a ValidationError."""
        settings = {k: v for k, v in (fields.get("generation") or {}).items() if k != "do_sample"}
        check_knobs(batch_size=fields.get("batch_size"), **settings)
        device = fields.get("device") or "auto"
        if not _DEVICE.fullmatch(device):
            raise SynthaugError(f"device {device!r} is not one of auto, cpu, cuda, cuda:N or mps", "device")
        server = fields.get("server")
        if server is not None:
            if not re.match(r"https?://[^/\s]+", server):
                raise SynthaugError(
                    f"server {server!r} is not an http(s) address; give the server's OpenAI-compatible base URL, "
                    "like http://localhost:8000/v1",
                    "server",
                )
            fields["server"] = server.rstrip("/")
        else:
            from chains.local.sources import resolve_model

            fields["model"] = resolve_model(fields.get("model"))
        super().__init__(**fields)

    @property
    def name(self) -> str:
        """The model's name, as rows and the manifest record it."""
        if self.server:
            return self.server_model or self.server
        return str(self.model)


def load_model(spec: ModelSpec) -> BaseLanguageModel:
    """The LangChain model a spec names: `LocalPipeline` on its device, or `ServerChat` after a first request
    has shown the server answers (and whether it honours `n` and returns log-probabilities)."""
    if spec.server is None:
        from chains.local.loading import load_llm

        return load_llm(
            spec.model,
            device=spec.device,
            device_map=spec.device_map,
            dtype=spec.dtype,
            batch_size=spec.batch_size,
            trust_remote_code=spec.trust_remote_code,
            allow_pickle=spec.allow_pickle,
            seed=spec.seed,
            **spec.generation,
        )
    from chains.served import ServerChat, probe

    key = "none"  # servers without authentication still need the client to send one
    if spec.api_key_env:
        key = os.environ.get(spec.api_key_env, "")
        if not key:
            raise SynthaugError(
                f"the environment variable {spec.api_key_env} is not set; export the API key in it", "api_key_env"
            )
    llm = ServerChat(
        base_url=spec.server,
        api_key=key,
        model=spec.server_model or "",
        concurrency=spec.concurrency,
        timeout=spec.timeout,
        max_retries=spec.max_retries,
        base_seed=spec.seed,
        generation=spec.generation,
        use_responses_api=False,
    )
    return probe(llm)
