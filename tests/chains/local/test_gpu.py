"""On a CUDA GPU (`make gpu-check`): the decoders give `model.generate`'s tokens there too, keep every tensor
on the GPU, and the embedded model generates checked rows; a model spread by `device_map` decodes as well.
The same logic runs on the CPU in test_architectures.py and test_devices.py."""

import pytest
import torch

from chains import build_prompt, load_llm, load_task
from chains.chain import sample, texts
from chains.checks.parsers import parser_for
from chains.local.attention import SLOT_ARCHITECTURES
from chains.prompts import renderer_for
from tests.tiny_models import PREFIX, SUFFIXES, check_both_paths, text, tiny_model, tiny_pipeline, word_tokenizer

pytestmark = pytest.mark.gpu


@pytest.mark.parametrize("name", sorted(SLOT_ARCHITECTURES))
def test_both_decode_paths_match_generate_on_the_gpu(name):
    check_both_paths(name, device="cuda")


def test_no_tensor_of_a_step_is_made_on_the_cpu():
    llm = tiny_pipeline("qwen2", device="cuda")
    prompts = [text(PREFIX + s) for s in SUFFIXES]
    torch.set_default_device("meta")  # a tensor made without a device would land here and fail beside CUDA ones
    try:
        answers = llm.generate_scored(prompts, n=3, max_new_tokens=8, do_sample=True, sources=[text(PREFIX)] * 5)
    finally:
        torch.set_default_device(None)
    assert [len(a) for a in answers] == [3] * 5


def test_the_embedded_model_on_the_gpu_writes_checked_rows_in_bfloat16():
    llm = load_llm(device="cuda", seed=0)
    model = llm.pipeline.model
    assert model.device.type == "cuda" and model.dtype == torch.bfloat16
    task = load_task("paraphrase")
    sentences = ["The room was clean and quiet.", "We waited an hour to check in.", "The pool was cold."]
    prompts = (build_prompt(task) | renderer_for(llm)).batch([{"text": s} for s in sentences])
    answers = texts(sample(task, llm, prompts, n=4, sources=sentences))
    parser = parser_for(task)
    parsed = [parser.parse(a) for group in answers for a in group if a.strip()]
    assert len(parsed) >= 8 and all(isinstance(p, str) and p for p in parsed)


def test_a_model_spread_by_device_map_decodes_as_on_one_device(tmp_path):
    model = tiny_model("llama")
    model.save_pretrained(tmp_path)
    word_tokenizer().save_pretrained(tmp_path)
    spread = load_llm(str(tmp_path), device_map="auto", dtype="float32")
    single = tiny_pipeline("llama", device="cuda")
    prompts = [text(PREFIX + s) for s in SUFFIXES]
    greedy = {"max_new_tokens": 12, "do_sample": False}
    assert texts(spread.generate_scored(prompts, **greedy)) == texts(single.generate_scored(prompts, **greedy))
