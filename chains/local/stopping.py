"""Where an answer of each output kind ends, so generation can stop there instead of running on."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from chains.checks.cleaning import is_chatter, is_preamble, label_key, not_an_abbreviation

LINE_KINDS = ("word", "label", "sentence")
_SENTENCE_END = re.compile(rf"(?:[!?。？！]|{not_an_abbreviation()}\.)[\"'”’」』)]*(?=\s)")
_LABEL_END = re.compile(r"(?<=\S)[.,;!](?=\s|$)")
_TOKEN = re.compile(r"\S+")
# Tokens that come before a word answer without being it: "Answer:", "1.", "-", "Sure!"
_LEAD_TOKEN = re.compile(r".*[:：]$|^(?:\d{1,2}[.)]|[-*•·])$")


def answer_end(
    text: str, kind: str | None = None, stop: Sequence[str] = (), max_words: int = 1, labels: Sequence[str] = ()
) -> int | None:
    """The index at which the answer in `text` ends (keep `text[:index]`), or None if it may go on.

    Stop strings end it where they start; a word, label or sentence also ends at the end of its first
    line that is not an introduction; a sentence at its end; a word after `max_words` words; a label as
    soon as it is one of `labels` that no other label goes on from.
    """
    ends = [i for i in (text.find(s) for s in stop) if i != -1]
    if kind in LINE_KINDS:
        position = 0
        for line in text.splitlines(keepends=True):
            content = line.rstrip("\r\n")
            if content != line and content.strip() and not is_preamble(content):
                ends.append(position + len(content))
                break
            position += len(line)
    if kind == "sentence":
        for match in _SENTENCE_END.finditer(text):
            if not is_chatter(text[: match.end()]) and not is_preamble(text[: match.end()]):
                ends.append(match.end())
                break
    elif kind == "label":
        if match := _LABEL_END.search(text):
            ends.append(match.start())
        if labels and _whole_label(text, labels):
            ends.append(len(text.rstrip()))
    elif kind == "word":
        words = [m for m in _TOKEN.finditer(text) if not _LEAD_TOKEN.match(m.group()) and not is_chatter(m.group())]
        if len(words) >= max_words and words[max_words - 1].end() < len(text):
            ends.append(words[max_words - 1].end())
    return min(ends) if ends else None


def _whole_label(text: str, labels: Sequence[str]) -> bool:
    """Whether `text` is a whole label, so the model need not be asked for the token that ends it (on a
    2-core CPU each decode step of a label judge's 40 votes takes seconds)."""
    key = label_key(text)
    keys = {label_key(label) for label in labels}
    return key in keys and not any(other != key and other.startswith(key) for other in keys)


def cut_answer(
    text: str, kind: str | None = None, stop: Sequence[str] = (), max_words: int = 1, labels: Sequence[str] = ()
) -> str:
    """`text` up to the end of its answer."""
    end = answer_end(text, kind, stop, max_words, labels)
    return text if end is None else text[:end]


def answer_ended(
    tokenizer: Any, kind: str | None, stop: Sequence[str], max_words: int, labels: Sequence[str] = ()
) -> Callable[[list[int]], bool]:
    """Whether an answer's tokens so far already hold a whole answer of `kind` (for the decode loops)."""
    return lambda tokens: (
        answer_end(tokenizer.decode(tokens, skip_special_tokens=True), kind, stop, max_words, labels) is not None
    )


def scored_answers(
    tokenizer: Any,
    tokens: list[list[int]],
    sums: list[float],
    kind: str | None,
    stop: Sequence[str],
    max_words: int,
    labels: Sequence[str] = (),
) -> list[tuple[str, float]]:
    """Each answer's text cut where its kind ends, with its mean token log-probability."""
    texts = tokenizer.batch_decode(tokens, skip_special_tokens=True)
    return [
        (cut_answer(t, kind, stop, max_words, labels), total / max(1, len(ids)))
        for t, ids, total in zip(texts, tokens, sums)
    ]


def answer_end_criteria(
    tokenizer: Any, prompt_width: int, kind: str | None, stop: Sequence[str], max_words: int, labels: Sequence[str] = ()
) -> Any:
    """A transformers StoppingCriteria that ends each sequence of a batch once its answer is complete."""
    import torch
    from transformers import StoppingCriteria, StoppingCriteriaList

    class AnswerEnd(StoppingCriteria):
        def __call__(self, input_ids: torch.LongTensor, scores: Any, **kwargs: Any) -> torch.BoolTensor:
            texts = tokenizer.batch_decode(input_ids[:, prompt_width:], skip_special_tokens=True)
            done = [answer_end(t, kind, stop, max_words, labels) is not None for t in texts]
            return torch.tensor(done, dtype=torch.bool, device=input_ids.device)

    return StoppingCriteriaList([AnswerEnd()])
