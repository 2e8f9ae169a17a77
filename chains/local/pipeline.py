"""A HuggingFacePipeline that batches on the model, ends answers at their kind's boundary and returns every sample."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from threading import RLock, Thread
from typing import Any, ClassVar

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.outputs import Generation, GenerationChunk, LLMResult
from langchain_huggingface import HuggingFacePipeline
from pydantic import Field, PrivateAttr

from chains.answering import Answering, Answers, Request, Serving
from chains.local.clock import DecodeClock
from chains.local.decoding import input_device
from chains.local.generic import encode, generate_kwargs
from chains.local.serving import serve
from chains.local.stopping import cut_answer


class LocalPipeline(Serving, HuggingFacePipeline):
    """Generates for many prompts on its own decoder (`chains.local.slots`), on whatever device the model is.

    Unlike its parent it computes the prompts' shared prefix (system message and few-shot turns) once
    and reuses its key/value cache; ends each sequence at `stop` or at the boundary of the answer kind
    (`boundary=`) inside generation; returns all `n` samples of a prompt; keeps a decode slot busy by
    refilling it as soon as its answer ends (`serve`); and seeds each call so a run is reproducible.
    A model the slot decoder does not drive exactly is decoded by transformers' `generate`, with the same settings.
    """

    task_settings: ClassVar[bool] = True
    """Calls take `n`, an answer `boundary`, `sources` and decoding settings (see `chains.chain.sample`)."""
    generation: dict[str, Any] = Field(default_factory=dict)
    """Decoding settings given when the model was loaded; a call's own settings override them."""
    seed: int | None = None
    """Base seed: call k of this object is seeded with `seed + k`."""
    _calls: int = PrivateAttr(default=0)
    _prefix_cache: dict = PrivateAttr(default_factory=dict)
    _clock: DecodeClock = PrivateAttr(default_factory=DecodeClock)
    # One call decodes at a time: LangChain's `batch` calls from a thread pool, and concurrent forward
    # passes of one model on a CPU were seen to corrupt later answers (reentrant: a judge on the same model
    # may be called between a run's answers, on the same thread).
    _lock: RLock = PrivateAttr(default_factory=RLock)

    @property
    def clock(self) -> DecodeClock:
        """Prefill and decode seconds and tokens of every `serve` call so far (`reset()` to start again)."""
        return self._clock

    @property
    def _llm_type(self) -> str:
        return "synthaug_local_pipeline"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_id": self.model_id, "generation": self.generation, "batch_size": self.batch_size}

    def _seed_call(self, seed: int | None = None) -> None:
        """Seeds one call's sampling: with `seed` where the caller names one, so the call gives the same answers
        whatever ran before it (a judge's votes); else with the model's seed plus the calls so far."""
        if seed is not None or self.seed is not None:
            import torch

            torch.manual_seed(seed if seed is not None else self.seed + self._calls)
        self._calls += 1

    def serve(
        self, pull: Callable[[], Request | None], group: int = 8, slots: int | None = None, **kwargs: Any
    ) -> Iterator[Answers]:
        """Continuous batching: answers for requests pulled one at a time, as they finish (`chains.local.serving`).

        `kwargs` are a call's settings: decoding knobs, `boundary`, `max_words`, `stop`, `no_copy` and `seed`.
        """
        with self._lock:
            self._seed_call(kwargs.pop("seed", None))
            how = Answering.of(self.generation, kwargs)
            model, tokenizer = self.pipeline.model, self.pipeline.tokenizer
            slots = slots or self.batch_size
            yield from serve(model, tokenizer, pull, how, slots, group, self._prefix_cache, self._clock)

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
        """Streams on transformers' `generate` (`chains.local.generic`), with the same settings and answer end."""
        from transformers import TextIteratorStreamer

        with self._lock:
            tokenizer, model = self.pipeline.tokenizer, self.pipeline.model
            how = Answering.of(self.generation, {**kwargs, "stop": stop})
            self._seed_call()
            batch = encode(tokenizer, [prompt], input_device(model))
            streamer = TextIteratorStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True)
            source = kwargs.get("source")
            settings = generate_kwargs(
                tokenizer, batch["input_ids"].shape[1], how, None if source is None else [source]
            )
            failure: list[BaseException] = []

            def run() -> None:
                try:
                    model.generate(**batch, streamer=streamer, **settings)
                except BaseException as exc:  # handed to the caller below; end the stream so it is not left waiting
                    failure.append(exc)
                    streamer.end()

            thread = Thread(target=run)
            thread.start()
            text = ""
            for piece in streamer:
                full = text + piece
                kept = cut_answer(full, how.boundary, how.stop, how.max_words, how.labels)
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
