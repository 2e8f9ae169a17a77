"""Model sources on real files: a .gguf file (or a folder holding one) is converted once into the cache,
with the tokenizer read from the file, and found there again while the file is unchanged."""

import logging
import shutil

import pytest

from chains import build_prompt, load_task, render_messages
from chains.local.loading import load_llm
from chains.local.sources import embedded_gguf, gguf_in

pytestmark = pytest.mark.integration


def test_a_gguf_file_is_converted_once_and_then_loaded_from_the_cache(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("SYNTHAUG_CACHE", str(tmp_path / "cache"))
    folder = tmp_path / "downloads"
    folder.mkdir()
    gguf = folder / "my-model.gguf"
    shutil.copy(embedded_gguf(), gguf)
    assert gguf_in(folder) == gguf  # a folder holding one .gguf and no config names it
    with caplog.at_level(logging.WARNING, logger="synthaug"):
        llm = load_llm(str(folder), dtype="float32", seed=0)
    assert any("converting my-model.gguf to safetensors" in r.getMessage() for r in caplog.records)
    (converted,) = (tmp_path / "cache" / "models").iterdir()
    assert converted.name.startswith("my-model-") and (converted / "tokenizer.json").is_file()
    prompt = render_messages(build_prompt(load_task("word")).invoke({"text": "Name a fruit."}).to_messages())
    assert llm.generate_scored([prompt], max_new_tokens=8, boundary="word", do_sample=False)[0][0][0].strip()
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="synthaug"):
        load_llm(str(gguf), dtype="float32")
    assert not caplog.records  # the second load finds the converted copy


def test_a_conversion_reads_the_file_once_and_dequantises_it_as_gguf_does():
    """Within a conversion one reader serves every read of the file, and torch's de-quantised weights are gguf's
    own, bit for bit (the embedded model's Q4_1 and Q8_0 blocks)."""
    import gguf
    import torch
    from transformers import AutoModelForCausalLM

    from chains.local.conversion import _gguf_read_once

    path = embedded_gguf()
    own_reader, own_dequantize = gguf.GGUFReader, gguf.dequantize
    expected = AutoModelForCausalLM.from_pretrained(path.parent, gguf_file=path.name, dtype=torch.float32)
    with _gguf_read_once():
        assert gguf.GGUFReader(str(path)) is gguf.GGUFReader(path)
        got = AutoModelForCausalLM.from_pretrained(path.parent, gguf_file=path.name, dtype=torch.float32)
    assert (gguf.GGUFReader, gguf.dequantize) == (own_reader, own_dequantize)
    got, expected = got.state_dict(), expected.state_dict()
    assert got.keys() == expected.keys()
    assert all(torch.equal(got[name], expected[name]) for name in expected)
