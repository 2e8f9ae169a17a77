"""Loading task templates: bundled ones, the user's own, and the errors for broken ones."""

import pytest

from chains import TaskError, build_prompt, load_task
from chains.task import parse_task

MINIMAL = """
name: mine
language: en
system: You write short answers.
instruction: "Name a {text}."
output: word
"""


def test_bundled_task_has_its_kind_classes_and_examples():
    task = load_task("labeled", "en")
    assert task.output == "sentence"
    assert task.classes == ["positive", "negative"]
    assert task.input_variables == ["label"]
    assert len(task.examples) == 4


def test_korean_word_examples_are_the_articles():
    assert [e["output"] for e in load_task("word", "ko").examples] == ["김치찌개", "라면", "마라탕"]


def test_user_yaml_path(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text(MINIMAL, encoding="utf-8")
    task = load_task(str(path))
    assert task.name == "mine" and task.max_words == 1 and task.input_variables == ["text"]


def test_hash_changes_with_content():
    assert parse_task(MINIMAL).hash != parse_task(MINIMAL.replace("short", "long")).hash
    assert parse_task(MINIMAL).hash == parse_task(MINIMAL).hash


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            MINIMAL + "template_format: jinja2\n",
            "jinja2 templates can run code; write the template in f-string or mustache",
        ),
        ("name: [unclosed\n", "is not valid YAML at line 2"),
        ("- a list\n", "must be a YAML mapping"),
        (MINIMAL.replace('instruction: "Name a {text}."\n', ""), "lacks the field 'instruction'"),
        (
            MINIMAL.replace("output: word", "output: paragraph"),
            "output: Input should be 'word', 'sentence', 'sentences' or 'label'",
        ),
        (MINIMAL.replace("output: word", "output: label"), "a task whose output is label needs `classes`"),
        (MINIMAL + "examples:\n  - output: x\n", "example 0 lacks ['text']"),
        (MINIMAL + "colour: blue\n", "colour: Extra inputs are not permitted"),
        (MINIMAL + 'variants: ["Name one {thing}."]\n', "variant 0 must use the instruction's variables ['text']"),
    ],
)
def test_broken_templates_are_named_and_explained(text, message):
    with pytest.raises(TaskError, match="template <template>") as info:
        parse_task(text)
    assert message in str(info.value)


def test_unknown_task_and_language_list_the_choices():
    with pytest.raises(TaskError, match="unknown task 'poem' for language 'en'; use one of classify, headline"):
        load_task("poem")
    with pytest.raises(TaskError, match="unknown language 'fr'; use one of en, ko"):
        load_task("word", "fr")
    with pytest.raises(TaskError, match="does not exist"):
        load_task("missing.yaml")


def test_mustache_template_keeps_user_text_unescaped():
    task = parse_task(MINIMAL.replace("{text}", "{{text}}") + "template_format: mustache\n")
    messages = build_prompt(task).invoke({"text": "<b> & {x} {{y}}"}).to_messages()
    assert messages[-1].content == "Name a <b> & {x} {{y}}."


def test_load_task_takes_a_pool_classes_and_context_directly():
    pool = [
        {"id": "a", "text": "The tea was cold.", "label": "complaint"},
        {"id": "b", "text": "Lovely staff.", "label": "praise"},
    ]
    task = load_task("labeled", examples=pool, context="Cafe reviews")
    assert task.classes == ["complaint", "praise"] and task.context == "Cafe reviews" and task.examples == pool
    assert task.system_variables == {"classes": "complaint, praise", "context": "Cafe reviews"}
    assert load_task("labeled", classes=["x", "y"]).classes == ["x", "y"]


def test_a_selector_that_needs_embeddings_says_what_to_pass():
    from chains.selectors import make_selector

    with pytest.raises(ValueError, match=r"pass embeddings=load_embeddings\(\)"):
        make_selector("semantic", load_task("classify"), load_task("classify").examples, 2)


def test_a_variant_takes_the_other_wordings_in_turn():
    task = load_task("paraphrase")
    wordings = [task.variant(i).instruction for i in range(1, len(task.variants) + 2)]
    assert wordings == [*task.variants, task.instruction]
    assert task.variant(0) is task
