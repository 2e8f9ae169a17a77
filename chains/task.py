"""A task: the role, instruction, few-shot format and answer kind of one generation job."""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from langchain_core.prompts import PromptTemplate
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from chains.errors import TaskError
from chains.knobs import GenerationSettings

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"

OutputKind = Literal["word", "sentence", "sentences", "label"]

# Tokens enough for one answer of each kind; a longer answer is not of the kind anyway.
DEFAULT_MAX_NEW_TOKENS = {"word": 8, "label": 8, "sentence": 64, "sentences": 160}

# A plain mustache tag `{{ name }}`: rewritten to `{{& name}}` so user text is not HTML-escaped.
_MUSTACHE_VAR = re.compile(r"\{\{\s*([A-Za-z_][\w.]*)\s*\}\}")


class Task(BaseModel):
    """One generation task, loaded from `templates/<language>/<name>.yaml` or a user's YAML file."""

    model_config = ConfigDict(extra="forbid")

    name: str
    """Short name, e.g. `paraphrase`."""
    language: str
    """Language code of the template text, e.g. `en` or `ko`."""
    description: str = ""
    """One line for `--help` and reports."""
    template_format: Literal["f-string", "mustache"] = "f-string"
    """How `{variables}` are written in `system`, `instruction` and `answer`."""
    system: str
    """The role: the system message. May use `{classes}` and `{context}`."""
    instruction: str
    """The content: the user message, with the task's input variables."""
    variants: list[str] = []
    """Other wordings of the instruction, with the same variables: where the model cannot sample (greedy
    decoding, a server that ignores temperature), each answer gets its own wording and shots instead."""
    answer: str = "{output}"
    """How an example's answer is written as the assistant message."""
    output: OutputKind
    """What one answer must be: a word, a sentence, several sentences or a label."""
    max_words: int | None = Field(default=None, gt=0)
    """Widest accepted answer in words (`word`: 1 unless widened; `sentence`: 40)."""
    classes: list[str] = []
    """Label set, for tasks whose answer or input is a label. In YAML also a mapping name -> description."""
    class_descriptions: dict[str, str] = {}
    """One line per class telling a model what it means; label names alone ("number") say little."""
    source: str | None = None
    """The input variable holding a text the answer restates: decoding may not copy it, and copies are rejected."""
    min_logprob: float | None = Field(default=None, le=0)
    """Answers whose mean token log-probability is below this are nonsense the sampler drew. Measured with
    the embedded model, so it applies to that model only; other models take their own (`min_logprob`)."""
    context: str = ""
    """What the data is about; fills `{context}` in the system message."""
    examples: list[dict[str, str]] = []
    """Default few-shot examples: the instruction's variables plus the answer's."""
    defaults: dict[str, str] = {}
    """Input values used when the user gives no input file."""
    generation: GenerationSettings = GenerationSettings()
    """Default decoding settings for this task."""

    @model_validator(mode="before")
    @classmethod
    def _refuse_jinja(cls, data: object) -> object:
        if isinstance(data, dict) and data.get("template_format") == "jinja2":
            raise ValueError(
                "template_format jinja2 is refused because jinja2 templates can run code; "
                "write the template in f-string or mustache format"
            )
        return data

    @model_validator(mode="before")
    @classmethod
    def _class_mapping(cls, data: object) -> object:
        if isinstance(data, dict) and isinstance(data.get("classes"), dict):
            mapping = {str(k): "" if v is None else str(v).strip() for k, v in data["classes"].items()}
            described = {k: v for k, v in mapping.items() if v}
            data = {
                **data,
                "classes": list(mapping),
                "class_descriptions": {**described, **data.get("class_descriptions", {})},
            }
        return data

    @field_validator("system", "instruction", "answer")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value

    @model_validator(mode="after")
    def _check(self) -> Task:
        if self.template_format == "mustache":
            for field in ("system", "instruction", "answer"):
                setattr(self, field, _MUSTACHE_VAR.sub(r"{{& \1}}", getattr(self, field)))
            self.variants = [_MUSTACHE_VAR.sub(r"{{& \1}}", v) for v in self.variants]
        if self.output == "label" and not self.classes:
            raise ValueError("a task whose output is label needs `classes`")
        if self.max_words is None:
            self.max_words = {"word": 1, "sentence": 40, "sentences": 40}.get(self.output)
        unknown = sorted(set(self.class_descriptions) - set(self.classes))
        if unknown:
            raise ValueError(f"class_descriptions name {unknown[0]!r}, which is not one of the classes")
        if self.source is not None and self.source not in self.input_variables:
            raise ValueError(f"source {self.source!r} is not one of the instruction's variables")
        for i, variant in enumerate(self.variants):
            if sorted(self._variables(variant)) != sorted(self.input_variables):
                raise ValueError(f"variant {i} must use the instruction's variables {sorted(self.input_variables)}")
        wanted = set(self.input_variables) | set(self.answer_variables)
        for i, example in enumerate(self.examples):
            missing = wanted - set(example)
            if missing:
                raise ValueError(f"example {i} lacks {sorted(missing)}")
        return self

    def _variables(self, text: str) -> list[str]:
        return PromptTemplate.from_template(text, template_format=self.template_format).input_variables

    @property
    def input_variables(self) -> list[str]:
        """Variables the instruction needs from each input row."""
        return self._variables(self.instruction)

    @property
    def answer_variables(self) -> list[str]:
        """Example fields that make up the answer."""
        return self._variables(self.answer)

    @property
    def system_variables(self) -> dict[str, str]:
        """Values for the system message's `{classes}` and `{context}`."""
        if not self.class_descriptions:
            return {"classes": ", ".join(self.classes), "context": self.context}
        described = [f"{c} ({self.class_descriptions[c]})" if c in self.class_descriptions else c for c in self.classes]
        return {"classes": "; ".join(described), "context": self.context}

    @property
    def hash(self) -> str:
        """Content hash: two runs with the same hash used the same template."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]

    def variant(self, number: int) -> Task:
        """The task as prompt variant `number`: 0 is the task itself; others take the instruction wordings in
        turn (the instruction among them), so consecutive variants differ even with one wording."""
        if number == 0 or not self.variants:
            return self
        wordings = [self.instruction, *self.variants]
        return self.model_copy(update={"instruction": wordings[number % len(wordings)]})

    def max_new_tokens(self) -> int:
        """The task's token budget, or its kind's default."""
        return self.generation.max_new_tokens or DEFAULT_MAX_NEW_TOKENS[self.output]

    def for_pool(
        self,
        examples: list[dict[str, str]] | None = None,
        classes: list[str] | None = None,
        context: str | None = None,
    ) -> Task:
        """The task with the user's examples, classes and context: a labelled pool's labels become the classes
        unless `classes` are given, and the template's class descriptions stay only for classes in use."""
        update: dict[str, Any] = {}
        if examples is not None:
            update["examples"] = examples
            if self.classes and not classes:
                classes = sorted({e["label"] for e in examples if e.get("label")})
        if classes:
            update["classes"] = classes
            update["class_descriptions"] = {c: d for c, d in self.class_descriptions.items() if c in classes}
        if context is not None:
            update["context"] = context
        return Task.model_validate({**self.model_dump(), **update}) if update else self


def available_tasks(language: str) -> list[str]:
    """Names of the bundled tasks in one language."""
    return sorted(p.stem for p in (TEMPLATES_DIR / language).glob("*.yaml"))


def available_languages() -> list[str]:
    """Languages with bundled templates."""
    return sorted(p.name for p in TEMPLATES_DIR.iterdir() if p.is_dir() and any(p.glob("*.yaml")))


def load_task(
    name: str,
    language: str = "en",
    *,
    examples: list[dict[str, str]] | None = None,
    classes: list[str] | None = None,
    context: str | None = None,
) -> Task:
    """A bundled task by name and language, or a user's task from a YAML path; with `examples` (your labelled
    pool: `text`, `label`, optional `id`), `classes` or `context` in place of the template's (`Task.for_pool`)."""
    return _load(name, language).for_pool(examples, classes, context)


def _load(name: str, language: str) -> Task:
    path = Path(name)
    if path.suffix not in (".yaml", ".yml"):
        if language not in available_languages():
            raise TaskError(f"unknown language {language!r}; use one of {', '.join(available_languages())}")
        path = TEMPLATES_DIR / language / f"{name}.yaml"
        if not path.is_file():
            tasks = available_tasks(language)
            close = difflib.get_close_matches(name, tasks, n=1)
            fix = (
                f"did you mean {close[0]}?" if close else f"use one of {', '.join(tasks)} or a path to a .yaml template"
            )
            raise TaskError(f"unknown task {name!r} for language {language!r}; {fix}")
    elif not path.is_file():
        raise TaskError(f"template file {path} does not exist; check the path")
    return parse_task(path.read_text(encoding="utf-8"), source=str(path))


def parse_task(text: str, source: str = "<template>") -> Task:
    """A task from YAML text; errors name the source and the field."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise TaskError(f"template {source} is not valid YAML{where}; fix its syntax") from exc
    if not isinstance(data, dict):
        raise TaskError(f"template {source} must be a YAML mapping of fields (name, system, ...)")
    try:
        return Task.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(p) for p in error["loc"])
        if error["type"] == "missing":
            raise TaskError(f"template {source} lacks the field {field!r}; add it") from exc
        message = error["msg"].removeprefix("Value error, ")
        where = f"{field}: " if error["loc"] else ""
        raise TaskError(f"template {source}: {where}{message}") from exc
