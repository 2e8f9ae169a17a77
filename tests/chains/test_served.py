"""The served model's request loop, with scripted replies: what comes back is counted, never what was asked for."""

import json
from collections import deque

import httpx
import openai
import pytest

from chains.errors import SynthaugError
from chains.served import COPY_PROBE, ServerChat, ServerError, _bans, _mean, _samples, bad_words, server_error


class Scripted(ServerChat):
    """Replies with `per_call` choices whatever `n` asks (a server that ignores `n` gives one)."""

    per_call: int = 1
    asked: list = []

    def sample(self, messages, n, **kwargs):
        self.asked.append((messages, n, kwargs.get("temperature")))
        got = min(n, self.per_call)
        if n > 1 and self.n_honoured is None:
            self.n_honoured = got >= n
        return [(f"{messages}-{len(self.asked)}-{i}", None) for i in range(got)]


def served(llm, requests, **settings):
    queue = deque(requests)
    return {
        key: answers
        for batch in llm.serve(lambda: queue.popleft() if queue else None, **settings)
        for key, answers in batch
    }


def make(**fields):
    return Scripted(base_url="http://127.0.0.1:9/v1", api_key="none", model="m", asked=[], **fields)


def test_a_server_that_ignores_n_is_asked_again_for_each_missing_sample():
    llm = make(per_call=1, concurrency=2)
    got = served(llm, [("a", "p1", 3, None, {}), ("b", "p2", 2, None, {"temperature": 0.9})], do_sample=True)
    assert {k: len(v) for k, v in got.items()} == {"a": 3, "b": 2}
    assert len({text for text, _ in got["a"]}) == 3  # each sample its own request
    assert llm.n_honoured is False and sorted(n for _, n, _ in llm.asked)[-1] == 3  # asked once with n, then one by one
    assert [t for p, _, t in llm.asked if p == "p2"] == [0.9, 0.9]  # a request's own temperature goes along


def test_a_server_that_honours_n_gets_one_request_per_prompt():
    llm = make(per_call=8)
    got = served(llm, [("a", "p1", 3, None, {}), ("b", "p2", 4, None, {})], do_sample=True)
    assert {k: len(v) for k, v in got.items()} == {"a": 3, "b": 4} and len(llm.asked) == 2


def test_greedy_asks_once_and_repeats_the_answer():
    llm = make(per_call=1)
    got = served(llm, [("a", "p1", 3, None, {})], do_sample=False)
    assert len(llm.asked) == 1 and [t for t, _ in got["a"]] == ["p1-1-0"] * 3


def test_the_mean_log_probability_is_read_where_the_server_gives_one():
    assert _mean({"logprobs": {"content": [{"token": "a", "logprob": -1.0}, {"token": "b", "logprob": -3.0}]}}) == -2.0
    assert _mean({"finish_reason": "stop"}) is None and _mean(None) is None


def test_failed_requests_become_one_line_that_says_what_to_do():
    llm = make()
    request = httpx.Request("POST", "http://127.0.0.1:9/v1/chat/completions")
    refused = server_error(openai.APIConnectionError(request=request), llm)
    assert (
        isinstance(refused, ServerError)
        and "did not answer" in str(refused)
        and "run the same command again" in str(refused)
    )
    response = httpx.Response(401, request=request)
    denied = server_error(openai.AuthenticationError("no", response=response, body=None), llm)
    assert "refused the API key (401)" in str(denied) and denied.option == "api_key_env"
    missing = server_error(openai.NotFoundError("no", response=httpx.Response(404, request=request), body=None), llm)
    assert "has no model 'm' (404)" in str(missing) and missing.option == "server_model"
    other = ValueError("not from the server")
    assert server_error(other, llm) is other


@pytest.mark.parametrize("url", ["localhost:8000", "ftp://x/v1", ""])
def test_a_server_address_must_be_http(url):
    from chains.models import ModelSpec

    with pytest.raises(SynthaugError, match="is not an http\\(s\\) address"):
        ModelSpec(server=url)


def test_a_server_that_does_not_sample_is_asked_once_per_prompt_even_when_the_run_samples():
    llm = make(per_call=1, sampling_honoured=False)
    got = served(llm, [("a", "p1", 2, None, {})], do_sample=True)
    assert len(llm.asked) == 1 and len(got["a"]) == 2
    assert "ignored" in llm.describe()["sampling"]


class Replies:
    """An OpenAI client whose chat completions answer `answer(request)`; a field it does not know is a 400."""

    def __init__(self, answer, known=("model", "messages", "max_tokens", "temperature", "seed")):
        self.answer, self.known, self.requests = answer, known, []
        self.chat = self.completions = self

    def create(self, **request):
        self.requests.append(request)
        if set(request) - set(self.known):
            raise openai.BadRequestError("unknown field", response=httpx.Response(400, request=REQUEST), body=None)
        message = type("Message", (), {"content": self.answer(request)})
        return type("Reply", (), {"choices": [type("Choice", (), {"message": message})]})


REQUEST = httpx.Request("POST", "http://127.0.0.1:9/v1/chat/completions")


def test_the_probe_tells_a_sampling_server_from_a_greedy_one_and_finds_a_sampling_field():
    assert _samples(Replies(lambda r: f"animal {r['seed']}"), "m") is True
    assert _samples(Replies(lambda r: "Cat"), "m") is False
    assert _samples(Replies(lambda r: "Cat"), "m", field=True) is False  # the field is refused: no sampling
    honours_field = Replies(
        lambda r: f"animal {r['seed']}" if "extra_body" in r else "Cat",
        (*Replies.__init__.__defaults__[0], "extra_body"),
    )
    assert _samples(honours_field, "m") is False and _samples(honours_field, "m", field=True) is True
    assert json.loads(honours_field.requests[-1]["extra_body"]["generation_config"])["do_sample"] is True


@pytest.fixture(scope="module")
def tokenizer():
    """The embedded model's tokenizer, as a served model's folder on this machine gives it."""
    from chains.local.sources import embedded_model_dir
    from chains.served import local_tokenizer

    return local_tokenizer(str(embedded_model_dir("float32")))


def test_the_probe_finds_a_server_that_bans_what_bad_words_ids_names(tokenizer):
    def repeat(request):  # repeats the sentence unless its runs are banned
        config = json.loads(request.get("extra_body", {}).get("generation_config", "{}"))
        return "An old keeper painted a door green." if config.get("bad_words_ids") else COPY_PROBE

    fields = (*Replies.__init__.__defaults__[0], "extra_body")
    assert _bans(Replies(repeat, fields), "m", tokenizer) is True
    assert _bans(Replies(lambda r: COPY_PROBE, fields), "m", tokenizer) is False  # takes the field, bans nothing
    assert _bans(Replies(repeat), "m", tokenizer) is False  # refuses the field


def test_bad_words_are_no_copy_decodings_bans(tokenizer):
    from chains.local.nocopy import source_ngrams

    source = "The ferry to the island runs twice a day in winter."
    words = bad_words(tokenizer, source, 4)
    assert words and all(len(w) == 4 for w in words)
    assert {tuple(w[:-1]) for w in words} <= set(source_ngrams(tokenizer, source, 4))
    ids = tokenizer(" " + source, add_special_tokens=False)["input_ids"]
    assert any(w == ids[i : i + 4] for w in words for i in range(len(ids)))  # a run of the source is banned
