"""No-copy decoding on the real model: a source cannot come back verbatim, even greedy, on every path."""

import pytest

from chains import GenerationSettings, build_chain, build_prompt, load_task
from chains.chain import sample, texts
from chains.checks.dedup import dedup_key
from chains.local.nocopy import continues_word, no_copy_processor, source_ngrams
from chains.prompts import renderer_for

pytestmark = pytest.mark.integration
# Sentences the embedded model copies word for word when it decodes greedily without the block.
SOURCES = ["The room was clean and quiet.", "I forgot my umbrella at the office yesterday."]


def longest_source_run(tokenizer, answer: str, source: str) -> int:
    """The longest run of the answer's tokens that also stands, in that order, in the source's tokens."""
    a = tokenizer(answer, add_special_tokens=False)["input_ids"]
    best = 0
    for variant in (source, " " + source):
        s = tokenizer(variant, add_special_tokens=False)["input_ids"]
        for i in range(len(a)):
            for j in range(len(s)):
                k = 0
                while i + k < len(a) and j + k < len(s) and a[i + k] == s[j + k]:
                    k += 1
                best = max(best, k)
    return best


def test_greedy_decoding_copies_without_the_block_and_cannot_with_it(embedded_llm):
    task = load_task("paraphrase")
    render = build_prompt(task) | renderer_for(embedded_llm)
    prompts = render.batch([{"text": s} for s in SOURCES])
    plain = texts(sample(task, embedded_llm, prompts, do_sample=False))
    assert any(dedup_key(a[0]) == dedup_key(s) for a, s in zip(plain, SOURCES))  # the test can fail
    tokenizer = embedded_llm.pipeline.tokenizer
    for n in (5, 3):
        blocked = texts(sample(task, embedded_llm, prompts, sources=SOURCES, do_sample=False, no_copy=n))
        for (answer,), source in zip(blocked, SOURCES):
            assert answer.strip() and dedup_key(answer) != dedup_key(source)
            assert longest_source_run(tokenizer, answer, source) < n, answer


def test_the_chain_streams_and_invokes_without_copying(embedded_llm):
    greedy = load_task("paraphrase").model_copy(update={"generation": GenerationSettings(do_sample=False)})
    chain = build_chain(greedy, embedded_llm)
    source = SOURCES[0]
    streamed = "".join(chain.stream({"text": source}))
    assert streamed and dedup_key(streamed) != dedup_key(source)
    assert dedup_key(chain.invoke({"text": source})) != dedup_key(source)


def test_the_processor_bans_the_next_source_token_per_row(embedded_llm):
    import torch

    tokenizer = embedded_llm.pipeline.tokenizer
    ids = [tokenizer(s, add_special_tokens=False)["input_ids"] for s in SOURCES]
    processor = no_copy_processor(tokenizer, SOURCES, 3)
    scores = torch.zeros((2, len(tokenizer)))
    history = torch.tensor([ids[0][:2], ids[1][:2]])
    banned = processor(history, scores)
    assert banned[0, ids[0][2]] == float("-inf") and banned[1, ids[1][2]] == float("-inf")
    assert (banned[0] == float("-inf")).sum() == len(source_ngrams(tokenizer, SOURCES[0], 3)[tuple(ids[0][:2])])


def test_a_number_and_the_word_after_it_are_never_banned(embedded_llm):
    tokenizer = embedded_llm.pipeline.tokenizer
    source = "The ferry to Jeju leaves at 7:30 AM and takes about four hours."
    banned = source_ngrams(tokenizer, source, 3)
    spelt = {
        tuple(tokenizer.decode([t]).strip() for t in prefix): {tokenizer.decode([t]).strip() for t in after}
        for prefix, after in banned.items()
    }
    for prefix, after in spelt.items():
        assert not any(a[:1].isdigit() for a in after), (prefix, after)  # "7:3" may go on to "0"
        assert prefix[-1] not in ("four",) and not prefix[-1][:1].isdigit(), prefix  # nor "four" to "hours"
    assert any(after for after in spelt.values())  # the words around the numbers are still blocked


def test_the_rest_of_a_word_is_never_banned(embedded_llm):
    tokenizer = embedded_llm.pipeline.tokenizer
    source = "The bakery in Gwangju sold out of croissants by 8 AM yesterday morning."
    ids = tokenizer(source, add_special_tokens=False)["input_ids"]
    pieces = [i for i in range(3, len(ids)) if continues_word(tokenizer, ids[i - 1], ids[i])]
    assert pieces  # the source has words of several tokens: the test can fail
    banned = source_ngrams(tokenizer, source, 3)
    for i in pieces:
        assert ids[i] not in banned.get(tuple(ids[i - 2 : i]), [])
    for prefix, following in banned.items():  # what goes on from a word is only a banned word written onto it
        spaced = {tokenizer.decode([t])[1:] for t in following if tokenizer.decode([t]).startswith(" ")}
        for t in following:
            if continues_word(tokenizer, prefix[-1], t):
                assert any(word.startswith(tokenizer.decode([t])) for word in spaced), tokenizer.decode([t])
    assert any(banned.values())


def test_a_character_in_several_tokens_is_never_cut(embedded_llm):
    tokenizer = embedded_llm.pipeline.tokenizer
    source = "스타트렉은 영원히 계속 되어야만 한다."
    ids = tokenizer(source, add_special_tokens=False)["input_ids"]
    assert any(tokenizer.decode([i]).endswith("\ufffd") for i in ids)  # Hangul in byte pieces: the test can fail
    banned = source_ngrams(tokenizer, source, 3)
    assert not any(tokenizer.decode([prefix[-1]]).endswith("\ufffd") for prefix, after in banned.items() if after)


def test_a_banned_word_is_banned_written_onto_the_word_before_too(embedded_llm):
    tokenizer = embedded_llm.pipeline.tokenizer
    source = "The train from Vienna to Salzburg runs every hour."
    banned = source_ngrams(tokenizer, source, 3)
    after_to = {
        tokenizer.decode([t])
        for prefix, following in banned.items()
        if tokenizer.decode(list(prefix)).endswith("Vienna to")
        for t in following
    }
    spaced = {word for word in after_to if word.startswith(" ")}
    assert spaced  # the test can fail: the source's next word is banned after "Vienna to"
    assert {word.strip() for word in spaced} <= after_to  # and so is its first token written without the space
