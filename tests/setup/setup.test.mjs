// scripts/setup.sh against deliberately incomplete machines: a Rust home whose
// toolchain lacks its targets or a component, or has no toolchain at all; a
// Cargo home without tauri-driver; a tree with no node_modules or one installed
// from another lockfile; a missing Debian package; a Node.js that is too old.
// Each check must name what is missing, and the parts that install from a
// local cache (npm packages, a Rust component) are installed for real.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";

const root = path.resolve(import.meta.dirname, "../..");
const toolchainToml = fs.readFileSync(path.join(root, "rust-toolchain.toml"), "utf8");
const field = (key) => {
  const line = toolchainToml.split("\n").find((l) => l.startsWith(`${key} `) || l.startsWith(`${key}=`));
  return line ? [...line.matchAll(/"([^"]+)"/g)].map((m) => m[1]) : [];
};
const [channel] = field("channel");
const components = field("components");
const targets = field("targets");

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "convoy-setup-test-"));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", ...opts });
  if (r.error) throw r.error;
  return r;
}

const rustupHome = process.env.RUSTUP_HOME ?? path.join(os.homedir(), ".rustup");
const host = sh("rustup", ["show"], { cwd: "/" }).stdout.match(/^Default host: (\S+)/m)?.[1];
const toolchain = `${channel}-${host}`;

// Runs setup (from `tree`, default the checkout) with `env` laid over this one.
// A scratch target dir per tree keeps the shared build's ownership stamp untouched.
function setup(args, env = {}, tree = root) {
  return sh("bash", [path.join(tree, "scripts/setup.sh"), ...args], {
    cwd: tree,
    env: { ...process.env, CARGO_TARGET_DIR: path.join(scratch, "target", path.basename(tree)), ...env },
  });
}
const planOf = (r) => {
  assert.equal(r.status, 0, `setup --plan failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
};

// A Rust home holding a hard-linked copy of the real toolchain, with the
// named targets and components taken out of it as rustup records them.
// Files rustup rewrites are real copies, so nothing reaches the real toolchain.
function rustHome(name, { drop = [], dropTargets = [], noToolchain = false } = {}) {
  const home = path.join(scratch, name);
  fs.mkdirSync(path.join(home, "toolchains"), { recursive: true });
  fs.writeFileSync(
    path.join(home, "settings.toml"),
    `version = "12"\ndefault_toolchain = "${toolchain}"\nprofile = "minimal"\nauto_self_update = "disable"\n`,
  );
  if (noToolchain) return home;
  const real = fs.realpathSync(path.join(rustupHome, "toolchains", toolchain));
  const copy = path.join(home, "toolchains", toolchain);
  assert.equal(sh("cp", ["-al", real, copy]).status, 0);
  const rustlib = path.join(copy, "lib/rustlib");
  for (const f of fs.readdirSync(rustlib)) {
    const p = path.join(rustlib, f);
    if (!fs.statSync(p).isFile()) continue;
    fs.writeFileSync(`${p}.tmp`, fs.readFileSync(p));
    fs.renameSync(`${p}.tmp`, p);
  }
  // A dropped component's files go too (unlinked: the real toolchain keeps them),
  // so that installing it again writes new files rather than through a link.
  for (const c of drop) {
    for (const manifest of [`manifest-${c}-${host}`, `manifest-${c}-preview-${host}`]) {
      const p = path.join(rustlib, manifest);
      if (!fs.existsSync(p)) continue;
      for (const line of fs.readFileSync(p, "utf8").split("\n")) {
        const [kind, rel] = line.split(":");
        if (rel) fs.rmSync(path.join(copy, rel), { recursive: kind === "dir", force: true });
      }
      fs.rmSync(p);
    }
  }
  const gone = (pkg, target) =>
    drop.some((c) => pkg === c || pkg === `${c}-preview`) ||
    (pkg === "rust-std" && dropTargets.includes(target));
  const config = path.join(rustlib, "multirust-config.toml");
  const [head, ...blocks] = fs.readFileSync(config, "utf8").split("[[components]]");
  const kept = blocks.filter((b) => !gone(b.match(/pkg = "([^"]+)"/)[1], b.match(/target = "([^"]+)"/)[1]));
  fs.writeFileSync(config, [head, ...kept].join("[[components]]"));
  const list = path.join(rustlib, "components");
  const names = fs.readFileSync(list, "utf8").split("\n");
  fs.writeFileSync(
    list,
    names
      .filter((n) => !drop.some((c) => n === `${c}-${host}` || n === `${c}-preview-${host}`))
      .filter((n) => !dropTargets.some((t) => n === `rust-std-${t}`))
      .join("\n"),
  );
  for (const t of dropTargets) fs.rmSync(path.join(rustlib, t), { recursive: true, force: true });
  return home;
}

const emptyCargoHome = () => {
  const home = fs.mkdtempSync(path.join(scratch, "cargo-"));
  fs.mkdirSync(path.join(home, "bin"));
  return home;
};

describe("setup finds what is missing", () => {
  test("a complete machine: nothing to install, said in one line, and no build touched", () => {
    // A shared target dir last built from another tree: setup builds nothing, so it leaves it be.
    const target = fs.mkdtempSync(path.join(scratch, "shared-target-"));
    fs.writeFileSync(path.join(target, ".convoy-tree"), "/another/clone\n");
    const r = setup([], { CARGO_TARGET_DIR: target });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^setup: nothing to install \(checked .+\)\n$/);
    assert.equal(r.stderr, "");
    assert.equal(fs.readFileSync(path.join(target, ".convoy-tree"), "utf8"), "/another/clone\n");
    assert.match(planOf(setup(["--plan"])), /^setup: nothing missing/);
  });

  test("a toolchain that exists but lacks its targets", () => {
    assert.ok(targets.length > 0, "rust-toolchain.toml names targets");
    const home = rustHome("no-targets", { dropTargets: targets });
    const listed = sh("rustup", ["target", "list", "--installed", "--toolchain", toolchain], {
      env: { ...process.env, RUSTUP_HOME: home },
    }).stdout;
    for (const t of targets)
      assert.doesNotMatch(listed, new RegExp(`^${t}$`, "m"), "the scratch toolchain lacks it");
    const plan = planOf(setup(["--plan"], { RUSTUP_HOME: home }));
    assert.match(plan, new RegExp(`Rust ${channel} targets: ${targets.join(" ")} \\(rustup target add\\)`));
    assert.doesNotMatch(plan, /components:|toolchain install/);
  });

  test("a toolchain that lacks one of its components", () => {
    const home = rustHome("no-clippy", { drop: ["clippy"] });
    const plan = planOf(setup(["--plan"], { RUSTUP_HOME: home }));
    assert.match(plan, new RegExp(`Rust ${channel} components: clippy \\(rustup component add\\)`));
    assert.doesNotMatch(plan, /targets:/);
  });

  test("no toolchain at all: the toolchain, then every component and target", () => {
    const home = rustHome("none", { noToolchain: true });
    const plan = planOf(setup(["--plan"], { RUSTUP_HOME: home }));
    const want = [
      `Rust toolchain ${toolchain} (rustup toolchain install)`,
      `Rust ${channel} components: ${components.join(" ")} (rustup component add)`,
      `Rust ${channel} targets: ${targets.join(" ")} (rustup target add)`,
    ];
    const at = want.map((w) => plan.indexOf(w));
    assert.ok(
      at.every((i) => i >= 0),
      plan,
    );
    assert.deepEqual(
      [...at].sort((a, b) => a - b),
      at,
      "installed in this order",
    );
  });

  test("a Cargo home without tauri-driver", () => {
    const plan = planOf(setup(["--plan"], { CARGO_HOME: emptyCargoHome() }));
    assert.match(plan, /tauri-driver \d+\.\d+\.\d+ \(cargo install\)/);
  });

  test("a Debian package that is not installed", () => {
    const bin = path.join(scratch, "fake-dpkg");
    fs.mkdirSync(bin, { recursive: true });
    const real = sh("bash", ["-c", "command -v dpkg-query"]).stdout.trim();
    fs.writeFileSync(
      path.join(bin, "dpkg-query"),
      `#!/bin/sh\nfor a; do [ "$a" = redis-server ] && { echo "dpkg-query: no packages found matching redis-server" >&2; exit 1; }; done\nexec ${real} "$@"\n`,
      { mode: 0o755 },
    );
    const plan = planOf(setup(["--plan"], { PATH: `${bin}:${process.env.PATH}` }));
    assert.match(plan, /Debian packages: redis-server \(apt-get install\)/);
  });

  test("a Node.js older than the one required is refused by name", () => {
    const bin = path.join(scratch, "old-node");
    fs.mkdirSync(bin, { recursive: true });
    fs.writeFileSync(path.join(bin, "node"), "#!/bin/sh\necho 18.19.0\n", { mode: 0o755 });
    const r = setup(["--plan"], { PATH: `${bin}:${process.env.PATH}` });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /Node\.js 18\.19\.0 is too old: Convoy needs \d+\.\d+ or newer/);
  });
});

describe("setup finds the FastAPI example's venv missing", () => {
  // A tree with setup's own files and the example's requirements, but no venv.
  const tree = path.join(scratch, "tree-venv");
  before(() => {
    const files = sh("git", ["ls-files", "--", "scripts", "rust-toolchain.toml", "package*.json"], {
      cwd: root,
    })
      .stdout.split("\n")
      .filter(Boolean)
      .concat("examples/fastapi-valkey/requirements.txt");
    for (const f of files) {
      fs.mkdirSync(path.dirname(path.join(tree, f)), { recursive: true });
      fs.copyFileSync(path.join(root, f), path.join(tree, f));
    }
  });

  test("no venv, then a venv made from other requirements", () => {
    const want = "Python venv for examples/fastapi-valkey: %s (python3 -m venv, pip install)";
    assert.ok(
      planOf(setup(["--plan"], {}, tree)).includes(
        want.replace("%s", "no venv at examples/fastapi-valkey/.venv"),
      ),
    );
    const venv = path.join(tree, "examples/fastapi-valkey/.venv");
    fs.mkdirSync(path.join(venv, "bin"), { recursive: true });
    fs.symlinkSync(sh("bash", ["-c", "command -v python3"]).stdout.trim(), path.join(venv, "bin/python"));
    fs.writeFileSync(path.join(venv, ".convoy-requirements-hash"), "0".repeat(64));
    assert.ok(
      planOf(setup(["--plan"], {}, tree)).includes(
        want.replace("%s", "the venv was not made from these requirements"),
      ),
    );
  });
});

describe("setup installs what is missing", () => {
  // A tree with the checkout's scripts and manifests but no node_modules.
  const tree = path.join(scratch, "tree");
  before(() => {
    const files = sh(
      "git",
      [
        "ls-files",
        "--",
        "scripts",
        "rust-toolchain.toml",
        "package-lock.json",
        "package.json",
        "*/package.json",
      ],
      {
        cwd: root,
      },
    )
      .stdout.split("\n")
      .filter(Boolean);
    for (const f of files) {
      fs.mkdirSync(path.dirname(path.join(tree, f)), { recursive: true });
      fs.copyFileSync(path.join(root, f), path.join(tree, f));
    }
  });

  test("npm packages: none installed, then installed with npm ci, then nothing to do", () => {
    assert.match(
      planOf(setup(["--plan"], {}, tree)),
      /npm packages from package-lock.json: no node_modules installed from it \(npm ci\)/,
    );
    const lock = fs.readFileSync(path.join(tree, "package-lock.json"));
    const r = setup([], {}, tree);
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /setup: installed 1 part\(s\); every requirement is now in place/);
    assert.ok(fs.existsSync(path.join(tree, "node_modules/.bin/tsc")), "npm ci installed the packages");
    assert.deepEqual(
      fs.readFileSync(path.join(tree, "package-lock.json")),
      lock,
      "the lockfile is unchanged",
    );
    assert.match(setup([], {}, tree).stdout, /^setup: nothing to install/);
  });

  test("npm packages installed from another lockfile, or missing a binary", () => {
    const stamp = path.join(tree, "node_modules/.convoy-lock-hash");
    const good = fs.readFileSync(stamp, "utf8");
    fs.writeFileSync(stamp, "0".repeat(64));
    assert.match(
      planOf(setup(["--plan"], {}, tree)),
      /node_modules was installed from another lockfile \(npm ci\)/,
    );
    fs.writeFileSync(stamp, good);
    fs.rmSync(path.join(tree, "node_modules/.bin/biome"));
    assert.match(planOf(setup(["--plan"], {}, tree)), /node_modules lacks biome \(npm ci\)/);
  });

  test("a Rust component: added with rustup, then nothing to do", () => {
    const home = rustHome("install-rustfmt", { drop: ["rustfmt"] });
    const env = { RUSTUP_HOME: home };
    assert.match(planOf(setup(["--plan"], env)), /components: rustfmt \(rustup component add\)/);
    const r = setup([], env);
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /setup: installed 1 part\(s\)/);
    const listed = sh("rustup", ["component", "list", "--installed", "--toolchain", toolchain], {
      env: { ...process.env, ...env },
    }).stdout;
    assert.match(listed, /^rustfmt/m);
    assert.match(planOf(setup(["--plan"], env)), /^setup: nothing missing/);
  });
});
