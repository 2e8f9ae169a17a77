"""`generate --server` against a real OpenAI-compatible server: `transformers serve` with the embedded model
on 127.0.0.1. It ignores `n` and returns no log-probabilities, so the fallbacks run. A server killed mid-run
ends the command in one line; the same command, once the server is back, finishes the run."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from chains import load_task, parser_for
from chains.local.sources import embedded_model_dir

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
SERVE = Path(sys.executable).parent / "transformers"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def transformers_serve(port, model):
    """`transformers serve` on 127.0.0.1:`port`, offline, with `model` loaded; stopped on exit."""
    server = subprocess.Popen(
        [str(SERVE), "serve", "--host", "127.0.0.1", "--port", str(port), model],
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert server.poll() is None, "transformers serve exited"
                time.sleep(0.5)
        yield server
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
        server.wait()


@pytest.fixture(scope="module")
def model():
    return str(embedded_model_dir("float32"))


def generate(*args, timeout=600):
    command = [sys.executable, "-m", "runners", "generate", *map(str, args), "-q"]
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finished(process, timeout=600):
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out, err.strip().splitlines()


def inputs(folder, count):
    path = folder / "in.csv"
    path.write_text("text\n" + "".join(f"Room {i} was cleaned at {i % 12 + 1} every day.\n" for i in range(count)))
    return path


def test_rows_come_from_the_server_and_the_manifest_says_what_it_did(tmp_path, model):
    port = free_port()
    out = tmp_path / "out.jsonl"
    with transformers_serve(port, model):
        url = f"http://127.0.0.1:{port}/v1"
        sample = tmp_path / "in.csv"
        reviews = (ROOT / "templates" / "samples" / "hotel_reviews.csv").read_text().splitlines()[9:12]
        sample.write_text("text\n" + "".join(line.rsplit(",", 1)[0] + "\n" for line in reviews))  # no label
        code, stdout, err = finished(
            generate("paraphrase", "-i", sample, "-o", out, "--server", url, "--server-model", model)
        )
    assert code == 0, err
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    parser = parser_for(load_task("paraphrase"))
    assert rows and all(parser.parse(r["raw"]) == r["output"] and r["model"] == model for r in rows)
    server = json.loads((tmp_path / "out.manifest.json").read_text())["server"]
    assert server["n"].startswith("ignored") and server["logprobs"].startswith("not returned")
    # It ignores the temperature for a model whose own settings decode greedily, and samples through its
    # generation_config field; each sample, one request, has a prompt of its own.
    assert server["sampling"] == "honoured through the request's generation_config field"
    assert all(r["generation"]["variant"] >= 1 for r in rows)
    # It bans what that field's bad_words_ids names, and the model's tokenizer is here: no answer is a copy.
    assert server["no_copy"] == "applied through the request's generation_config field (bad_words_ids)"
    kinds = {json.loads(line)["kind"] for line in (tmp_path / "out.rejected.jsonl").read_text().splitlines()}
    assert "copy" not in kinds


def test_a_server_killed_mid_run_ends_in_one_line_and_the_rerun_finishes(tmp_path, model):
    port, out = free_port(), tmp_path / "out.jsonl"
    args = ["classify", "-i", inputs(tmp_path, 24), "-o", out, "--server", f"http://127.0.0.1:{port}/v1"]
    args += ["--server-model", model, "--concurrency", "1"]
    with transformers_serve(port, model) as server:
        run = generate(*args)
        deadline = time.monotonic() + 300
        while (not out.exists() or not out.read_text()) and time.monotonic() < deadline:
            time.sleep(0.2)
        os.killpg(server.pid, signal.SIGKILL)
        code, _, err = finished(run)
    assert code == 2 and len(err) == 1, err
    assert err[0].startswith(f"error: the model server at http://127.0.0.1:{port}/v1 did not answer (")
    assert err[0].endswith("run the same command again to finish the run (flag: --server)")
    before = out.read_text().splitlines()
    assert 0 < len(before) < 24
    with transformers_serve(port, model):
        code, stdout, err = finished(generate(*args))
    assert code == 0, err
    after = out.read_text().splitlines()
    ids = [json.loads(line)["id"] for line in after]
    assert after[: len(before)] == before and len(ids) == len(set(ids))
    assert {json.loads(line)["input_id"] for line in after} == {str(i) for i in range(1, 25)}


def test_an_unknown_model_and_no_server_each_end_in_one_line(tmp_path, model):
    port = free_port()
    out = tmp_path / "out.jsonl"
    code, _, err = finished(
        generate("word", "-o", out, "--server", f"http://127.0.0.1:{port}/v1", "--server-model", "m")
    )
    assert code == 2 and len(err) == 1 and " did not answer ([Errno 111] Connection refused)" in err[0]
    with transformers_serve(port, model):
        code, _, err = finished(
            generate("word", "-o", out, "--server", f"http://127.0.0.1:{port}/v1", "--server-model", "no/such-model")
        )
    assert code == 2 and len(err) == 1
    assert re.match(
        rf"error: the model server at http://127\.0\.0\.1:{port}/v1 failed on model 'no/such-model' \([45]\d\d: .+\); check the model name",
        err[0],
    )
    assert not out.exists()


class Refuses(BaseHTTPRequestHandler):
    """A server that wants an API key it was not given."""

    def do_POST(self):
        self.send_response(401)
        self.send_header("content-type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"error": {"message": "invalid api key", "type": "invalid_request_error"}}')

    do_GET = do_POST

    def log_message(self, *args):
        pass


def test_a_refused_api_key_ends_in_one_line(tmp_path, monkeypatch):
    server = HTTPServer(("127.0.0.1", 0), Refuses)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/v1"
        env_args = ["--api-key-env", "SYNTHAUG_TEST_KEY"]
        monkeypatch.setenv("SYNTHAUG_TEST_KEY", "wrong")
        code, _, err = finished(
            generate("word", "-o", tmp_path / "o.jsonl", "--server", url, "--server-model", "m", *env_args)
        )
    finally:
        server.shutdown()
    assert code == 2 and err == [
        f"error: the model server at {url} refused the API key (401); put the right key in the environment variable "
        "that api_key_env names (flag: --api-key-env)"
    ]
