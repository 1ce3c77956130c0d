"""Runbook's api role as the published Tauri + Python sidecar templates write it:
FastAPI under uvicorn. The baseline of bench/coldstart.sh only, never shipped.

Same contract as the sidecar where cold start is concerned: the environment
(CONVOY_DATA_DIR, CONVOY_API_PORT, CONVOY_API_TOKEN), the migrated SQLite file
opened with the same pragmas and refused at the wrong schema version, the Host
check on every route, a bearer token on all but GET /health, and GET /jobs
answering the same page (newest first; the cursor is left out)."""

import base64
import hashlib
import hmac
import json
import os
import sqlite3

import uvicorn
from fastapi import Depends, FastAPI, Header, HTTPException, Query

PORT = int(os.environ["CONVOY_API_PORT"])
TOKEN_DIGEST = hashlib.sha256(os.environ["CONVOY_API_TOKEN"].encode()).digest()
# Kept at the version the api needs: apps/runbook/sidecar/migrations.
SCHEMA_VERSION = 9

db = sqlite3.connect(f"file:{os.environ['CONVOY_DATA_DIR']}/runbook.db?mode=rw", uri=True)
db.row_factory = sqlite3.Row
for pragma in ("busy_timeout = 5000", "journal_mode = WAL", "synchronous = NORMAL", "foreign_keys = ON"):
    db.execute(f"PRAGMA {pragma}")
if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
    raise SystemExit(f"the database is not at schema version {SCHEMA_VERSION}; run the sidecar's migrate role first")


async def check_host(host: str = Header("")):
    if host not in (f"127.0.0.1:{PORT}", f"localhost:{PORT}"):
        raise HTTPException(403, "the Host header does not name this server")


async def check_token(authorization: str = Header("")):
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        hashlib.sha256(token.strip().encode()).digest(), TOKEN_DIGEST
    ):
        raise HTTPException(401, "a valid bearer token is required", {"WWW-Authenticate": "Bearer"})


app = FastAPI(title="Runbook API (FastAPI baseline)", dependencies=[Depends(check_host)])


@app.get("/health")
async def health():
    version = db.execute("PRAGMA user_version").fetchone()[0]
    return {"status": "ok", "version": "0.1.0", "schemaVersion": version, "valkey": "disabled"}


@app.get("/jobs", dependencies=[Depends(check_token)])
async def list_jobs(limit: int = Query(50, ge=1, le=200)):
    rows = db.execute("SELECT * FROM jobs ORDER BY created_at DESC, id DESC LIMIT ?", (limit + 1,)).fetchall()
    items = [
        {"id": r["id"], "name": r["name"], "command": r["command"], "status": r["status"],
         "exitCode": r["exit_code"], "createdAt": r["created_at"], "startedAt": r["started_at"],
         "finishedAt": r["finished_at"], "progress": r["progress"], "reason": r["reason"],
         "outputDroppedBytes": r["output_dropped_bytes"], "templateId": r["template_id"],
         "templateVersion": r["template_version"],
         "parameters": None if r["parameters"] is None else json.loads(r["parameters"]),
         "secretParameters": [] if r["secret_parameters"] is None else json.loads(r["secret_parameters"]),
         "workingDirectory": r["working_directory"], "timeoutSeconds": r["timeout_seconds"],
         "attempt": r["attempt"], "maxAttempts": r["retries"] + 1, "retryOf": r["retry_of"],
         "notBefore": r["not_before"], "failure": r["failure"],
         "progressSteps": None if r["progress_done"] is None or r["progress_total"] is None
         else {"done": r["progress_done"], "total": r["progress_total"]},
         "statusLine": r["status_line"]}
        for r in rows[:limit]
    ]
    cursor = None
    if len(rows) > limit:
        pair = json.dumps([items[-1]["createdAt"], items[-1]["id"]], separators=(",", ":"))
        cursor = base64.urlsafe_b64encode(pair.encode()).decode().rstrip("=")
    return {"items": items, "nextCursor": cursor}


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=PORT)
