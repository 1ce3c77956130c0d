// The package benchmark's measuring half (bench/package.sh builds the packages
// first): the .deb's size, its installed size and the update download; whether
// two builds of the same commit are byte-identical, and where not, which
// member and which file differs; then the installed app's cold start,
// /usr/bin/runbook → the main window showing api data, as the app reports it
// (CONVOY_STARTUP_REPORT), each launch with a home of its own or the same home
// again. Writes package.json (every sample, the machine) and package.md.
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { cpus, release, tmpdir, totalmem } from "node:os";
import { basename, join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";

/** A dpkg-query `--showformat`: field names become `${name}`, anything with a space stays as it is. */
const dpkgFormat = (...parts: string[]) =>
  parts.map((part) => (part.includes(" ") ? part : `$${"{"}${part}}`)).join("");

const AIM_DEB_MB = 40;
const SHELL = "/usr/bin/runbook";

const { values: args } = parseArgs({
  options: {
    work: { type: "string" },
    builds: { type: "string", default: "2" },
    runs: { type: "string", default: "10" },
    display: { type: "string" },
    json: { type: "string" },
    md: { type: "string" },
  },
});
if (!args.work || !args.json || !args.md || !args.display) {
  throw new Error(
    "usage: bun bench/package.ts --work DIR --display :N --json FILE --md FILE [--builds N] [--runs N]",
  );
}
const work = resolve(args.work);
const builds = Number(args.builds);
const runs = Number(args.runs);

function run(command: string, argv: string[]): string {
  return execFileSync(command, argv, {
    encoding: "utf8",
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

function quiet(command: string, argv: string[]): string {
  try {
    return run(command, argv).trim();
  } catch {
    return "";
  }
}

const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("hex");

function stats(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)];
  const mid = sorted.length / 2;
  const median = sorted.length % 2 === 1 ? sorted[Math.floor(mid)] : (sorted[mid - 1] + sorted[mid]) / 2;
  return {
    n: sorted.length,
    median: Math.round(median * 10) / 10,
    p90: at(0.9),
    min: sorted[0],
    max: sorted[sorted.length - 1],
  };
}

// --- the packages of each build ---------------------------------------------------

type Build = { dir: string; ms: number; commit: string; deb: string; rpm: string | null };
const built: Build[] = [];
for (let n = 1; n <= builds; n++) {
  const dir = join(work, `build-${n}`);
  const files = readdirSync(dir);
  const deb = files.find((f) => f.endsWith(".deb"));
  if (!deb) throw new Error(`no .deb in ${dir}`);
  const rpm = files.find((f) => f.endsWith(".rpm"));
  built.push({
    dir,
    ms: Number(readFileSync(join(work, `build-${n}-ms`), "utf8")),
    commit: existsSync(join(work, `build-${n}-commit`))
      ? readFileSync(join(work, `build-${n}-commit`), "utf8").trim()
      : "?",
    deb: join(dir, deb),
    rpm: rpm ? join(dir, rpm) : null,
  });
}
const deb = built[0].deb;

/** The members of an ar archive (a .deb): name → bytes. */
function arMembers(file: string): Map<string, Buffer> {
  const data = readFileSync(file);
  if (data.subarray(0, 8).toString("latin1") !== "!<arch>\n") throw new Error(`${file} is not an ar archive`);
  const members = new Map<string, Buffer>();
  let at = 8;
  while (at + 60 <= data.length) {
    const header = data.subarray(at, at + 60).toString("latin1");
    const name = header.slice(0, 16).trim().replace(/\/$/, "");
    const size = Number(header.slice(48, 58).trim());
    members.set(name, data.subarray(at + 60, at + 60 + size));
    at += 60 + size + (size % 2);
  }
  return members;
}

/** Every file under `dir`: relative path → sha256. */
function tree(dir: string): Map<string, string> {
  const found = new Map<string, string>();
  const walk = (at: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) found.set(relative(dir, path), sha256(readFileSync(path)));
    }
  };
  walk(dir);
  return found;
}

/** What differs between two .debs: ar members, then the files inside, then the tar listings (modes, owners, times). */
function compareDebs(a: string, b: string) {
  const same = sha256(readFileSync(a)) === sha256(readFileSync(b));
  if (same) return { identical: true, members: [], files: [], listing: [] };
  const ma = arMembers(a);
  const mb = arMembers(b);
  const members = [...new Set([...ma.keys(), ...mb.keys()])].filter(
    (name) =>
      !ma.has(name) || !mb.has(name) || sha256(ma.get(name) as Buffer) !== sha256(mb.get(name) as Buffer),
  );
  const scratch = mkdtempSync(join(tmpdir(), "runbook-deb-diff-"));
  try {
    const files: string[] = [];
    for (const [what, flag] of [
      ["data", "--extract"],
      ["control", "--control"],
    ] as const) {
      const da = join(scratch, `a-${what}`);
      const db = join(scratch, `b-${what}`);
      run("dpkg-deb", [flag, a, da]);
      run("dpkg-deb", [flag, b, db]);
      const ta = tree(da);
      const tb = tree(db);
      for (const path of new Set([...ta.keys(), ...tb.keys()])) {
        if (ta.get(path) !== tb.get(path)) files.push(`${what}: /${path}`);
      }
    }
    const la = run("dpkg-deb", ["--contents", a]).split("\n");
    const lb = new Set(run("dpkg-deb", ["--contents", b]).split("\n"));
    const listing = la.filter((line) => line !== "" && !lb.has(line));
    return { identical: false, members, files, listing };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function compareFiles(a: string | null, b: string | null) {
  if (!a || !b) return null;
  const da = readFileSync(a);
  const db = readFileSync(b);
  if (sha256(da) === sha256(db)) return { identical: true, differing_bytes: 0 };
  let differing = Math.abs(da.length - db.length);
  for (let i = 0; i < Math.min(da.length, db.length); i++) if (da[i] !== db[i]) differing++;
  return { identical: false, differing_bytes: differing };
}

const reproducible =
  built.length >= 2
    ? { deb: compareDebs(built[0].deb, built[1].deb), rpm: compareFiles(built[0].rpm, built[1].rpm) }
    : null;

// --- sizes ---------------------------------------------------------------------------

const field = (name: string) => run("dpkg-deb", ["--field", deb, name]).trim();
const contents = run("dpkg-deb", ["--contents", deb])
  .split("\n")
  .filter((line) => line.startsWith("-"))
  .map((line) => {
    const parts = line.split(/\s+/);
    return {
      size: Number(parts[2]),
      path: `/${parts
        .slice(5)
        .join(" ")
        .replace(/^\.?\//, "")}`,
    };
  });
const fileSize = (path: string) => contents.find((f) => f.path === path)?.size ?? 0;
const signature = `${deb}.sig`;
const sizes = {
  deb_bytes: statSync(deb).size,
  rpm_bytes: built[0].rpm ? statSync(built[0].rpm).size : null,
  installed_size_field_kib: Number(field("Installed-Size")),
  installed_files_bytes: contents.reduce((sum, f) => sum + f.size, 0),
  shell_bytes: fileSize("/usr/bin/runbook"),
  sidecar_bytes: fileSize("/usr/bin/runbook-sidecar"),
  // Tauri's updater on a .deb install downloads the whole .deb (no delta).
  update_download_bytes: statSync(deb).size,
  update_signature_bytes: existsSync(signature) ? statSync(signature).size : null,
  depends: field("Depends"),
};

// --- the installed app's start -------------------------------------------------------

function processesWith(marker: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/environ`, "latin1").split("\0").includes(marker))
        found.push(Number(name));
    } catch {
      // Gone, or not ours to read.
    }
  }
  return found;
}

async function waitFor<T>(check: () => T | null, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function makeHome(): string {
  const home = mkdtempSync(join(tmpdir(), "runbook-bench-home-"));
  mkdirSync(join(home, "runtime"), { mode: 0o700 });
  return home;
}

type Launch = { main_with_data_ms: number; sidecars_ready_ms: number | null; from_spawn_ms: number };

/** One launch of the installed app under `home`; the app's own report, then SIGTERM and every process gone. */
async function launch(home: string): Promise<Launch> {
  const report = join(home, "startup-report");
  rmSync(report, { force: true });
  const env: Record<string, string> = {
    PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    HOME: home,
    XDG_RUNTIME_DIR: join(home, "runtime"),
    DISPLAY: args.display as string,
    LANG: "C.UTF-8",
    CONVOY_STARTUP_REPORT: report,
  };
  const spawned = Date.now();
  const shell = spawn(SHELL, [], { cwd: home, env, stdio: "ignore" });
  const exited = new Promise((resolve) => shell.once("exit", resolve));
  try {
    const text = await waitFor(
      () => {
        const body = existsSync(report) ? readFileSync(report, "utf8") : "";
        return /main-with-data-ms=/.test(body) ? body : null;
      },
      60_000,
      "the main window with data",
    );
    const main = text.match(/main-with-data-ms=([\d.]+) unix-ms=(\d+)/);
    const sidecars = text.match(/sidecars-ready-ms=([\d.]+)/);
    if (!main) throw new Error(`unexpected report: ${text}`);
    return {
      main_with_data_ms: Number(main[1]),
      sidecars_ready_ms: sidecars ? Number(sidecars[1]) : null,
      from_spawn_ms: Number(main[2]) - spawned,
    };
  } finally {
    shell.kill("SIGTERM");
    await exited;
    await waitFor(
      () => (processesWith(`HOME=${home}`).length === 0 ? true : null),
      15_000,
      "every process to exit",
    );
  }
}

const wasInstalled =
  quiet("dpkg-query", ["--show", "--showformat", dpkgFormat("db:Status-Status"), "runbook"]) === "installed";
run("apt-get", ["install", "--yes", "--no-install-recommends", deb]);
const installedDu = Number(
  quiet("du", ["-sb", ...contents.map((f) => f.path)])
    .split("\n")
    .reduce((sum, line) => sum + Number(line.split("\t")[0] || 0), 0),
);

const homes: string[] = [];
const samples: { fresh: Launch[]; again: Launch[]; pageCacheDropped: Launch | null } = {
  fresh: [],
  again: [],
  pageCacheDropped: null,
};
try {
  // The first launch after install with the page cache dropped, where the kernel lets us:
  // the files come from disk, as on a real first start.
  const coldHome = makeHome();
  homes.push(coldHome);
  try {
    execFileSync("sync");
    writeFileSync("/proc/sys/vm/drop_caches", "3");
    samples.pageCacheDropped = await launch(coldHome);
  } catch (error) {
    console.error(`note: no page-cache-dropped launch (${(error as Error).message})`);
  }
  // One warm-up launch, not counted.
  const warm = makeHome();
  homes.push(warm);
  await launch(warm);
  const again = makeHome();
  homes.push(again);
  await launch(again); // its database exists from here on
  for (let i = 0; i < runs; i++) {
    const fresh = makeHome();
    homes.push(fresh);
    samples.fresh.push(await launch(fresh));
    samples.again.push(await launch(again));
    console.error(
      `launch ${i + 1}/${runs}: fresh ${samples.fresh.at(-1)?.main_with_data_ms} ms, again ${samples.again.at(-1)?.main_with_data_ms} ms`,
    );
  }
} finally {
  if (!wasInstalled) run("apt-get", ["remove", "--yes", "runbook"]);
  for (const home of homes) rmSync(home, { recursive: true, force: true });
}

// --- the record --------------------------------------------------------------------

const loadavg = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).map(Number);
const machine = {
  date: new Date().toISOString(),
  cpu: readFileSync("/proc/cpuinfo", "utf8").match(/^model name\s*:\s*(.+)$/m)?.[1] ?? "?",
  cores: cpus().length,
  memory_gib: Math.round((totalmem() / 2 ** 30) * 10) / 10,
  kernel: release(),
  load_average_before: readFileSync(join(work, "loadavg-before"), "utf8").trim().split(" ").map(Number),
  load_average_after: loadavg(),
  rustc: quiet("rustc", ["--version"]),
  bun: Bun.version,
  tauri_cli: quiet("tauri", ["--version"]),
  webkit2gtk: quiet("dpkg-query", ["--show", "--showformat", dpkgFormat("Version"), "libwebkit2gtk-4.1-0"]),
  valkey: quiet("redis-server", ["--version"]),
  git_head: quiet("git", ["rev-parse", "--short", "HEAD"]),
  git_dirty: quiet("git", ["status", "--porcelain", "--untracked-files=no"]) !== "",
};
const record = {
  machine,
  builds: built.map((b) => ({
    ms: b.ms,
    commit: b.commit,
    deb: basename(b.deb),
    rpm: b.rpm ? basename(b.rpm) : null,
  })),
  sizes: { ...sizes, installed_du_bytes: installedDu },
  reproducible,
  start: {
    runs,
    page_cache_dropped: samples.pageCacheDropped,
    fresh_home: {
      samples: samples.fresh,
      main_with_data_ms: stats(samples.fresh.map((s) => s.main_with_data_ms)),
      from_spawn_ms: stats(samples.fresh.map((s) => s.from_spawn_ms)),
    },
    same_home: {
      samples: samples.again,
      main_with_data_ms: stats(samples.again.map((s) => s.main_with_data_ms)),
      from_spawn_ms: stats(samples.again.map((s) => s.from_spawn_ms)),
    },
  },
};
writeFileSync(args.json, `${JSON.stringify(record, null, 2)}\n`);

const mb = (bytes: number | null) => (bytes === null ? "—" : `${(bytes / 1e6).toFixed(1)} MB`);
const row = (name: string, s: ReturnType<typeof stats>) =>
  `| ${name} | ${s.median} | ${s.p90} | ${s.min} | ${s.max} |`;
const debMet = sizes.deb_bytes < AIM_DEB_MB * 1e6;
const sameCommit = built.length >= 2 && built[0].commit === built[1].commit;
const reproFigure = !reproducible
  ? "not measured (one build)"
  : reproducible.deb.identical && (reproducible.rpm?.identical ?? true)
    ? "yes: the .deb and the .rpm of both builds are byte-identical"
    : `no: ${[
        reproducible.deb.identical
          ? null
          : `.deb members ${reproducible.deb.members.join(", ")}; files ${reproducible.deb.files.join(", ") || "none"}; listing lines ${reproducible.deb.listing.length}`,
        reproducible.rpm && !reproducible.rpm.identical
          ? `.rpm ${reproducible.rpm.differing_bytes} bytes`
          : null,
      ]
        .filter(Boolean)
        .join("; ")}`;
// The tree is shared: when it moved between the builds, they are two commits, and the note says so.
const reproNote =
  reproducible && !sameCommit
    ? `not a same-commit comparison: the builds were of ${built.map((b) => b.commit).join(" and ")} (the tree moved between them); ${reproFigure}`
    : reproFigure;
const lines = [
  "# Package",
  "",
  `Runbook's release packages from \`scripts/package.sh\` (commit ${machine.git_head}${machine.git_dirty ? ", with uncommitted changes" : ""}), and the installed app's start. ${machine.date}, ${machine.cpu}, ${machine.cores} cores, load ${machine.load_average_before.join(" ")} before, ${machine.load_average_after.join(" ")} after; ${machine.rustc}, Bun ${machine.bun}, ${machine.tauri_cli}, WebKitGTK ${machine.webkit2gtk}.`,
  "",
  "## Aims",
  "",
  "| aim | figure | met |",
  "| --- | --- | --- |",
  `| the .deb under ${AIM_DEB_MB} MB, sidecar runtime included | ${mb(sizes.deb_bytes)} | ${debMet ? "yes" : "no"} |`,
  `| two builds of the same commit byte-identical | ${reproNote} | ${!reproducible || !sameCommit ? "not measured" : reproNote.startsWith("yes") ? "yes" : "no"} |`,
  "",
  "## Sizes",
  "",
  "| what | size |",
  "| --- | --- |",
  `| .deb | ${mb(sizes.deb_bytes)} (${sizes.deb_bytes} bytes) |`,
  `| .rpm | ${mb(sizes.rpm_bytes)} |`,
  `| installed (dpkg's Installed-Size) | ${(sizes.installed_size_field_kib / 1024).toFixed(1)} MiB |`,
  `| installed (the files, measured) | ${mb(installedDu)} |`,
  `| of which the shell, /usr/bin/runbook | ${mb(sizes.shell_bytes)} |`,
  `| of which the sidecar (Bun runtime included), /usr/bin/runbook-sidecar | ${mb(sizes.sidecar_bytes)} |`,
  `| update download (the whole .deb; Tauri's updater has no deltas) | ${mb(sizes.update_download_bytes)}${sizes.update_signature_bytes ? ` + ${sizes.update_signature_bytes} bytes of signature` : ""} |`,
  "",
  `Depends: \`${sizes.depends}\` (Valkey, WebKitGTK and GTK come from Debian, not the package).`,
  "",
  "## Build time",
  "",
  "| build | time |",
  "| --- | --- |",
  ...built.map(
    (b, i) =>
      `| ${i + 1}, ${b.commit} (${i === 0 ? "after whatever the target dir held" : b.commit === built[0].commit ? "warm: the same commit again" : "the tree had moved: what changed is built again"}) | ${(b.ms / 1000).toFixed(0)} s |`,
  ),
  "",
  "## Start: /usr/bin/runbook → the main window with api data (ms)",
  "",
  "As the app reports it (`CONVOY_STARTUP_REPORT`: from the top of the shell's `run()`); from spawn adds the exec and the dynamic loading before it.",
  "",
  "| launch | median | p90 | min | max |",
  "| --- | --- | --- | --- | --- |",
  row("a new user's home (migrate creates the database)", record.start.fresh_home.main_with_data_ms),
  row("the same home again", record.start.same_home.main_with_data_ms),
  row("a new user's home, from spawn", record.start.fresh_home.from_spawn_ms),
  row("the same home again, from spawn", record.start.same_home.from_spawn_ms),
  samples.pageCacheDropped
    ? `| first launch after install, page cache dropped (one launch; from spawn) | ${samples.pageCacheDropped.main_with_data_ms} (${samples.pageCacheDropped.from_spawn_ms}) | | | |`
    : "| first launch after install, page cache dropped | not measured (the kernel refused) | | | |",
  "",
];
writeFileSync(args.md, `${lines.join("\n")}\n`);
