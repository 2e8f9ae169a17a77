"""Parser verdicts, table-driven: what each kind accepts, and the reason it gives for what it rejects."""

import pytest
from langchain_core.exceptions import OutputParserException

from chains.checks.parsers import LabelParser, RefusedAnswer, SentenceParser, SentencesParser, WordParser, parser_for
from chains.task import available_languages, available_tasks, load_task

EN = ["positive", "negative"]
KO = ["긍정", "부정"]

# (parser, raw model text, expected value or None, expected reason when rejected)
CASES = [
    # word, English
    (WordParser(), "Ramen", "Ramen", None),
    (WordParser(), "  Bibimbap.\n", "Bibimbap", None),
    (WordParser(), "Sure! Here is one:\nMalatang", "Malatang", None),
    (WordParser(), 'Answer: "Sushi"', "Sushi", None),
    (WordParser(), "1. Tacos\n2. Pizza", "Tacos", None),
    (WordParser(), "Pizza\nIt is quick and cheap to make.", "Pizza", None),
    (WordParser(), "I would recommend a warm bowl of soup", None, "expected one word, got 8 words"),
    (WordParser(), "", None, "empty answer"),
    (WordParser(), "42", None, "expected a word, got '42'"),
    (WordParser(max_words=2), "kimchi stew", "kimchi stew", None),
    (WordParser(max_words=2), "spicy kimchi stew", None, "expected at most 2 words, got 3 words"),
    # word, Korean
    (WordParser(), "김치찌개", "김치찌개", None),
    (WordParser(), "김치찌개.", "김치찌개", None),
    (WordParser(), "「마라탕」", "마라탕", None),
    (WordParser(), "답: 라면", "라면", None),
    (WordParser(), "네, 알겠습니다.\n비빔밥", "비빔밥", None),
    (WordParser(), "- 떡볶이\n- 순대", "떡볶이", None),
    (WordParser(), "오늘은 김치찌개 어때요", None, "expected one word, got 3 words"),
    (WordParser(), "김치찌개/라면", None, "expected a word, got '김치찌개/라면'"),
    (WordParser(max_words=2), "김치 찌개", "김치 찌개", None),
    # sentence, English
    (
        SentenceParser(),
        "The bed was comfy and the room was spotless.",
        "The bed was comfy and the room was spotless.",
        None,
    ),
    (SentenceParser(), '"The staff were kind."', "The staff were kind.", None),
    (SentenceParser(), "Sure! Here's a paraphrase: The pool was closed.", "The pool was closed.", None),
    (
        SentenceParser(),
        "Here is a new sentence:\nThe lobby smelled of fresh flowers.",
        "The lobby smelled of fresh flowers.",
        None,
    ),
    (SentenceParser(), "The room was small.\nThis keeps the same meaning.", "The room was small.", None),
    (SentenceParser(), "The room was small. (This keeps the meaning.)", "The room was small.", None),
    (SentenceParser(), "City Council Approves New Bike Lanes", "City Council Approves New Bike Lanes", None),
    (SentenceParser(), "The room was small. The view was great.", None, "expected one sentence, got 2 sentences"),
    (SentenceParser(), "Here is the sentence:", None, "empty answer"),
    (
        SentenceParser(),
        "The new sentence reads as follows:",
        None,
        "expected a sentence, got an introduction ending in ':'",
    ),
    (SentenceParser(), "...", None, "expected a sentence, got no words"),
    (
        SentenceParser(max_words=5),
        "This sentence has far too many words to be accepted here.",
        None,
        "expected at most 5 words, got 11",
    ),
    # sentence, Korean
    (SentenceParser(), "배고파요.", "배고파요.", None),
    (SentenceParser(), "문장: 침대가 편안했고 객실도 청결했어요.", "침대가 편안했고 객실도 청결했어요.", None),
    (SentenceParser(), "“조식이 정말 맛있었어요.”", "조식이 정말 맛있었어요.", None),
    (SentenceParser(), "물론입니다!\n직원들이 아주 친절했어요.", "직원들이 아주 친절했어요.", None),
    (
        SentenceParser(),
        "서울시, 도심 자전거 전용도로 확대 계획 발표",
        "서울시, 도심 자전거 전용도로 확대 계획 발표",
        None,
    ),
    (SentenceParser(), "방이 좁았어요. 하지만 전망은 좋았어요.", None, "expected one sentence, got 2 sentences"),
    (SentenceParser(), "새로운 문장:", None, "empty answer"),
    (SentenceParser(), "!!!", None, "expected a sentence, got no words"),
    # sentences, English and Korean
    (
        SentencesParser(),
        "1. I'm starving.\n2. Is there any food left?\n3. Let's eat now.",
        ["I'm starving.", "Is there any food left?", "Let's eat now."],
        None,
    ),
    (
        SentencesParser(),
        "Sure! Here are three:\n- I'm tired.\n- I need coffee.\nI hope this helps!",
        ["I'm tired.", "I need coffee."],
        None,
    ),
    (SentencesParser(), "I'm hungry. Let's eat.", ["I'm hungry.", "Let's eat."], None),
    (SentencesParser(), "1. ...\n2. ???", None, "expected a sentence, got no words (item 1)"),
    (
        SentencesParser(),
        "1. 배고파요.\n2. 밥 먹으러 가자.\n3. 냉장고에 뭐 있어?",
        ["배고파요.", "밥 먹으러 가자.", "냉장고에 뭐 있어?"],
        None,
    ),
    (
        SentencesParser(),
        "네, 여기 있습니다.\n• 너무 졸려요.\n• 커피가 필요해요.",
        ["너무 졸려요.", "커피가 필요해요."],
        None,
    ),
    (SentencesParser(), "", None, "empty answer"),
    # label, English
    (LabelParser(classes=EN), "positive", "positive", None),
    (LabelParser(classes=EN), "  Positive.", "positive", None),
    (LabelParser(classes=EN), "Label: NEGATIVE", "negative", None),
    (LabelParser(classes=EN), "Negative. The guest complains about noise.", "negative", None),
    (LabelParser(classes=EN), "neutral", None, "expected one of positive, negative; got 'neutral'"),
    (
        LabelParser(classes=EN),
        "positive or negative",
        None,
        "expected one of positive, negative; got 'positive or negative'",
    ),
    (LabelParser(classes=["very good", "bad"]), "Very  Good", "very good", None),
    # label, Korean
    (LabelParser(classes=KO), "긍정", "긍정", None),
    (LabelParser(classes=KO), "레이블: 부정", "부정", None),
    (LabelParser(classes=KO), "긍정입니다.", "긍정", None),
    (LabelParser(classes=KO), "'부정'", "부정", None),
    (LabelParser(classes=KO), "중립", None, "expected one of 긍정, 부정; got '중립'"),
    (LabelParser(classes=KO), "긍정적", None, "expected one of 긍정, 부정; got '긍정적'"),
    (LabelParser(classes=KO), "긍정 또는 부정", None, "expected one of 긍정, 부정; got '긍정 또는 부정'"),
    (LabelParser(classes=KO), "**부정**", "부정", None),
    (LabelParser(classes=KO), "", None, "empty answer"),
    # more Korean chatter and rejections
    (WordParser(), "정답: 비빔밥\n점심으로 든든해요.", "비빔밥", None),
    (WordParser(), "1) 냉면", "냉면", None),
    (WordParser(), "김치찌개와 공깃밥", None, "expected one word, got 2 words"),
    (
        SentenceParser(),
        "제목: 동네 빵집, 전국 제빵 대회에서 대상 수상",
        "동네 빵집, 전국 제빵 대회에서 대상 수상",
        None,
    ),
    (SentenceParser(), "**직원들이 정말 친절했어요!**", "직원들이 정말 친절했어요!", None),
    (SentenceParser(), "방이 깨끗했어요? 네. 아주요.", None, "expected one sentence, got 3 sentences"),
    (SentenceParser(max_words=3), "이 문장은 세 단어보다 훨씬 더 깁니다.", None, "expected at most 3 words, got 7"),
    (SentencesParser(), "1) 졸려요.\n2) 숙제가 너무 많아요!", ["졸려요.", "숙제가 너무 많아요!"], None),
    (SentencesParser(), "1. 배고파요.\n2. ???", None, "expected a sentence, got no words (item 2)"),
    (SentencesParser(max_words=2), "- 오늘 정말 너무 피곤해요.", None, "expected at most 2 words, got 4 (item 1)"),
    (
        SentenceParser(),
        "다음 문장과 의미가 같은 문장은 다음과 같습니다:",
        None,
        "expected a sentence, got an introduction ending in ':'",
    ),
    # inline preambles and quoted answers, as small chat models write them
    (WordParser(), "네, 물론이죠! 김치찌개", "김치찌개", None),
    (WordParser(), '네, 알겠습니다. "김치찌개"', "김치찌개", None),
    (WordParser(), "오늘 점심으로 '김치찌개'를 추천해요!", "김치찌개", None),
    (WordParser(), "좋아요! 「라면」 어떠세요?", "라면", None),
    (WordParser(), "여기 있습니다: 마라탕", "마라탕", None),
    (WordParser(), "추천 메뉴는: 비빔밥", "비빔밥", None),
    (WordParser(), "알겠습니다. 떡볶이", "떡볶이", None),
    (WordParser(), "물론이죠~ 『냉면』", "냉면", None),
    (WordParser(), "네, 오늘은 “짜장면”이 좋겠어요.", "짜장면", None),
    (WordParser(), "'김치찌개'와 '라면' 중에 고르세요", None, "expected one word, got 4 words"),
    (WordParser(), "네 명", None, "expected one word, got 2 words"),
    (WordParser(), "네, 알겠습니다!", None, "expected a word, got only an acknowledgement '알겠습니다'"),
    (WordParser(), "물론이죠! 점심은 든든하게 드세요", None, "expected one word, got 3 words"),
    (SentenceParser(), "네, 여기 있습니다: 방이 아주 깨끗했어요.", "방이 아주 깨끗했어요.", None),
    (SentenceParser(), "물론이죠! 직원들이 정말 친절했어요.", "직원들이 정말 친절했어요.", None),
    (SentenceParser(), '알겠습니다. "조식이 맛있었어요."', "조식이 맛있었어요.", None),
    (SentenceParser(), "좋습니다! 새로운 문장: 수영장이 넓고 깨끗했어요.", "수영장이 넓고 깨끗했어요.", None),
    (
        SentenceParser(),
        "네, 알겠습니다. 방이 좁았어요. 그래도 좋았어요.",
        None,
        "expected one sentence, got 2 sentences",
    ),
    (LabelParser(classes=KO), "네, 긍정입니다.", "긍정", None),
    (LabelParser(classes=KO), "알겠습니다! 「부정」", "부정", None),
    (WordParser(), "I'd suggest 'ramen' today.", "ramen", None),
    (WordParser(), 'Sure, I recommend "pho".', "pho", None),
    (WordParser(), '"Sushi" is my pick', "Sushi", None),
    (WordParser(), "Okay! Tacos", "Tacos", None),
    (WordParser(), 'Try "pad thai" or "ramen".', None, "expected one word, got 5 words"),
    (WordParser(), "Certainly! Here's my pick: Curry", "Curry", None),
    (WordParser(), "Sure!", None, "expected a word, got only an acknowledgement 'Sure'"),
    (SentenceParser(), '"Great," she said, "the room is clean."', '"Great," she said, "the room is clean."', None),
    (SentenceParser(), '"The staff were kind.', "The staff were kind.", None),
    (SentenceParser(), "Don't miss the rooftop bar.", "Don't miss the rooftop bar.", None),
    (SentenceParser(), "Okay. The lobby was quiet.", "The lobby was quiet.", None),
    (LabelParser(classes=EN), 'Sure! "negative"', "negative", None),
]


@pytest.mark.parametrize(
    ("parser", "raw", "expected", "reason"), CASES, ids=[f"{c[0]._type}-{i}" for i, c in enumerate(CASES)]
)
def test_parser_verdict(parser, raw, expected, reason):
    if reason is None:
        assert parser.parse(raw) == expected
    else:
        with pytest.raises(OutputParserException) as info:
            parser.parse(raw)
        assert str(info.value).split("\n")[0] == reason
        assert info.value.llm_output == raw


def test_table_is_large_and_half_korean():
    korean = [c for c in CASES if any("\uac00" <= ch <= "\ud7a3" for ch in c[1] + str(c[2]) + str(c[3]))]
    assert len(CASES) >= 106
    assert len(korean) * 2 >= len(CASES)


def test_label_parser_refuses_classes_equal_ignoring_case():
    with pytest.raises(ValueError, match="distinct"):
        LabelParser(classes=["Good", "good"])


KO_SENTENCE = SentenceParser(language="ko")
DECOMPOSED = "\u1112\u1161\u11ab\u1100\u116e\u11a8 영화 좋아요."
EN_SENTENCE = SentenceParser(language="en")
BROKEN = ("expected whole characters, got U+FFFD, a character cut mid-token", "broken_text")


def not_in(language: str, percent: int, where: str = "") -> tuple[str, str]:
    name, script = {"ko": ("Korean", "Hangul"), "en": ("English", "Latin")}[language]
    return f"expected {name}, got {percent}% {script} letters (at least 60% needed){where}", "language"


def lone(jamo: str) -> tuple[str, str]:
    return f"expected whole Hangul syllables, got the lone jamo {jamo!r}", "broken_text"


def control(code: str) -> tuple[str, str]:
    return f"expected whole characters, got the control character {code}", "broken_text"


# (parser, raw model text, expected value or None, expected reason and kind when rejected)
LANGUAGE_CASES = [
    (KO_SENTENCE, "배우들의 연기가 정말 훌륭했어요.", "배우들의 연기가 정말 훌륭했어요.", None),
    (KO_SENTENCE, "스토리는 뻔했지만 OST는 좋았다.", "스토리는 뻔했지만 OST는 좋았다.", None),  # a short Latin name
    (KO_SENTENCE, "대박 최고였음ㅋㅋㅋㅋ", "대박 최고였음ㅋㅋㅋㅋ", None),  # laughter, as real reviews write it
    (KO_SENTENCE, "3편도 제발 ㅠ", "3편도 제발 ㅠ", None),
    (KO_SENTENCE, "완전 소름 ㄷㄷ", "완전 소름 ㄷㄷ", None),
    (KO_SENTENCE, DECOMPOSED, DECOMPOSED, None),  # Hangul in decomposed jamo
    (KO_SENTENCE, "가심사 대례인 방도관적이자자의 손랐고 직믹이에세무\ufffd", None, BROKEN),
    (KO_SENTENCE, "영화가\x07 좋았어요.", None, control("U+0007")),
    (KO_SENTENCE, "영화가 \ue000좋았어요.", None, control("U+E000")),
    (
        KO_SENTENCE,
        "영화가 좋았어요\ufffc",
        None,
        ("expected whole characters, got U+FFFC, an object placeholder", "broken_text"),
    ),
    (KO_SENTENCE, "방도관ㄹ적이 좋았어요.", None, lone("ㄹ")),
    (KO_SENTENCE, "직원이 ㅁ 친절했어요.", None, lone("ㅁ")),
    (KO_SENTENCE, "The acting was great.", None, not_in("ko", 0)),
    (KO_SENTENCE, "iPhone 15 Pro Max 최고", None, not_in("ko", 14)),
    (KO_SENTENCE, "這部電影很好看。", None, not_in("ko", 0)),
    (KO_SENTENCE, "この映画は最高でした。", None, not_in("ko", 0)),
    (
        KO_SENTENCE,
        "난 화ум이 좋아요.",
        None,
        ("expected Korean, got Cyrillic letters 'ум' in a Hangul text", "language"),
    ),
    (EN_SENTENCE, "The acting was superb.", "The acting was superb.", None),
    (EN_SENTENCE, "The café served crème brûlée.", "The café served crème brûlée.", None),
    (EN_SENTENCE, "We loved the drama 사랑의 불시착 a lot.", "We loved the drama 사랑의 불시착 a lot.", None),
    (EN_SENTENCE, "배우들의 연기가 정말 훌륭했어요.", None, not_in("en", 0)),
    (EN_SENTENCE, "这个酒店很好 hotel", None, not_in("en", 45)),
    (EN_SENTENCE, "Отель был great.", None, not_in("en", 38)),
    (EN_SENTENCE, "The room was gre\ufffd", None, BROKEN),
    (WordParser(language="ko"), "김치찌개", "김치찌개", None),
    (WordParser(language="ko"), "Pizza", None, not_in("ko", 0)),
    (WordParser(language="ko"), "김치ㅉ", None, lone("ㅉ")),
    (WordParser(language="ko"), "라\ufffd", None, BROKEN),
    (WordParser(language="en"), "Ramen", "Ramen", None),
    (WordParser(language="en"), "라면", None, not_in("en", 0)),
    (SentencesParser(language="ko"), "1. 졸려요.\n2. 숙제가 많아요!", ["졸려요.", "숙제가 많아요!"], None),
    (
        SentencesParser(language="ko"),
        "1. 졸려요.\n2. I am hungry.",
        None,
        not_in("ko", 0, " (item 2)"),
    ),
    (SentencesParser(language="ko"), "1. 졸려요\ufffd\n2. 배고파요.", None, (BROKEN[0] + " (item 1)", "broken_text")),
    (LabelParser(classes=KO), "긍정\ufffd", None, BROKEN),
    (LabelParser(classes=EN), "positive", "positive", None),  # a label is a class, whatever the language
    (SentenceParser(), "The acting was great.", "The acting was great.", None),  # no language: script unchecked
    (SentenceParser(), "영화가 좋았어요\ufffd", None, BROKEN),  # ... but characters are
]


@pytest.mark.parametrize(
    ("parser", "raw", "expected", "refusal"),
    LANGUAGE_CASES,
    ids=[f"{c[0]._type}-{c[0].language}-{i}" for i, c in enumerate(LANGUAGE_CASES)],
)
def test_answers_are_whole_text_in_the_task_language(parser, raw, expected, refusal):
    if refusal is None:
        assert parser.parse(raw) == expected
    else:
        with pytest.raises(RefusedAnswer) as info:
            parser.parse(raw)
        assert (str(info.value).split("\n")[0], info.value.kind) == refusal
        assert info.value.llm_output == raw


def test_kind_errors_are_typed_as_parse():
    with pytest.raises(RefusedAnswer) as info:
        SentenceParser(language="ko").parse("방이 좁았어요. 하지만 전망은 좋았어요.")
    assert info.value.kind == "parse" and isinstance(info.value, OutputParserException)


@pytest.mark.parametrize("language", available_languages())
def test_each_task_parser_knows_its_language_and_takes_its_own_examples(language):
    for name in available_tasks(language):
        task = load_task(name, language)
        parser = parser_for(task)
        if task.output == "label":
            continue
        assert parser.language == language
        for example in task.examples:
            answer = task.answer.format(**example) if task.template_format == "f-string" else example["output"]
            parser.parse(answer)


def _labelled(language: str, descriptions: dict[str, str]):
    task = load_task("labeled", language).for_pool(classes=list(descriptions))
    return parser_for(task.model_copy(update={"class_descriptions": descriptions}))


@pytest.mark.parametrize(
    ("language", "raw", "term"),
    [
        # Saved rows of earlier runs, before this check: the model spoke of the prompt instead of answering it.
        ("ko", "죄송합니다, 'conversations' 클래스에 해당하는 예시를 제공하지 못했습니다.", "conversations"),
        ("ko", '"물론, 영화를 좋게 평가한 리뷰"라는 예시를 제공했습니다.', "영화를 좋게 평가한 리뷰"),
        ("en", 'Here is a "Positive" review of the film.', "positive"),
        ("en", "I think the critic liked the film more than most.", "the critic liked the film"),
        ("ko", "오늘 기분이 정말 좋아요.", None),
        ("en", "A positive surprise from start to end.", None),  # a class's word unquoted is content
    ],
)
def test_a_labelled_row_may_not_speak_of_the_prompt(language, raw, term):
    descriptions = {
        "ko": {"conversations": "인사와 안부 같은 일상 대화", "positive": "영화를 좋게 평가한 리뷰"},
        "en": {"positive": "the critic liked the film", "negative": "the critic disliked the film"},
    }[language]
    parser = _labelled(language, descriptions)
    if term is None:
        assert parser.parse(raw) == raw
    else:
        with pytest.raises(RefusedAnswer, match=f"an answer about the task that names '{term}'") as info:
            parser.parse(raw)
        assert info.value.kind == "task_talk"
