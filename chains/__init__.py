"""LangChain composition for synthetic training data: tasks, prompts, the local model and parsers."""

from chains.chain import build_chain, sample, texts
from chains.checks.parsers import LabelParser, SentenceParser, SentencesParser, WordParser, parser_for
from chains.errors import ModelUnavailableError, SynthaugError, TaskError
from chains.local.loading import load_llm
from chains.local.pipeline import LocalPipeline
from chains.prompts import build_prompt, render_messages
from chains.task import GenerationSettings, Task, load_task

__all__ = [
    "GenerationSettings",
    "LabelParser",
    "LocalPipeline",
    "ModelUnavailableError",
    "SentenceParser",
    "SentencesParser",
    "SynthaugError",
    "Task",
    "TaskError",
    "WordParser",
    "build_chain",
    "build_prompt",
    "load_llm",
    "load_task",
    "parser_for",
    "render_messages",
    "sample",
    "texts",
]
