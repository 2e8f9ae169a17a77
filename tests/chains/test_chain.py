"""`build_chain` with LangChain's fake models: invoke, batch, stream, composition and custom selectors."""

import pytest
from langchain_core.example_selectors import BaseExampleSelector
from langchain_core.exceptions import OutputParserException
from langchain_core.language_models import FakeListChatModel, FakeListLLM
from langchain_core.runnables import RunnableLambda, RunnableParallel

from chains import build_chain, load_task, sample, texts
from chains.prompts import build_prompt, renderer_for
from tests.fakes import RecordingLLM


def test_invoke_parses_the_answer_and_renders_chatml():
    llm = RecordingLLM(responses=["Sure! Here you go:\nRamen"], seen=[])
    chain = build_chain(load_task("word"), llm)
    assert chain.invoke({"text": "Recommend a lunch menu for today."}) == "Ramen"
    prompt, stop = llm.seen[0]
    assert prompt.startswith("<|im_start|>system\nYou answer every request with a single word")
    assert prompt.endswith("<|im_start|>user\nRecommend a lunch menu for today.<|im_end|>\n<|im_start|>assistant\n")
    assert stop == ["\n"]


def test_batch_and_stream():
    chain = build_chain(load_task("classify"), FakeListLLM(responses=["Positive", "negative.", "positive"]))
    assert chain.batch([{"text": "Lovely."}, {"text": "Awful."}]) == ["positive", "negative"]
    assert list(chain.stream({"text": "Nice."})) == ["positive"]


def test_rejected_answer_raises_with_the_raw_output():
    chain = build_chain(load_task("word", "ko"), FakeListLLM(responses=["오늘은 김치찌개 어때요"]))
    with pytest.raises(OutputParserException) as info:
        chain.invoke({"text": "오늘 점심 메뉴를 추천해 줘"})
    assert info.value.llm_output == "오늘은 김치찌개 어때요"


def test_chain_composes_inside_a_larger_graph():
    paraphrase = build_chain(load_task("paraphrase"), FakeListLLM(responses=["The bed was soft."]))
    graph = RunnableParallel(original=RunnableLambda(lambda x: x["text"]), paraphrase=paraphrase) | RunnableLambda(
        lambda d: f"{d['original']} => {d['paraphrase']}"
    )
    assert graph.invoke({"text": "The bed was comfortable."}) == "The bed was comfortable. => The bed was soft."


def test_chat_models_receive_messages():
    chain = build_chain(load_task("headline"), FakeListChatModel(responses=["Local Team Wins the Cup"]))
    assert chain.invoke({}) == "Local Team Wins the Cup"


class LastExample(BaseExampleSelector):
    """A user's own selector: only the last example."""

    def __init__(self, examples):
        self.examples = examples

    def add_example(self, example):
        self.examples.append(example)

    def select_examples(self, input_variables):
        return self.examples[-1:]


def test_custom_example_selector_decides_the_shots():
    task = load_task("paraphrase")
    llm = RecordingLLM(responses=["A new sentence."], seen=[])
    build_chain(task, llm, example_selector=LastExample(list(task.examples)), checks=False).invoke(
        {"text": "Hi there."}
    )
    prompt = llm.seen[0][0]
    assert task.examples[-1]["output"] in prompt
    assert task.examples[0]["output"] not in prompt


def test_sample_groups_n_answers_per_prompt_for_any_llm():
    task = load_task("word")
    llm = FakeListLLM(responses=["a", "b", "c", "d", "e", "f"])
    prompts = (build_prompt(task) | renderer_for(llm)).batch([{"text": "x"}, {"text": "y"}])
    assert texts(sample(task, llm, prompts, n=3)) == [["a", "b", "c"], ["d", "e", "f"]]


def test_a_chain_with_a_source_asks_again_until_an_answer_passes_the_generate_checks():
    question = {"text": "Can you recommend a good restaurant near the station?"}
    answers = [
        "I recommend a good restaurant near the station.",  # form: a statement for a question
        "Can you recommend a good restaurant near the station?",  # copy
        "Is there a nice place to eat close to the station?",
    ]
    assert build_chain(load_task("paraphrase"), FakeListLLM(responses=answers)).invoke(question) == answers[2]
    number = {"text": "Check-in took forty minutes."}
    changed = ["Check-in took forty-five minutes.", "Checking in took four minutes.", "It took 40 minutes to check in."]
    assert build_chain(load_task("paraphrase"), FakeListLLM(responses=changed)).invoke(number) == changed[2]


def test_a_chain_raises_once_its_attempts_fail_and_checks_can_be_turned_off():
    copies = FakeListLLM(responses=["The pool was closed."])
    with pytest.raises(OutputParserException, match="copy of the input"):
        build_chain(load_task("paraphrase"), copies, attempts=2).invoke({"text": "The pool was closed."})
    unchecked = build_chain(load_task("paraphrase"), copies, checks=False)
    assert unchecked.invoke({"text": "The pool was closed."}) == "The pool was closed."
