import pytest


@pytest.fixture(scope="session")
def embedded_llm():
    """The real embedded model, loaded once for the whole session."""
    from chains import load_llm

    return load_llm(seed=0)
