"""`dtype="int8"`: the linear layers of a real model get int8 weights on a CPU, and it still writes valid rows."""

import pytest
import torch

from chains import build_prompt, load_task, parser_for, render_messages
from chains.errors import SynthaugError
from chains.local.loading import is_quantized, load_llm
from chains.local.sizing import decode_slots, kv_bytes_per_token

pytestmark = pytest.mark.integration


def test_int8_quantizes_every_linear_layer_and_the_model_still_paraphrases():
    llm = load_llm("smollm2-135m", dtype="int8", seed=0)
    model = llm.pipeline.model
    assert is_quantized(model) and not any(type(m) is torch.nn.Linear for m in model.modules())
    # no batch size named: the slots are sized by the model, whose keys and values stay float32
    assert llm.batch_size == decode_slots(model) and kv_bytes_per_token(model) == 2 * 30 * 3 * 64 * 4
    task = load_task("paraphrase")
    sources = ["The room was clean and quiet.", "We waited an hour to check in."]
    prompts = [render_messages(build_prompt(task).invoke({"text": s}).to_messages()) for s in sources]
    answers = llm.generate_scored(prompts, n=2, sources=sources, boundary="sentence", max_words=40, do_sample=True)
    parser = parser_for(task)
    assert sum(1 for group in answers for raw, _ in group if _parses(parser, raw)) >= 3


def test_int8_is_refused_off_the_cpu_in_one_line():
    with pytest.raises(SynthaugError, match="int8 .* runs on a CPU only"):
        load_llm("smollm2-135m", dtype="int8", device="cpu", device_map="auto")


def _parses(parser, raw):
    try:
        parser.parse(raw)
        return True
    except Exception:
        return False
