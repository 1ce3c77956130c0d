// The package benchmark's measuring half (bench/package.sh builds the packages
// first): the .deb's size, its installed size and the update download; whether
// two builds of the same commit are byte-identical, and where not, which
// member and which file differs; then the installed app's cold start,
// /usr/bin/runbook → the main window showing api data, as the app reports it
// (CONVOY_STARTUP_REPORT), each launch with a home of its own or the same home
// again. Writes package.json (every sample, the machine) and package.md;
// `render` turns a record into package.md and may be imported on its own.
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
import { tmpdir } from "node:os";
import { basename, join, relative } from "node:path";
import { waitFor } from "@convoy/testing";
import { withEnvironment } from "./lib/environ.ts";
import { saveLoadAverage } from "./lib/load.ts";
import { dpkgVersion, firstLine, type Machine, machineInfo } from "./lib/machine.ts";
import { reportArgs, writeReport } from "./lib/report.ts";
import { type Stats, stats } from "./lib/stats.ts";
import { fmt, STATS_HEAD, statsRow, table } from "./lib/table.ts";

/** A dpkg-query `--showformat`: field names become `${name}`, anything with a space stays as it is. */
const dpkgFormat = (...parts: string[]) =>
  parts.map((part) => (part.includes(" ") ? part : `$${"{"}${part}}`)).join("");

const AIM_DEB_MB = 40;
const SHELL = "/usr/bin/runbook";

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

type Build = { dir: string; ms: number; commit: string; deb: string; rpm: string | null };

/** The packages of build `n` (bench/package.sh copied them into `<work>/build-<n>/`), its time and commit. */
function readBuild(work: string, n: number): Build {
  const dir = join(work, `build-${n}`);
  const files = readdirSync(dir);
  const deb = files.find((f) => f.endsWith(".deb"));
  if (!deb) throw new Error(`no .deb in ${dir}`);
  const rpm = files.find((f) => f.endsWith(".rpm"));
  const commit = join(work, `build-${n}-commit`);
  return {
    dir,
    ms: Number(readFileSync(join(work, `build-${n}-ms`), "utf8")),
    commit: existsSync(commit) ? readFileSync(commit, "utf8").trim() : "?",
    deb: join(dir, deb),
    rpm: rpm ? join(dir, rpm) : null,
  };
}

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

function makeHome(): string {
  const home = mkdtempSync(join(tmpdir(), "runbook-bench-home-"));
  mkdirSync(join(home, "runtime"), { mode: 0o700 });
  return home;
}

type Launch = { main_with_data_ms: number; sidecars_ready_ms: number | null; from_spawn_ms: number };

/** One launch of the installed app under `home`; the app's own report, then SIGTERM and every process gone. */
async function launch(home: string, display: string): Promise<Launch> {
  const report = join(home, "startup-report");
  rmSync(report, { force: true });
  const env: Record<string, string> = {
    PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    HOME: home,
    XDG_RUNTIME_DIR: join(home, "runtime"),
    DISPLAY: display,
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
        return /main-with-data-ms=/.test(body) && body;
      },
      { timeout: 60_000, interval: 10, message: "the main window with data" },
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
    await waitFor(() => withEnvironment(`HOME=${home}`).length === 0, {
      timeout: 15_000,
      interval: 10,
      message: "every process to exit",
    });
  }
}

type Reproducible = {
  deb: ReturnType<typeof compareDebs>;
  rpm: ReturnType<typeof compareFiles>;
} | null;

/** The record's machine: what every record says, this benchmark's versions, and whether the tree was clean. */
export interface PackageMachine
  extends Pick<
    Machine,
    | "date"
    | "cpu"
    | "cores"
    | "memory_gib"
    | "kernel"
    | "load_average_before"
    | "load_average_after"
    | "git_head"
  > {
  rustc: string | null;
  bun: string;
  tauri_cli: string | null;
  webkit2gtk: string | null;
  valkey: string | null;
  git_dirty: boolean;
}

/** What package.json holds (and `render` reads). */
export interface PackageRecord {
  machine: PackageMachine;
  builds: { ms: number; commit: string; deb: string; rpm: string | null }[];
  sizes: {
    deb_bytes: number;
    rpm_bytes: number | null;
    installed_size_field_kib: number;
    installed_files_bytes: number;
    shell_bytes: number;
    sidecar_bytes: number;
    update_download_bytes: number;
    update_signature_bytes: number | null;
    depends: string;
    installed_du_bytes: number;
  };
  reproducible: Reproducible;
  start: {
    runs: number;
    page_cache_dropped: Launch | null;
    fresh_home: { samples: Launch[]; main_with_data_ms: Stats | null; from_spawn_ms: Stats | null };
    same_home: { samples: Launch[]; main_with_data_ms: Stats | null; from_spawn_ms: Stats | null };
  };
}

/** Builds `builds` packages' figures, installs the .deb, launches it `runs` times on `display`, removes it. */
async function measure(work: string, builds: number, runs: number, display: string): Promise<PackageRecord> {
  const built = Array.from({ length: builds }, (_, i) => readBuild(work, i + 1));
  const first = built[0];
  if (!first) throw new Error("no build to measure");
  const deb = first.deb;
  const second = built[1];
  const reproducible: Reproducible = second
    ? { deb: compareDebs(first.deb, second.deb), rpm: compareFiles(first.rpm, second.rpm) }
    : null;

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
    rpm_bytes: first.rpm ? statSync(first.rpm).size : null,
    installed_size_field_kib: Number(field("Installed-Size")),
    installed_files_bytes: contents.reduce((sum, f) => sum + f.size, 0),
    shell_bytes: fileSize("/usr/bin/runbook"),
    sidecar_bytes: fileSize("/usr/bin/runbook-sidecar"),
    // Tauri's updater on a .deb install downloads the whole .deb (no delta).
    update_download_bytes: statSync(deb).size,
    update_signature_bytes: existsSync(signature) ? statSync(signature).size : null,
    depends: field("Depends"),
  };

  const wasInstalled =
    quiet("dpkg-query", ["--show", "--showformat", dpkgFormat("db:Status-Status"), "runbook"]) ===
    "installed";
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
      samples.pageCacheDropped = await launch(coldHome, display);
    } catch (error) {
      console.error(`note: no page-cache-dropped launch (${(error as Error).message})`);
    }
    // One warm-up launch, not counted.
    const warm = makeHome();
    homes.push(warm);
    await launch(warm, display);
    const again = makeHome();
    homes.push(again);
    await launch(again, display); // its database exists from here on
    for (let i = 0; i < runs; i++) {
      const fresh = makeHome();
      homes.push(fresh);
      samples.fresh.push(await launch(fresh, display));
      samples.again.push(await launch(again, display));
      console.error(
        `launch ${i + 1}/${runs}: fresh ${samples.fresh.at(-1)?.main_with_data_ms} ms, again ${samples.again.at(-1)?.main_with_data_ms} ms`,
      );
    }
  } finally {
    if (!wasInstalled) run("apt-get", ["remove", "--yes", "runbook"]);
    for (const home of homes) rmSync(home, { recursive: true, force: true });
  }

  saveLoadAverage(work, "after");
  const versions = {
    rustc: firstLine("rustc", "--version"),
    bun: Bun.version,
    tauri_cli: firstLine("tauri", "--version"),
    webkit2gtk: dpkgVersion("libwebkit2gtk-4.1-0"),
    valkey: firstLine("redis-server", "--version"),
  };
  const { git_head, ...measuredOn } = machineInfo(work, versions);
  const machine: PackageMachine = {
    ...(measuredOn as Omit<PackageMachine, "git_head" | "git_dirty">),
    git_head,
    git_dirty: quiet("git", ["status", "--porcelain", "--untracked-files=no"]) !== "",
  };
  return {
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
}

const mb = (bytes: number | null) => (bytes === null ? "–" : `${fmt(bytes / 1e6, 1)} MB`);
const yesNo = (value: boolean | undefined) => (value === undefined ? "–" : value ? "yes" : "no");
const listed = (items: readonly string[] | undefined) =>
  items === undefined ? "–" : items.join(", ") || "none";

/** package.md from the record: tables of the figures, verdicts in the aims' "met" column. */
export function render(r: PackageRecord): string {
  const m = r.machine;
  const s = r.sizes;
  const repro = r.reproducible;
  const [first, second] = r.builds;
  const sameCommit = first !== undefined && second !== undefined && first.commit === second.commit;
  const identical = repro?.deb.identical === true && (repro.rpm?.identical ?? true);
  const reproMet = repro === null || !sameCommit ? "not measured" : identical ? "yes" : "no";
  const reproFigure =
    `builds of ${r.builds.map((b) => b.commit).join(" and ")}; .deb identical: ${yesNo(repro?.deb.identical)}; ` +
    `members differing: ${listed(repro?.deb.members)}; files differing: ${listed(repro?.deb.files)}; ` +
    `listing lines differing: ${repro?.deb.listing.length ?? "–"}; ` +
    `.rpm identical: ${yesNo(repro?.rpm?.identical)}; bytes differing: ${repro?.rpm?.differing_bytes ?? "–"}`;
  const ms = (x: number) => fmt(x, 1);
  const dropped = r.start.page_cache_dropped;
  const lines = [
    "# Package",
    "",
    `Runbook's release packages from \`scripts/package.sh\` (commit ${m.git_head}; uncommitted changes in the tree: ${yesNo(m.git_dirty)}), and the installed app's start. ${m.date}, ${m.cpu}, ${m.cores} cores, load ${m.load_average_before?.join(" ")} before, ${m.load_average_after?.join(" ")} after; ${m.rustc}, Bun ${m.bun}, ${m.tauri_cli}, WebKitGTK ${m.webkit2gtk}.`,
    "",
    "## Aims",
    "",
    table(
      ["aim", "figure", "met"],
      [
        [
          `the .deb under ${AIM_DEB_MB} MB, sidecar runtime included`,
          mb(s.deb_bytes),
          s.deb_bytes < AIM_DEB_MB * 1e6 ? "yes" : "no",
        ],
        ["two builds of the same commit byte-identical", reproFigure, reproMet],
      ],
      ["l", "l", "l"],
    ),
    "",
    "A comparison counts only when both builds are of one commit: the tree is shared and may move between them.",
    "",
    "## Sizes",
    "",
    table(
      ["what", "size"],
      [
        [".deb", `${mb(s.deb_bytes)} (${s.deb_bytes} bytes)`],
        [".rpm", mb(s.rpm_bytes)],
        ["installed (dpkg's Installed-Size)", `${fmt(s.installed_size_field_kib / 1024, 1)} MiB`],
        ["installed (the files, measured)", mb(s.installed_du_bytes)],
        ["of which the shell, /usr/bin/runbook", mb(s.shell_bytes)],
        ["of which the sidecar (Bun runtime included), /usr/bin/runbook-sidecar", mb(s.sidecar_bytes)],
        ["update download (the whole .deb; Tauri's updater has no deltas)", mb(s.update_download_bytes)],
        ["update signature (bytes)", s.update_signature_bytes],
      ],
      ["l", "l"],
    ),
    "",
    `Depends: \`${s.depends}\` (Valkey, WebKitGTK and GTK come from Debian, not the package).`,
    "",
    "## Build time",
    "",
    table(
      ["build", "commit", "time (s)"],
      r.builds.map((b, i) => [String(i + 1), b.commit, fmt(b.ms / 1000, 0)]),
      ["l", "l", "r"],
    ),
    "",
    "The first build starts from whatever the target dir held; a second one of the same commit is warm, and of another commit (the tree moved) builds again what changed.",
    "",
    "## Start: /usr/bin/runbook → the main window with api data (ms)",
    "",
    "As the app reports it (`CONVOY_STARTUP_REPORT`: from the top of the shell's `run()`); from spawn adds the exec and the dynamic loading before it. The first launch after install is one launch with the page cache dropped (n 0 where the kernel refused).",
    "",
    table(
      ["launch", ...STATS_HEAD.slice(1)],
      (
        [
          ["a new user's home (migrate creates the database)", r.start.fresh_home.main_with_data_ms],
          ["the same home again", r.start.same_home.main_with_data_ms],
          ["a new user's home, from spawn", r.start.fresh_home.from_spawn_ms],
          ["the same home again, from spawn", r.start.same_home.from_spawn_ms],
          ["first launch after install, page cache dropped", stats([dropped?.main_with_data_ms])],
          ["first launch after install, page cache dropped, from spawn", stats([dropped?.from_spawn_ms])],
        ] as const
      ).map(([label, st]) => statsRow(label, st, ms)),
    ),
    "",
  ];
  return lines.join("\n");
}

if (import.meta.main) {
  const args = reportArgs("package", {
    extra: {
      builds: { type: "string", default: "2" },
      runs: { type: "string", default: "10" },
      display: { type: "string" },
    },
  });
  const { values } = args;
  if (!values.display) throw new Error("--display is required (the X display the app starts on)");
  const record = await measure(args.work, Number(values.builds), Number(values.runs), values.display);
  writeReport(args, record, render(record));
}
