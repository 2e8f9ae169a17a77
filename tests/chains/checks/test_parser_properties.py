"""Property tests: any raw text either parses to a value of the kind or raises OutputParserException."""

from hypothesis import given, settings
from hypothesis import strategies as st
from langchain_core.exceptions import OutputParserException

from chains.checks.parsers import LabelParser, SentenceParser, SentencesParser, WordParser
from tests.kinds import check

PARSERS = [
    ("word", WordParser()),
    ("sentence", SentenceParser()),
    ("sentences", SentencesParser()),
    ("label", LabelParser(classes=["positive", "negative", "긍정", "부정"])),
    ("word", WordParser(language="ko")),
    ("sentence", SentenceParser(language="ko")),
    ("sentences", SentencesParser(language="en")),
]
PIECES = [
    "Sure!",
    "Here is one:",
    "Answer:",
    "답:",
    "1.",
    "- ",
    "• ",
    "\n",
    "\n\n",
    " ",
    ".",
    "?",
    "!",
    ":",
    '"',
    "“",
    "”",
    "「",
    "」",
    "**",
    "(",
    ")",
    "<|im_end|>",
    "positive",
    "Negative",
    "긍정",
    "부정입니다",
    "김치찌개",
    "Ramen",
    "The room was clean",
    "배고파요",
    "I hope this helps!",
    "네, 알겠습니다.",
    "\t",
    "0",
    "...",
    "\ufffd",
    "ㅋ",
    "ㅁ",
    "’",
    "'",
]
adversarial = st.lists(st.sampled_from(PIECES), max_size=12).map("".join)
raw_text = st.one_of(
    st.text(max_size=200), adversarial, st.text(alphabet=st.sampled_from("ab가나 .!?\n:-\"'"), max_size=60)
)


@settings(max_examples=1500, deadline=None)
@given(raw_text)
def test_parsers_accept_only_their_kind_and_raise_only_parser_errors(raw):
    for kind, parser in PARSERS:
        try:
            value = parser.parse(raw)
        except OutputParserException as exc:
            assert exc.llm_output == raw
            continue
        assert check(kind, value, parser.classes if kind == "label" else ()), (kind, raw, value)
