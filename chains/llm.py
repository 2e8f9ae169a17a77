"""A HuggingFacePipeline that batches on the model, honours `stop` in batches and returns every sample."""

from __future__ import annotations

from collections.abc import Iterator
from threading import Thread
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.outputs import Generation, GenerationChunk, LLMResult
from langchain_huggingface import HuggingFacePipeline
from pydantic import Field, PrivateAttr

# Knobs a call may set; everything else in kwargs is ignored as LangChain's own plumbing.
GENERATION_KEYS = ("max_new_tokens", "temperature", "top_p", "do_sample")


def cut_at_stop(text: str, stop: list[str] | None) -> str:
    """`text` up to the first stop string, as LangChain's stop contract asks."""
    for s in stop or ():
        index = text.find(s)
        if index != -1:
            text = text[:index]
    return text


class LocalPipeline(HuggingFacePipeline):
    """Generates for many prompts in length-sorted, left-padded batches through `model.generate`.

    Unlike its parent it stops each sequence at `stop` inside generation (batched too), returns all
    `n` samples of a prompt, and is seeded per call so a run is reproducible.
    """

    generation: dict[str, Any] = Field(default_factory=dict)
    """Decoding settings given when the model was loaded; a call's own settings override them."""
    seed: int | None = None
    """Base seed: call k of this object is seeded with `seed + k`."""
    _calls: int = PrivateAttr(default=0)
    _stop_criteria: dict[tuple[str, ...], Any] = PrivateAttr(default_factory=dict)

    @property
    def _llm_type(self) -> str:
        return "synthaug_local_pipeline"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_id": self.model_id, "generation": self.generation, "batch_size": self.batch_size}

    def _settings(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        settings = {**self.generation, **{k: kwargs[k] for k in GENERATION_KEYS if kwargs.get(k) is not None}}
        settings.setdefault("max_new_tokens", 64)
        if not settings.get("do_sample", False):
            settings.pop("temperature", None)
            settings.pop("top_p", None)
            settings["do_sample"] = False
        return settings

    def _stopping(self, stop: list[str] | None) -> Any:
        if not stop:
            return None
        key = tuple(stop)
        if key not in self._stop_criteria:  # building one scans the vocabulary: do it once per stop set
            from transformers import StopStringCriteria, StoppingCriteriaList

            self._stop_criteria[key] = StoppingCriteriaList([StopStringCriteria(self.pipeline.tokenizer, list(key))])
        return self._stop_criteria[key]

    def _seed_call(self) -> None:
        if self.seed is not None:
            import torch

            torch.manual_seed(self.seed + self._calls)
        self._calls += 1

    def _model_generate(self, input_ids: Any, attention_mask: Any, settings: dict[str, Any], stop: list[str] | None, **extra: Any) -> Any:
        import torch

        tokenizer = self.pipeline.tokenizer
        with torch.inference_mode():
            return self.pipeline.model.generate(
                input_ids=input_ids,
                attention_mask=attention_mask,
                stopping_criteria=self._stopping(stop),
                pad_token_id=tokenizer.pad_token_id,
                **settings,
                **extra,
            )

    def generate_texts(self, prompts: list[str], n: int = 1, stop: list[str] | None = None, **kwargs: Any) -> list[list[str]]:
        """`n` completions for each prompt, in prompt order; the batched core of `_generate`."""
        tokenizer = self.pipeline.tokenizer
        settings = self._settings(kwargs)
        self._seed_call()
        encoded = tokenizer(prompts, add_special_tokens=False)["input_ids"]
        order = sorted(range(len(prompts)), key=lambda i: len(encoded[i]))
        results: list[list[str]] = [[] for _ in prompts]
        for start in range(0, len(order), self.batch_size):
            chunk = order[start : start + self.batch_size]
            batch = tokenizer.pad({"input_ids": [encoded[i] for i in chunk]}, padding=True, return_tensors="pt")
            # Greedy decoding gives one answer per prompt; it is repeated rather than recomputed.
            per_prompt = n if settings["do_sample"] else 1
            output = self._model_generate(
                batch["input_ids"], batch["attention_mask"], settings, stop, num_return_sequences=per_prompt
            )
            texts = tokenizer.batch_decode(output[:, batch["input_ids"].shape[1] :], skip_special_tokens=True)
            for j, i in enumerate(chunk):
                samples = [cut_at_stop(t, stop) for t in texts[j * per_prompt : (j + 1) * per_prompt]]
                results[i] = samples * (n // per_prompt)
        return results

    def _generate(
        self,
        prompts: list[str],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> LLMResult:
        texts = self.generate_texts(prompts, n=int(kwargs.get("n", 1)), stop=stop, **kwargs)
        return LLMResult(generations=[[Generation(text=t) for t in samples] for samples in texts])

    def _stream(
        self,
        prompt: str,
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[GenerationChunk]:
        from transformers import TextIteratorStreamer

        tokenizer = self.pipeline.tokenizer
        self._seed_call()
        batch = tokenizer([prompt], add_special_tokens=False, return_tensors="pt")
        streamer = TextIteratorStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True)
        failure: list[BaseException] = []

        def run() -> None:
            try:
                self._model_generate(
                    batch["input_ids"], batch["attention_mask"], self._settings(kwargs), stop, streamer=streamer
                )
            except BaseException as exc:  # handed to the caller below; end the stream so it is not left waiting
                failure.append(exc)
                streamer.end()

        thread = Thread(target=run)
        thread.start()
        text = ""
        for piece in streamer:
            full = text + piece
            kept = cut_at_stop(full, stop)
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
