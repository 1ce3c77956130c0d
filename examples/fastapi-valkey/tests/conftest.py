"""A real Valkey (or Redis) server for the tests, locked down as the app runs
it: a Unix socket, a password, no TCP port."""

import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "api"), str(ROOT / "worker")]


@pytest.fixture
def valkey_server(tmp_path: Path):
    program = shutil.which("valkey-server") or shutil.which("redis-server")
    if program is None:
        pytest.fail("neither valkey-server nor redis-server is on PATH")
    socket = tmp_path / "valkey.sock"
    password = secrets.token_hex(16)
    config = tmp_path / "valkey.conf"
    config.write_text(f"port 0\nunixsocket {socket}\nunixsocketperm 600\nrequirepass {password}\nsave \"\"\n")
    server = subprocess.Popen([program, str(config)], stdout=subprocess.DEVNULL)
    client = redis.Redis(unix_socket_path=str(socket), password=password, decode_responses=True)
    for _ in range(100):
        try:
            client.ping()
            break
        except (redis.ConnectionError, FileNotFoundError):
            time.sleep(0.05)
    else:
        server.kill()
        pytest.fail("the Valkey server did not start")
    yield {"socket": str(socket), "password": password, "client": client}
    server.terminate()
    server.wait(5)
