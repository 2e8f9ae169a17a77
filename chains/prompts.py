"""Prompts: system role + few-shot turns + instruction, rendered through the model's chat template."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from langchain_core.example_selectors import BaseExampleSelector
from langchain_core.language_models import BaseChatModel, BaseLanguageModel
from langchain_core.messages import BaseMessage
from langchain_core.prompt_values import PromptValue
from langchain_core.prompts import ChatPromptTemplate, FewShotChatMessagePromptTemplate
from langchain_core.runnables import Runnable, RunnableLambda, RunnablePassthrough

from chains.selectors import FixedSelector, choose_examples
from chains.task import Task

_ROLES = {"system": "system", "human": "user", "ai": "assistant"}


def build_prompt(
    task: Task,
    examples: list[dict[str, str]] | None = None,
    example_selector: BaseExampleSelector | None = None,
) -> ChatPromptTemplate:
    """The task's chat prompt; few-shot examples come from the selector, `examples`, or the task (those of the
    source text's form, for a task with a source)."""
    fmt = task.template_format
    if example_selector is None and examples is None and task.source is not None:
        example_selector = FixedSelector(task.examples, len(task.examples), task.source)
    example_prompt = ChatPromptTemplate.from_messages(
        [("human", task.instruction), ("ai", task.answer)], template_format=fmt
    )
    if example_selector is not None:
        few_shot = FewShotChatMessagePromptTemplate(
            example_prompt=example_prompt,
            example_selector=example_selector,
            input_variables=task.input_variables,
        )
    else:
        few_shot = FewShotChatMessagePromptTemplate(
            example_prompt=example_prompt,
            examples=task.examples if examples is None else examples,
        )
    prompt = ChatPromptTemplate.from_messages(
        [("system", task.system), few_shot, ("human", task.instruction)], template_format=fmt
    )
    system_vars = {k: v for k, v in task.system_variables.items() if k in prompt.input_variables}
    return prompt.partial(**system_vars)


def chatml(messages: list[dict[str, str]]) -> str:
    """ChatML, the format of the embedded model, for LLMs that bring no chat template."""
    turns = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages)
    return turns + "<|im_start|>assistant\n"


def _as_dicts(messages: list[BaseMessage]) -> list[dict[str, str]]:
    return [{"role": _ROLES.get(m.type, m.type), "content": str(m.content)} for m in messages]


def _tokenizer_of(llm: Any) -> Any:
    return getattr(getattr(llm, "pipeline", None), "tokenizer", None)


def token_counter(llm: Any) -> Callable[[str], int] | None:
    """Counts a text's tokens with the model's own tokenizer; None for models that bring none."""
    tokenizer = _tokenizer_of(llm)
    return (lambda text: len(tokenizer(text).input_ids)) if tokenizer is not None else None


def render_messages(messages: list[BaseMessage], tokenizer: Any = None) -> str:
    """The prompt string the model was trained on: its own chat template, or ChatML."""
    turns = _as_dicts(messages)
    if tokenizer is None or not getattr(tokenizer, "chat_template", None):
        return chatml(turns)
    try:
        return tokenizer.apply_chat_template(turns, tokenize=False, add_generation_prompt=True)
    except Exception as exc:  # templates without a system role raise; fold it into the first turn
        if turns[0]["role"] != "system" or "system" not in str(exc).lower():
            raise
        system, first, *rest = turns
        merged = {"role": first["role"], "content": f"{system['content']}\n\n{first['content']}"}
        return tokenizer.apply_chat_template([merged, *rest], tokenize=False, add_generation_prompt=True)


def renderer_for(llm: BaseLanguageModel) -> Runnable[PromptValue, Any]:
    """Chat models take messages as they are; text LLMs take the rendered chat string."""
    if isinstance(llm, BaseChatModel):
        return RunnablePassthrough()
    tokenizer = _tokenizer_of(llm)
    return RunnableLambda(lambda value: render_messages(value.to_messages(), tokenizer), name="render_chat")


class Prompter:
    """Renders one input's prompt for a model: the task's examples, or a selector's (with `extra` shots more)."""

    def __init__(
        self,
        task: Task,
        llm: BaseLanguageModel,
        selector: BaseExampleSelector | None = None,
        count_tokens: Callable[[str], int] | None = None,
    ) -> None:
        self.task, self.render, self.count_tokens = task, renderer_for(llm), count_tokens
        self.selector = selector or FixedSelector(task.examples, len(task.examples), task.source)
        self.tokens: list[int] = []
        """Each prompt's length in tokens, when `count_tokens` is given."""

    def __call__(self, values: dict[str, str], extra: int = 0, variant: int = 0) -> tuple[Any, list[str]]:
        """The rendered prompt and the ids of the examples it shows; a `variant` other than 0 words the
        instruction its own way (`Task.variant`) and shows fixed examples in its own order."""
        examples = choose_examples(self.selector, values, extra)
        if type(self.selector) is FixedSelector:
            examples = _reordered(examples, variant)
        task = self.task.variant(variant)
        prompt = self.render.invoke(build_prompt(task, examples=examples).invoke(values))
        if self.count_tokens is not None and isinstance(prompt, str):
            self.tokens.append(self.count_tokens(prompt))
        return prompt, [str(e.get("id", i)) for i, e in enumerate(examples)]


def _reordered(examples: list[dict[str, str]], variant: int) -> list[dict[str, str]]:
    """Variant `variant` of the fixed examples: rotated, then reversed every other round, so each of the
    first 2n variants ends on another example or in another order (the last shot weighs most)."""
    if variant == 0 or len(examples) < 2:
        return examples
    turn = variant % len(examples)
    rotated = examples[turn:] + examples[:turn]
    return rotated[::-1] if (variant // len(examples)) % 2 else rotated
