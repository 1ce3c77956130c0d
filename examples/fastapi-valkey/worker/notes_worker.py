"""Counts the words of each new note: takes note ids from the Valkey list
the api pushes them onto, and writes the count back into the note.

Its settings come from its environment (VALKEY_SOCKET, VALKEY_PASSWORD).
It prints `notes-worker: ready` once it has reached Valkey.
"""

import os
import signal
import sys

import redis

QUEUE = "notes:queue"


def count_words(text: str) -> int:
    return len(text.split())


def run(valkey: redis.Redis, *, once: bool = False) -> None:
    valkey.ping()
    print("notes-worker: ready", flush=True)
    while True:
        taken = valkey.brpop([QUEUE], timeout=1)
        if taken is None:
            if once:
                return
            continue
        _, note_id = taken
        text = valkey.hget(f"note:{note_id}", "text")
        if text is not None:
            valkey.hset(f"note:{note_id}", "words", count_words(text))
            print(f"notes-worker: counted note {note_id}", flush=True)


def main() -> None:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    valkey = redis.Redis(
        unix_socket_path=os.environ["VALKEY_SOCKET"],
        password=os.environ["VALKEY_PASSWORD"],
        decode_responses=True,
    )
    run(valkey)


if __name__ == "__main__":
    main()
