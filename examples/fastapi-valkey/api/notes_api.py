"""Notes: an ordinary FastAPI app that keeps its notes in Valkey.

It knows nothing of the desktop shell that runs it: everything comes from
its environment (PORT, API_TOKEN, VALKEY_SOCKET, VALKEY_PASSWORD). A worker
(worker/notes_worker.py) counts each new note's words and writes the count back.
"""

import os
import secrets
from contextlib import asynccontextmanager

import redis.asyncio as redis
import uvicorn
from fastapi import Depends, FastAPI, HTTPException, Request, Response, status
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field
from starlette.middleware.trustedhost import TrustedHostMiddleware

# The keys, shared with the worker.
NOTES = "notes"  # list of note ids, oldest first
NEXT_ID = "notes:next-id"
QUEUE = "notes:queue"  # ids the worker has yet to count


def note_key(note_id: str) -> str:
    return f"note:{note_id}"


# The desktop app's own page; a browser's other pages are refused.
APP_ORIGINS = ["tauri://localhost", "http://tauri.localhost"]


class NewNote(BaseModel):
    text: str = Field(min_length=1, max_length=500)


class Note(BaseModel):
    id: str
    text: str
    # None until the worker has counted them.
    words: int | None = None


class NoteList(BaseModel):
    items: list[Note]


def create_app(token: str, valkey: redis.Redis) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI):
        yield
        await valkey.aclose()

    app = FastAPI(title="Notes", lifespan=lifespan)
    bearer = HTTPBearer(auto_error=False)

    def require_token(credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> None:
        given = credentials.credentials if credentials else ""
        if not secrets.compare_digest(given.encode(), token.encode()):
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED, "a valid bearer token is required", {"WWW-Authenticate": "Bearer"}
            )

    @app.get("/health")
    async def health() -> dict[str, str]:
        await valkey.ping()
        return {"status": "ok"}

    @app.get("/notes", dependencies=[Depends(require_token)])
    async def list_notes() -> NoteList:
        ids = await valkey.lrange(NOTES, 0, -1)
        async with valkey.pipeline(transaction=False) as pipe:
            for note_id in ids:
                pipe.hgetall(note_key(note_id))
            rows = await pipe.execute()
        return NoteList(items=[Note(id=i, **row) for i, row in zip(ids, rows, strict=True) if row])

    @app.post("/notes", status_code=status.HTTP_201_CREATED, dependencies=[Depends(require_token)])
    async def add_note(body: NewNote) -> Note:
        note_id = str(await valkey.incr(NEXT_ID))
        async with valkey.pipeline(transaction=True) as pipe:
            pipe.hset(note_key(note_id), mapping={"text": body.text})
            pipe.rpush(NOTES, note_id)
            pipe.lpush(QUEUE, note_id)
            await pipe.execute()
        return Note(id=note_id, text=body.text)

    @app.middleware("http")
    async def refuse_foreign_origins(request: Request, call_next) -> Response:
        origin = request.headers.get("origin")
        if origin is not None and origin not in APP_ORIGINS:
            return JSONResponse({"detail": "foreign origin"}, status.HTTP_403_FORBIDDEN)
        return await call_next(request)

    app.add_middleware(
        CORSMiddleware,
        allow_origins=APP_ORIGINS,
        allow_methods=["GET", "POST"],
        allow_headers=["authorization", "content-type"],
    )
    # Another name for 127.0.0.1 (DNS rebinding) is refused.
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=["127.0.0.1", "localhost"])
    return app


def main() -> None:
    valkey = redis.Redis(
        unix_socket_path=os.environ["VALKEY_SOCKET"],
        password=os.environ["VALKEY_PASSWORD"],
        decode_responses=True,
    )
    app = create_app(os.environ["API_TOKEN"], valkey)
    uvicorn.run(app, host="127.0.0.1", port=int(os.environ["PORT"]), log_level="info")


if __name__ == "__main__":
    main()
