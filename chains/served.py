"""A model behind an OpenAI-compatible server (vLLM, llama.cpp, Ollama, TGI, `transformers serve`): LangChain's
`ChatOpenAI` with the task's settings, `n` samples, log-probabilities where given, and K requests in flight.

A server may ignore `n` or log-probabilities: what comes back is counted, never what was asked for.
Missing samples are asked for again; missing log-probabilities leave the confidence floor off.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any, ClassVar

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatResult
from langchain_openai import ChatOpenAI
from pydantic import Field, PrivateAttr

from chains.answering import Answering, Answers, Request, Scored, Serving
from chains.errors import SynthaugError
from chains.local.stopping import LINE_KINDS, cut_answer

# The probe's open question, asked hot a few times: a server that samples answers it differently.
SAMPLING_PROBE = "Name one animal, any animal, in one word."
SAMPLING_TRIES = 3
# The no-copy probe: a sentence to repeat, with its runs of 3 tokens banned. A server that bans them cannot.
COPY_PROBE = "The old lighthouse keeper painted the front door bright green."
# Our settings, which the server must not see as request fields.
OWN_KEYS = ("boundary", "max_words", "labels", "no_copy", "source", "sources", "do_sample", "max_new_tokens")


class ServerError(SynthaugError):
    """The model server cannot be used, or stopped answering."""


class ServerChat(Serving, ChatOpenAI):
    """`ChatOpenAI` for a served model that takes the task's settings (`chains.chain.sample`) and serves a live queue."""

    task_settings: ClassVar[bool] = True
    concurrency: int = 8
    """Requests in flight at once."""
    generation: dict[str, Any] = Field(default_factory=dict)
    """Decoding settings given when the model was set up; a call's own settings override them."""
    base_seed: int | None = None
    """Seed of the first request; each later request takes the next, so a run asks the same of the server."""
    n_honoured: bool | None = None
    """Whether the server returns `n` choices for one request (learnt from its answers)."""
    logprobs_returned: bool | None = None
    """Whether the server returns token log-probabilities (learnt from its answers)."""
    sampling_honoured: bool | None = None
    """Whether the server samples at the temperature asked (learnt by the probe). Where it does not, asking a
    prompt again gives the same answer, so the run gives each sample a prompt of its own."""
    sampling_field: bool = False
    """The server ignores `temperature` but samples through a `generation_config` request field (as
    `transformers serve` does for a model whose own config decodes greedily); learnt by the probe."""
    no_copy_field: bool = False
    """The server bans what `bad_words_ids` in the `generation_config` request field names (as `transformers
    serve` does), and the model's tokenizer is on this machine: no-copy decoding works as on a local model.
    Learnt by the probe."""
    _requests: Any = PrivateAttr(default_factory=itertools.count)
    _tokenizer: Any = PrivateAttr(default=None)

    def describe(self) -> dict[str, Any]:
        """What the server turned out to do, for the run's manifest."""
        return {
            "server": self.openai_api_base,
            "n": "honoured" if self.n_honoured else "ignored: one request per sample",
            "logprobs": "returned" if self.logprobs_returned else "not returned: the confidence floor is off",
            "sampling": "honoured through the request's generation_config field"
            if self.sampling_field
            else "honoured"
            if self.sampling_honoured is not False
            else "ignored: answers are greedy, so each sample has a prompt of its own (another wording and shots)",
            "no_copy": "applied through the request's generation_config field (bad_words_ids)"
            if self.no_copy_field
            else "not applied: this server cannot be told to ban its source's tokens; copies are rejected after parsing",
        }

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        """One request with the task's settings translated into the server's; answers cut where their kind ends."""
        how = Answering.of(self.generation, {**kwargs, "stop": [*(stop or []), *kwargs.get("stop", [])]})
        request = {k: v for k, v in kwargs.items() if k not in OWN_KEYS and k != "stop"}
        request.setdefault("max_tokens", how.max_new_tokens)
        request.setdefault("temperature", how.temperature if how.temperature is not None else 0.0)
        if how.temperature is not None:
            request.setdefault("top_p", how.top_p)
        if self.base_seed is not None:
            request.setdefault("seed", self.base_seed + next(self._requests))
        if self.logprobs_returned is not False:
            request.setdefault("logprobs", True)
        sampled = self.sampling_field and how.temperature is not None
        config = sampling_config(how.temperature, how.top_p) if sampled else {}
        if self.no_copy_field and kwargs.get("source"):
            config = config or {"do_sample": how.temperature is not None, "temperature": how.temperature or 1.0}
            config["bad_words_ids"] = bad_words(self._tokenizer, kwargs["source"], how.no_copy)
        if config:
            request["extra_body"] = {"generation_config": json.dumps(config)}
        ends = [*how.stop, *(["\n"] if how.boundary in LINE_KINDS else [])]
        result = super()._generate(messages, stop=ends or None, run_manager=run_manager, **request)
        for generation in result.generations:
            generation.message.content = cut_answer(generation.text, how.boundary, how.stop, how.max_words, how.labels)
            generation.text = generation.message.content
            generation.generation_info = {
                **(generation.generation_info or {}),
                "logprob": _mean(generation.generation_info),
            }
        return result

    def sample(self, messages: Any, n: int, **kwargs: Any) -> Scored:
        """Up to `n` answers to one prompt from one request; fewer when the server ignores `n`."""
        ask = n if self.n_honoured is not False else 1
        try:
            result = self.generate([_messages(messages)], n=ask, **kwargs)
        except Exception as exc:
            raise server_error(exc, self) from None
        answers = [(g.text, (g.generation_info or {}).get("logprob")) for g in result.generations[0]]
        if ask > 1:
            self.n_honoured = len(answers) >= ask
        self.logprobs_returned = any(lp is not None for _, lp in answers)
        return answers

    def serve(self, pull: Callable[[], Request | None], group: int = 8, **kwargs: Any) -> Iterator[Answers]:
        """Answers for requests pulled from a live queue, `concurrency` server requests in flight; a prompt
        whose reply lacked samples is asked again for the rest. `kwargs` are the call's settings."""
        own = {k: v for k, v in kwargs.items() if k not in ("sources", "source", "slots")}
        greedy = not {**self.generation, **own}.get("do_sample", False) or self.sampling_honoured is False
        wanted: dict[Any, int] = {}
        got: dict[Any, Scored] = {}
        running: dict[Future, tuple[Any, Any, dict[str, Any]]] = {}
        pool = ThreadPoolExecutor(self.concurrency)

        def submit(key: Any, prompt: Any, count: int, settings: dict[str, Any]) -> None:
            for ask in [count] if self.n_honoured is not False else [1] * count:
                running[pool.submit(self.sample, prompt, ask, **{**own, **settings})] = (key, prompt, settings)

        try:
            while True:
                while len(running) < self.concurrency and (request := pull()) is not None:
                    key, prompt, n, source, settings = request
                    wanted[key], got[key] = n, []
                    submit(key, prompt, 1 if greedy else n, {**settings, "source": source})
                if not running:
                    return
                finished = []
                for future in wait(running, return_when=FIRST_COMPLETED).done:
                    key, prompt, settings = running.pop(future)
                    answers = future.result()
                    if key not in wanted:  # a late reply for a prompt already answered
                        continue
                    got[key] += answers[:1] * wanted[key] if greedy else answers
                    waiting = any(k == key for k, _, _ in running.values())
                    if len(got[key]) >= wanted[key] or not (answers or waiting):
                        finished.append((key, got.pop(key)[: wanted.pop(key)]))
                    elif not waiting:
                        submit(key, prompt, wanted[key] - len(got[key]), settings)
                if finished:
                    yield finished
        finally:
            pool.shutdown(wait=False, cancel_futures=True)  # on an error, do not wait out retries still running


def _messages(prompt: Any) -> list[BaseMessage]:
    return prompt.to_messages() if hasattr(prompt, "to_messages") else prompt


def _mean(info: dict[str, Any] | None) -> float | None:
    """The mean token log-probability of a choice, where the server gave token log-probabilities."""
    tokens = ((info or {}).get("logprobs") or {}).get("content") or []
    values = [t["logprob"] for t in tokens if t.get("logprob") is not None]
    return sum(values) / len(values) if values else None


def server_error(exc: Exception, llm: ServerChat) -> Exception:
    """One line for a failed request: what the server said and what to do; other errors pass unchanged."""
    import openai

    url, model = llm.openai_api_base, llm.model_name
    if isinstance(exc, openai.APIConnectionError):
        reason = str(exc.__cause__ or exc).splitlines()[0][:160]
        return ServerError(
            f"the model server at {url} did not answer ({reason}) after {llm.max_retries} retries; start it or "
            "check the address. Rows saved so far are kept: run the same command again to finish the run",
            "server",
        )
    if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
        return ServerError(
            f"the model server at {url} refused the API key ({exc.status_code}); put the right key in the "
            "environment variable that api_key_env names",
            "api_key_env",
        )
    if isinstance(exc, openai.NotFoundError):
        return ServerError(
            f"the model server at {url} has no model {model!r} (404); name one it serves, or check that "
            "the address ends in /v1",
            "server_model",
        )
    if isinstance(exc, openai.APIStatusError):
        body = exc.body if isinstance(exc.body, dict) else {}
        error = body.get("error") if isinstance(body.get("error"), dict) else body
        detail = error.get("message") or error.get("detail") or exc.response.text or exc.message
        detail = str(detail).splitlines()[0][:160] if str(detail).strip() else exc.response.reason_phrase
        return ServerError(
            f"the model server at {url} failed on model {model!r} ({exc.status_code}: {detail}); check the model "
            "name and the server's log",
            "server_model",
        )
    return exc


def probe(llm: ServerChat) -> ServerChat:
    """`llm` once a first small request has shown that the server answers for its model; learns whether the
    server honours `n`, returns log-probabilities and samples. With no model named, the one the server lists is used."""
    import openai

    client = openai.OpenAI(
        base_url=llm.openai_api_base,
        api_key=llm.openai_api_key.get_secret_value(),
        max_retries=1,
        timeout=llm.request_timeout,
    )
    try:
        if not llm.model_name:
            listed = [m.id for m in client.models.list()]
            if len(listed) != 1:
                names = ", ".join(listed[:8]) or "none"
                raise ServerError(
                    f"the model server at {llm.openai_api_base} lists {len(listed)} models ({names}); name the one to use",
                    "server_model",
                )
            llm.model_name = listed[0]
        ask = {"model": llm.model_name, "messages": [{"role": "user", "content": "Say OK."}], "max_tokens": 2}
        try:
            reply = client.chat.completions.create(**ask, n=2, logprobs=True, temperature=1.0)
        except openai.BadRequestError:  # a server that refuses n > 1 or log-probabilities outright
            reply = client.chat.completions.create(**ask)
        llm.n_honoured = len(reply.choices) >= 2
        llm.logprobs_returned = bool(reply.choices and reply.choices[0].logprobs and reply.choices[0].logprobs.content)
        llm.sampling_honoured = _samples(client, llm.model_name)
        if not llm.sampling_honoured:
            llm.sampling_field = llm.sampling_honoured = _samples(client, llm.model_name, field=True)
        llm._tokenizer = local_tokenizer(llm.model_name)
        llm.no_copy_field = llm._tokenizer is not None and _bans(client, llm.model_name, llm._tokenizer)
    except openai.APIError as exc:
        raise server_error(exc, llm) from None
    return llm


def _samples(client: Any, model: str, field: bool = False) -> bool:
    """Whether the server samples: hot answers to an open question differ within a few requests, where a
    greedy server (or one that ignores temperature) repeats itself. `field`: asked through the
    `generation_config` request field; a server that refuses the field does not sample through it."""
    import openai

    ask = {"model": model, "messages": [{"role": "user", "content": SAMPLING_PROBE}], "max_tokens": 8}
    if field:
        ask["extra_body"] = {"generation_config": json.dumps(sampling_config(1.5, 1.0))}
    answers = set()
    for seed in range(SAMPLING_TRIES):
        try:
            reply = client.chat.completions.create(**ask, temperature=1.5, seed=seed)
        except openai.BadRequestError:
            return False
        answers.add(reply.choices[0].message.content if reply.choices else None)
        if len(answers) > 1:
            return True
    return False


def _bans(client: Any, model: str, tokenizer: Any) -> bool:
    """Whether the server bans what the `generation_config` field's `bad_words_ids` names: asked to repeat a
    sentence whose runs of 3 tokens are banned, it does not repeat it."""
    import openai

    config = {"do_sample": False, "bad_words_ids": bad_words(tokenizer, COPY_PROBE, 3)}
    ask = {"model": model, "messages": [{"role": "user", "content": f"Repeat exactly: {COPY_PROBE}"}]}
    try:
        reply = client.chat.completions.create(
            **ask, max_tokens=24, temperature=0.0, extra_body={"generation_config": json.dumps(config)}
        )
    except openai.BadRequestError:
        return False
    said = reply.choices[0].message.content if reply.choices else None
    return said is not None and "front door bright green" not in said.lower()


def local_tokenizer(model: str | None) -> Any:
    """The tokenizer of a served model named by its folder on this machine, or None."""
    from pathlib import Path

    if not model or not (Path(model) / "tokenizer_config.json").is_file():
        return None
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(model)


def bad_words(tokenizer: Any, source: str, n: int) -> list[list[int]]:
    """No-copy decoding's bans (`chains.local.nocopy.source_ngrams`) as transformers' `bad_words_ids`: each run
    of n - 1 source tokens with a token it may not go on with."""
    from chains.local.nocopy import source_ngrams

    return [[*run, token] for run, tokens in source_ngrams(tokenizer, source, n).items() for token in tokens]


def sampling_config(temperature: float, top_p: float) -> dict[str, Any]:
    """transformers' generation settings for sampling, as the `generation_config` request field carries them."""
    return {"do_sample": True, "temperature": temperature, "top_p": top_p}
