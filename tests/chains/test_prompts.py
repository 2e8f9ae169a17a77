"""Exact prompts: each bundled task, in each language, rendered as the embedded model sees them."""

import itertools
from pathlib import Path

import pytest

from chains import build_prompt, load_task, render_messages
from chains.prompts import Prompter
from chains.selectors import make_selector
from chains.task import available_tasks

GOLDEN = Path(__file__).parent / "golden"
# One input per task variable; braces show that user text reaches the model unchanged.
INPUTS = {
    "en": {"text": "The {room} was cold and the heater was {{broken}}.", "label": "negative"},
    "ko": {"text": "{방}이 춥고 난방기가 {{고장}} 났어요.", "label": "부정"},
}
CASES = [(lang, name) for lang in ("en", "ko") for name in available_tasks(lang)]


def render(language: str, name: str) -> str:
    task = load_task(name, language)
    values = {v: INPUTS[language][v] for v in task.input_variables}
    return render_messages(build_prompt(task).invoke(values).to_messages())


def test_every_language_has_the_same_tasks():
    for language in ("en", "ko"):
        assert available_tasks(language) == [
            "classify",
            "headline",
            "labeled",
            "paraphrase",
            "rewrite",
            "utterance",
            "word",
        ]


@pytest.mark.parametrize(("language", "name"), CASES)
def test_rendered_prompt_is_exact(language, name):
    expected = (GOLDEN / f"{language}-{name}.txt").read_text(encoding="utf-8")
    assert render(language, name) == expected


@pytest.mark.parametrize("language", ["en", "ko"])
def test_user_braces_reach_the_model_unchanged(language):
    prompt = render(language, "paraphrase")
    assert INPUTS[language]["text"] in prompt


def test_prompt_variants_differ_in_wording_and_in_their_last_shot():
    from langchain_core.language_models import FakeListLLM

    task = load_task("paraphrase")
    prompter = Prompter(task, FakeListLLM(responses=["x"]))
    prompts = [prompter({"text": "The pool was closed."}, variant=v) for v in range(7)]
    assert len({prompt for prompt, _ in prompts}) == 7
    assert len({tuple(ids) for _, ids in prompts}) == 6  # 3 rotations, each forwards and reversed
    assert prompts[0] == prompter({"text": "The pool was closed."})


@pytest.mark.parametrize("language", ["en", "ko"])
@pytest.mark.parametrize("name", ["paraphrase", "rewrite"])
def test_a_question_is_shown_questions_restated_and_a_statement_statements(language, name):
    from langchain_core.language_models import FakeListLLM

    from chains.checks.fidelity import is_question

    task = load_task(name, language)
    shown = {e["id"]: is_question(e["text"]) for e in task.examples}
    assert any(shown.values()) and not all(shown.values())
    question = {"en": "Is the pool open on Sundays?", "ko": "일요일에도 수영장을 여나요?"}[language]
    llm = FakeListLLM(responses=["x"])
    prompters = [Prompter(task, llm), Prompter(task, llm, make_selector("fixed", task, task.examples, 4))]
    for text, wanted in ((question, True), (INPUTS[language]["text"], False)):
        for prompter, variant in itertools.product(prompters, range(4)):
            _, ids = prompter({"text": text}, variant=variant)
            assert ids and all(shown[i] == wanted for i in ids)
        library = build_prompt(task).invoke({"text": text}).to_messages()
        shots = [m.content for m in library if m.type == "human"][:-1]
        assert shots and all(is_question(s.splitlines()[-1]) == wanted for s in shots)
