"""A HuggingFacePipeline that batches on the model, ends answers at their kind's boundary and returns every sample."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from threading import Thread
from typing import Any, ClassVar

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.outputs import Generation, GenerationChunk, LLMResult
from langchain_huggingface import HuggingFacePipeline
from pydantic import Field, PrivateAttr

from chains.local.decoding import cache_of, decode, eos_ids, fast_sampler, shared_prefix
from chains.local.nocopy import DEFAULT_NO_COPY, no_copy_processor
from chains.local.stopping import answer_end_criteria, answer_ended, cut_answer, scored_answers

# Knobs a call may set; everything else in kwargs is ignored as LangChain's own plumbing.
GENERATION_KEYS = ("max_new_tokens", "temperature", "top_p", "do_sample")
# A shared prompt prefix shorter than this is not worth a cached forward pass.
MIN_CACHED_PREFIX = 16
Request = tuple[Any, str, int, "str | None", dict[str, Any]]
"""A request to `serve`: key, prompt, samples, source text or None, and its own settings."""


def _sources(kwargs: dict[str, Any], prompts: int) -> tuple[list[str] | None, int]:
    """The source text of each prompt (`sources=[...]`, or one `source=` for all) and the no-copy n-gram size."""
    sources = kwargs.get("sources")
    if sources is None and kwargs.get("source") is not None:
        sources = [kwargs["source"]] * prompts
    if sources is not None and len(sources) != prompts:
        raise ValueError(f"got {len(sources)} sources for {prompts} prompts")
    return sources, int(kwargs.get("no_copy") or DEFAULT_NO_COPY)


class LocalPipeline(HuggingFacePipeline):
    """Generates for many prompts in length-sorted batches with its own decode loop (`chains.local.decoding`).

    Unlike its parent it computes the prompts' shared prefix (system message and few-shot turns) once
    and reuses its key/value cache for every batch; ends each sequence at `stop` or at the boundary of
    the answer kind (`boundary=`) inside generation, batched too; returns all `n` samples of a prompt;
    and seeds each call so a run is reproducible.
    """

    task_settings: ClassVar[bool] = True
    """Calls take `n`, an answer `boundary`, `sources` and decoding settings (see `chains.chain.sample`)."""
    generation: dict[str, Any] = Field(default_factory=dict)
    """Decoding settings given when the model was loaded; a call's own settings override them."""
    seed: int | None = None
    """Base seed: call k of this object is seeded with `seed + k`."""
    _calls: int = PrivateAttr(default=0)
    _prefix_cache: tuple[tuple[int, ...], Any] | None = PrivateAttr(default=None)

    @property
    def _llm_type(self) -> str:
        return "synthaug_local_pipeline"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_id": self.model_id, "generation": self.generation, "batch_size": self.batch_size}

    def _settings(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """Keyword arguments for `model.generate`: sampling runs as a logits processor over greedy search."""
        from transformers import LogitsProcessorList

        settings = {**self.generation, **{k: kwargs[k] for k in GENERATION_KEYS if kwargs.get(k) is not None}}
        sampler = []
        if settings.pop("do_sample", False):
            sampler = [fast_sampler(settings.pop("temperature", 1.0), settings.pop("top_p", 1.0))]
        settings.pop("temperature", None)
        settings.pop("top_p", None)
        return {
            "max_new_tokens": settings.get("max_new_tokens", 64),
            "do_sample": False,
            "logits_processor": LogitsProcessorList(sampler),
        }

    def _seed_call(self) -> None:
        if self.seed is not None:
            import torch

            torch.manual_seed(self.seed + self._calls)
        self._calls += 1

    def _cache_for(self, prefix: list[int], batch: int) -> Any:
        """A key/value cache of `prefix`, repeated for `batch` sequences; the prefix is run once per distinct value."""
        import torch

        key = tuple(prefix)
        if self._prefix_cache is None or self._prefix_cache[0] != key:
            with torch.inference_mode():
                output = self.pipeline.model(input_ids=torch.tensor([prefix]), use_cache=True)
            self._prefix_cache = (key, cache_of(output))
        cache = copy.deepcopy(self._prefix_cache[1])  # generation appends to the cache it is given
        cache.batch_repeat_interleave(batch)
        return cache

    def generate_scored(
        self,
        prompts: list[str],
        n: int = 1,
        stop: list[str] | None = None,
        boundary: str | None = None,
        max_words: int = 1,
        **kwargs: Any,
    ) -> list[list[tuple[str, float]]]:
        """`n` (completion, mean token log-probability) pairs for each prompt, in prompt order; the core of `_generate`.

        `boundary` is an output kind (`word`, `sentence`, `label`): generation of a sequence stops
        where an answer of that kind ends. `sources` (one text per prompt) with `no_copy=k`: no answer
        continues a run of its source's tokens beyond k - 1 tokens.
        """
        import torch

        tokenizer = self.pipeline.tokenizer
        settings = self._settings(kwargs)
        sampler = list(settings["logits_processor"])
        sources, no_copy = _sources(kwargs, len(prompts))
        per_prompt = n if sampler else 1  # greedy gives one answer; it is repeated, not recomputed
        eos = eos_ids(self.pipeline.model, tokenizer)
        self._seed_call()
        encoded = tokenizer(prompts, add_special_tokens=False)["input_ids"]
        prefix = shared_prefix(encoded)
        if len(prefix) < MIN_CACHED_PREFIX:
            prefix = []
        order = sorted(range(len(prompts)), key=lambda i: len(encoded[i]))
        results: list[list[tuple[str, float]]] = [[] for _ in prompts]
        for start in range(0, len(order), self.batch_size):
            chunk = order[start : start + self.batch_size]
            suffixes = [encoded[i][len(prefix) :] for i in chunk]
            width = max(len(s) for s in suffixes)
            # prefix | padding | suffix: the padding sits where the cached prefix ends, masked out
            ids = [prefix + [tokenizer.pad_token_id] * (width - len(s)) + s for s in suffixes]
            mask = [[1] * len(prefix) + [0] * (width - len(s)) + [1] * len(s) for s in suffixes]
            input_ids = torch.tensor(ids).repeat_interleave(per_prompt, dim=0)
            attention_mask = torch.tensor(mask).repeat_interleave(per_prompt, dim=0)
            processors = sampler
            if sources is not None:
                rows = [sources[i] for i in chunk for _ in range(per_prompt)]
                processors = [no_copy_processor(tokenizer, rows, no_copy), *sampler]
            new_tokens, sums = decode(
                self.pipeline.model,
                input_ids,
                attention_mask,
                self._cache_for(prefix, len(input_ids)) if prefix else None,
                settings["max_new_tokens"],
                answer_ended(tokenizer, boundary, stop or (), max_words),
                eos,
                processors,
            )
            scored = scored_answers(tokenizer, new_tokens, sums, boundary, stop or (), max_words)
            for j, i in enumerate(chunk):
                results[i] = scored[j * per_prompt : (j + 1) * per_prompt] * (n // per_prompt)
        return results

    def serve(
        self, pull: Callable[[], Request | None], **kwargs: Any
    ) -> Iterator[list[tuple[Any, list[tuple[str, float]]]]]:
        """Continuous batching: answers for requests pulled one at a time, as they finish (`chains.local.serving`)."""
        from chains.local.serving import serve

        self._seed_call()
        return serve(self, pull, **kwargs)

    def _generate(
        self,
        prompts: list[str],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> LLMResult:
        scored = self.generate_scored(prompts, n=int(kwargs.pop("n", 1)), stop=stop, **kwargs)
        return LLMResult(
            generations=[
                [Generation(text=t, generation_info={"logprob": lp}) for t, lp in samples] for samples in scored
            ]
        )

    def _stream(
        self,
        prompt: str,
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[GenerationChunk]:
        from transformers import TextIteratorStreamer

        tokenizer = self.pipeline.tokenizer
        boundary, max_words = kwargs.get("boundary"), kwargs.get("max_words", 1)
        self._seed_call()
        batch = tokenizer([prompt], add_special_tokens=False, return_tensors="pt")
        streamer = TextIteratorStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True)
        criteria = answer_end_criteria(tokenizer, batch["input_ids"].shape[1], boundary, stop or (), max_words)
        settings = self._settings(kwargs)
        sources, no_copy = _sources(kwargs, 1)
        if sources is not None:
            settings["logits_processor"].insert(0, no_copy_processor(tokenizer, sources, no_copy))
        failure: list[BaseException] = []

        def run() -> None:
            try:
                self.pipeline.model.generate(
                    **batch,
                    stopping_criteria=criteria,
                    pad_token_id=tokenizer.pad_token_id,
                    streamer=streamer,
                    **settings,
                )
            except BaseException as exc:  # handed to the caller below; end the stream so it is not left waiting
                failure.append(exc)
                streamer.end()

        thread = Thread(target=run)
        thread.start()
        text = ""
        for piece in streamer:
            full = text + piece
            kept = cut_answer(full, boundary, stop or (), max_words)
            new, text = kept[len(text) :], kept
            if new:
                chunk = GenerationChunk(text=new)
                if run_manager:
                    run_manager.on_llm_new_token(new, chunk=chunk)
                yield chunk
            if len(kept) < len(full):
                for _ in streamer:  # drain so the generating thread can finish
                    pass
                break
        thread.join()
        if failure:
            raise failure[0]
