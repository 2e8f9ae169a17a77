"""No-copy decoding: an answer may not continue a run of its source's tokens past `n - 1` tokens, except
to finish the word or character it is in (banned there, a word comes out misspelt, a character broken).

transformers' `EncoderNoRepeatNGramLogitsProcessor` does the banning. It is built from each row's source
text alone: `encoder_no_repeat_ngram_size` would ban every n-gram of the whole prompt (system message,
shots and chat template too), which can keep an answer from ending the way the examples end.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chains.checks.quantities import NUMBER_WORDS, SCALES

# Runs of 5 source tokens may come back ("the room was clean and"); the 6th token that would continue one is banned.
# Chosen by measurement on development sentences (see the README's "No copies" section).
DEFAULT_NO_COPY = 6
# The strongest block a retry may reach: a run of 2 tokens is a common phrase, 1 would ban single words.
MIN_NO_COPY = 3


def _ngrams(token_ids: list[int], n: int) -> dict[tuple[int, ...], list[int]]:
    import torch
    from transformers import EncoderNoRepeatNGramLogitsProcessor

    return EncoderNoRepeatNGramLogitsProcessor(
        n, torch.tensor([token_ids], dtype=torch.long, device="cpu")
    ).generated_ngrams[0]


def source_ngrams(tokenizer: Any, source: str, n: int) -> dict[tuple[int, ...], list[int]]:
    """The continuations to ban after each run of n - 1 source tokens.

    Both tokenisations count: the source at the start of an answer and after a space (mid-line), since
    BPE vocabularies spell a word differently with a leading space.
    """
    banned: dict[tuple[int, ...], list[int]] = {}
    spelt: dict[int, str] = {}
    unspaced: dict[int, int | None] = {}

    def text(token: int) -> str:
        if token not in spelt:
            spelt[token] = tokenizer.decode([token]).strip().lower()
        return spelt[token]

    for spelling in (source.strip(), " " + source.strip()):
        ids = tokenizer(spelling, add_special_tokens=False)["input_ids"]
        for prefix, following in _ngrams(ids, n).items():
            # Nothing after a number is banned (its point, its next digits, its unit), nor any digit or number
            # word: a changed number is a changed fact. Nor the rest of a word: banned there, a name or a word
            # comes out misspelt ("croissnts", "Busin"); the run is cut at the next word instead.
            if _is_number(text(prefix[-1])):
                continue
            kept = [t for t in following if not _is_number(text(t)) and not continues_word(tokenizer, prefix[-1], t)]
            kept += [glued for t in kept if (glued := _unspaced(tokenizer, t, unspaced)) is not None]
            if kept:
                banned[prefix] = sorted(set(banned.get(prefix, [])) | set(kept))
    return banned


def _unspaced(tokenizer: Any, token: int, seen: dict[int, int | None]) -> int | None:
    """The first token of `token`'s word written without its leading space: banned beside it, or the model
    writes the word it may not copy onto the one before ("Vienna toSalzburg")."""
    if token not in seen:
        word = tokenizer.decode([token])
        ids = (
            tokenizer(word[1:], add_special_tokens=False)["input_ids"]
            if word[:1] == " " and word[1:2].isalpha()
            else []
        )
        seen[token] = ids[0] if ids and ids[0] != token else None
    return seen[token]


def continues_word(tokenizer: Any, previous: int, token: int) -> bool:
    """Whether `token` goes on with the word `previous` ends in ("croiss" + "ants"), or with the character whose
    first bytes `previous` holds (a Hangul syllable in two tokens)."""
    first = tokenizer.decode([previous])
    if first.endswith("\ufffd"):
        return True
    rest = tokenizer.decode([previous, token])[len(first) :]
    return first[-1:].isalnum() and rest[:1].isalnum()


def _is_number(text: str) -> bool:
    return text[:1].isdigit() or text in NUMBER_WORDS or text in SCALES


def no_copy_processor(tokenizer: Any, sources: Sequence[str], n: int) -> Any:
    """An `EncoderNoRepeatNGramLogitsProcessor` with one row per source; call it with the answer's tokens so far."""
    import torch
    from transformers import EncoderNoRepeatNGramLogitsProcessor

    if n < 2:
        raise ValueError(f"a no-copy n-gram size must be 2 or more, got {n}")
    processor = EncoderNoRepeatNGramLogitsProcessor(n, torch.zeros((len(sources), 0), dtype=torch.long, device="cpu"))
    banned = {source: source_ngrams(tokenizer, source, n) for source in set(sources)}
    processor.generated_ngrams = [banned[source] for source in sources]
    return processor


def banned_after(tokens: list[int], banned: dict[tuple[int, ...], list[int]] | None, n: int) -> list[int]:
    """The tokens an answer may not take next after `tokens`: those continuing a run of its source (`source_ngrams`)."""
    if banned and len(tokens) >= n - 1:
        return banned.get(tuple(tokens[len(tokens) - n + 1 :]), [])
    return []
