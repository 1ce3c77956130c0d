"""The api and the worker against a real Valkey server."""

import redis.asyncio as aioredis
from fastapi.testclient import TestClient
from notes_api import create_app
from notes_worker import run

TOKEN = "t" * 64


def client_for(valkey_server) -> TestClient:
    valkey = aioredis.Redis(
        unix_socket_path=valkey_server["socket"], password=valkey_server["password"], decode_responses=True
    )
    return TestClient(create_app(TOKEN, valkey), base_url="http://127.0.0.1:8000")


def auth(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_health_needs_no_token(valkey_server):
    with client_for(valkey_server) as api:
        assert api.get("/health").json() == {"status": "ok"}


def test_a_note_is_stored_in_valkey_and_counted_by_the_worker(valkey_server):
    with client_for(valkey_server) as api:
        created = api.post("/notes", json={"text": "three small words"}, headers=auth())
        assert created.status_code == 201
        note = created.json()
        assert note == {"id": "1", "text": "three small words", "words": None}
        assert valkey_server["client"].hget("note:1", "text") == "three small words"

        run(valkey_server["client"], once=True)

        listed = api.get("/notes", headers=auth()).json()
        assert listed == {"items": [{"id": "1", "text": "three small words", "words": 3}]}


def test_refuses_a_missing_or_wrong_token(valkey_server):
    with client_for(valkey_server) as api:
        assert api.get("/notes").status_code == 401
        assert api.get("/notes", headers=auth("x" * 64)).status_code == 401
        assert api.post("/notes", json={"text": "x"}, headers=auth("nope")).status_code == 401
        assert valkey_server["client"].exists("notes") == 0


def test_refuses_a_foreign_host_or_origin(valkey_server):
    with client_for(valkey_server) as api:
        assert api.get("/notes", headers={**auth(), "Host": "evil.example:8000"}).status_code == 400
        assert api.get("/notes", headers={**auth(), "Origin": "http://127.0.0.1:9999"}).status_code == 403
        allowed = api.get("/notes", headers={**auth(), "Origin": "tauri://localhost"})
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == "tauri://localhost"


def test_refuses_an_empty_note(valkey_server):
    with client_for(valkey_server) as api:
        assert api.post("/notes", json={"text": ""}, headers=auth()).status_code == 422
