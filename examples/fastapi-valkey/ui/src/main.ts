// The whole UI: it asks the shell for the api's address and token, then talks
// to the FastAPI api over HTTP. The notes on screen are always what the api
// last returned; when the api is away (restarting, say) it says so and retries.
import { commands, type Endpoint } from "tauri-plugin-convoy-supervisor-api";
import { addNote, listNotes, type Note } from "./api";

const statusLine = document.querySelector<HTMLParagraphElement>("#status");
const list = document.querySelector<HTMLUListElement>("#notes");
const form = document.querySelector<HTMLFormElement>("#add-note");
const input = document.querySelector<HTMLInputElement>("#note-text");
if (!statusLine || !list || !form || !input) throw new Error("index.html lacks the notes elements");

const REFRESH_MS = 500;
let endpoint: Endpoint | null = null;

/** The api's endpoint from the shell: null while the api is not ready. */
async function currentEndpoint(): Promise<Endpoint | null> {
  if (endpoint) return endpoint;
  const result = await commands.endpoint("api");
  if (result.status === "ok") {
    endpoint = result.data;
    return endpoint;
  }
  switch (result.error.type) {
    case "NotReady":
      showStatus("The notes service is starting…");
      return null;
    case "UnknownSidecar":
    case "NotExposed":
      throw new Error(`the shell has no exposed api: ${result.error.type}`);
  }
}

function showStatus(text: string) {
  if (statusLine) statusLine.textContent = text;
}

function render(notes: Note[]) {
  const items = notes.map((note) => {
    const item = document.createElement("li");
    item.dataset.testid = "note";
    item.dataset.id = note.id;
    item.textContent = note.text;
    const words = document.createElement("span");
    words.className = "words";
    words.dataset.testid = "note-words";
    words.textContent = note.words === null ? "counting…" : `${note.words} words`;
    item.append(words);
    return item;
  });
  list?.replaceChildren(...items);
  showStatus(notes.length === 0 ? "No notes yet." : `${notes.length} notes`);
}

async function refresh() {
  const api = await currentEndpoint();
  if (!api) return;
  try {
    render(await listNotes(api));
  } catch {
    showStatus("The notes service is not answering; retrying…");
  }
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const text = input.value.trim();
  const api = await currentEndpoint();
  if (!api || text === "") return;
  try {
    await addNote(api, text);
    input.value = "";
  } catch {
    showStatus("The note was not saved: the notes service is not answering.");
    return;
  }
  await refresh();
});

async function loop() {
  try {
    await refresh();
  } catch (error) {
    showStatus(String(error));
  }
  setTimeout(loop, REFRESH_MS);
}
void loop();
