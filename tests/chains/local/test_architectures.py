"""Every architecture the slot decoder drives gives `model.generate`'s tokens on both decode paths, past a
sliding window; any other architecture takes the generic path (transformers' own generate)."""

import logging

import pytest

from chains import load_llm
from chains.local.attention import SLOT_ARCHITECTURES, unsupported
from tests.tiny_models import CONFIGS, WINDOW, check_both_paths, tiny_model, word_tokenizer


def test_every_architecture_the_slot_decoder_drives_has_a_tiny_model_here():
    assert set(SLOT_ARCHITECTURES) <= set(CONFIGS)


@pytest.mark.parametrize("name", sorted(SLOT_ARCHITECTURES))
def test_both_decode_paths_match_generate(name):
    assert unsupported(tiny_model(name)) is None
    answers = check_both_paths(name)
    assert max(len(a.split()) for a in answers) + 20 > WINDOW  # the sequences outgrow the window
    assert len(set(answers)) > 1  # the model is not stuck on one answer


def test_an_architecture_the_slot_decoder_does_not_know_takes_the_generic_path(tmp_path, caplog):
    model = tiny_model("granite")
    assert "has not been checked on granite" in unsupported(model)
    check_both_paths("granite")
    model.save_pretrained(tmp_path)
    word_tokenizer().save_pretrained(tmp_path)
    with caplog.at_level(logging.WARNING, logger="synthaug"):
        load_llm(str(tmp_path), device="cpu")
    (notice,) = [r.getMessage() for r in caplog.records]
    assert notice.startswith("notice: the slot decoder has not been checked on granite models; it is decoded by")


def test_a_model_with_code_of_its_own_takes_the_generic_path():
    model = tiny_model("llama")
    model.__class__ = type("CustomLlama", (model.__class__,), {"__module__": "transformers_modules.someone.model"})
    assert "runs code of its own" in unsupported(model)
