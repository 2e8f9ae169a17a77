"""Where answers end, per output kind, and the batched stopping criteria built on it."""

import pytest

from chains.local.decoding import shared_prefix
from chains.local.stopping import answer_end, cut_answer

# (kind, generated text so far, max_words, kept answer or None while it may go on)
CASES = [
    ("word", "Ramen", 1, None),
    ("word", "Ramen is", 1, "Ramen"),
    ("word", "Ramen\nIt is", 1, "Ramen"),
    ("word", "Answer: Ramen ", 1, "Answer: Ramen"),
    ("word", "1. Tacos\n", 1, "1. Tacos"),
    ("word", "Sure! Sushi and", 1, "Sure! Sushi"),
    ("word", "kimchi stew is", 2, "kimchi stew"),
    ("word", "\n\n김치찌개 ", 1, "\n\n김치찌개"),
    ("label", "positive", 1, None),
    ("label", "Positive. The guest", 1, "Positive"),
    ("label", "negative\n", 1, "negative"),
    ("label", "긍정, 왜냐하면", 1, "긍정"),
    ("sentence", "The bed was soft", 1, None),
    ("sentence", "The bed was soft. The room", 1, "The bed was soft."),
    ("sentence", "The bed was soft\nThis means", 1, "The bed was soft"),
    ("sentence", "Sure! The bed was soft. It", 1, "Sure! The bed was soft."),
    ("sentence", "Here is a paraphrase:\nThe bed was soft.\n", 1, "Here is a paraphrase:\nThe bed was soft."),
    ("sentence", '"The bed was soft." This', 1, '"The bed was soft."'),
    ("sentence", "배고파요. 밥", 1, "배고파요."),
    ("sentence", "\nThe view was great", 1, None),
    ("sentences", "1. I'm hungry.\n2. Let's eat.\n", 1, None),
    (None, "anything at all\n", 1, None),
]


@pytest.mark.parametrize(("kind", "text", "max_words", "kept"), CASES)
def test_answer_end(kind, text, max_words, kept):
    end = answer_end(text, kind, max_words=max_words)
    assert (None if end is None else text[:end]) == kept


@pytest.mark.parametrize(
    ("text", "labels", "kept"),
    [
        ("positive", ["negative", "positive"], "positive"),  # a whole class: no token needed to end it
        ("Positive ", ["negative", "positive"], "Positive"),
        ("pos", ["negative", "positive"], None),
        ("neg", ["neg", "negative"], None),  # another class goes on from it
        ("negative", ["neg", "negative"], "negative"),
        ("Not Spam", ["spam", "not spam"], "Not Spam"),
        ("긍정", ["긍정", "부정"], "긍정"),
        ("positive", [], None),
    ],
)
def test_a_label_ends_as_soon_as_it_is_a_whole_class(text, labels, kept):
    end = answer_end(text, "label", labels=labels)
    assert (None if end is None else text[:end]) == kept


def test_stop_strings_end_the_answer_where_they_start():
    assert cut_answer("one two ### three", None, ["###"]) == "one two "
    assert cut_answer("a\nb", "sentences", ["\n"]) == "a"
    assert cut_answer("The bed. X ###", "sentence", ["###"]) == "The bed."


def test_criteria_stop_each_sequence_of_a_batch_on_its_own():
    import torch

    from chains.local.stopping import answer_end_criteria

    class CharTokenizer:
        def batch_decode(self, ids, skip_special_tokens=True):
            return ["".join(chr(i) for i in row if i) for row in ids.tolist()]

    prompt = [ord("P")] * 3
    rows = [prompt + [ord(c) for c in "Ramen is"], prompt + [0, 0] + [ord(c) for c in "Sushi"] + [0]]
    criteria = answer_end_criteria(CharTokenizer(), 3, "word", (), 1)
    assert criteria(torch.tensor(rows), None).tolist() == [True, False]


def test_shared_prefix_leaves_each_prompt_a_token_of_its_own():
    assert shared_prefix([[1, 2, 3, 4], [1, 2, 3, 5], [1, 2, 9]]) == [1, 2]
    assert shared_prefix([[1, 2, 3], [1, 2, 3]]) == [1, 2]
    assert shared_prefix([[7], [7, 8]]) == []


def test_a_sentence_does_not_end_after_a_title_or_an_initial():
    assert cut_answer("Dr. Kim saw 14 patients. Then more.", "sentence") == "Dr. Kim saw 14 patients."
    assert cut_answer("J. K. Rowling met Mr. Lee. Yes.", "sentence") == "J. K. Rowling met Mr. Lee."
