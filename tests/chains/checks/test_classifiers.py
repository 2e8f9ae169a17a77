"""TF-IDF reads character n-grams, so a Korean word with another particle ("영화가", "영화는") still matches."""

import pytest

from chains.checks.classifiers import fit, train_and_score

# Training reviews; each test review shares no whole word with them, only stems.
KO_TRAIN = [
    ("배우들이 최고였다", "positive"),
    ("연출이 훌륭했다", "positive"),
    ("음악이 감동적이었다", "positive"),
    ("스토리가 지루했다", "negative"),
    ("전개가 엉망이었다", "negative"),
    ("결말이 실망스러웠다", "negative"),
]
EN_TRAIN = [
    ("the actors were wonderful", "positive"),
    ("a moving and beautiful score", "positive"),
    ("brilliant direction", "positive"),
    ("the plot was boring", "negative"),
    ("a dull and messy story", "negative"),
    ("the ending disappointed", "negative"),
]


@pytest.mark.parametrize(
    ("train", "text", "label"),
    [
        (KO_TRAIN, "배우들의 연기가 최고예요", "positive"),
        (KO_TRAIN, "연출은 정말 훌륭해요", "positive"),
        (KO_TRAIN, "감동적인 음악", "positive"),
        (KO_TRAIN, "지루하고 엉망인 스토리", "negative"),
        (KO_TRAIN, "결말은 실망스럽다", "negative"),
        (EN_TRAIN, "wonderfully acted", "positive"),
        (EN_TRAIN, "boringly plotted and dull", "negative"),
    ],
)
def test_tfidf_matches_words_by_their_characters(train, text, label):
    model = fit("tfidf+lr", [t for t, _ in train], [lab for _, lab in train], None)
    assert model.predict([text])[0] == label


def test_scores_on_korean_test_rows():
    test = [
        {"text": "배우들의 연기가 최고예요", "label": "positive"},
        {"text": "결말은 실망스럽다", "label": "negative"},
    ]
    train = [{"text": t, "label": lab} for t, lab in KO_TRAIN]
    assert train_and_score("tfidf+lr", train, test, None) == (1.0, 1.0)
