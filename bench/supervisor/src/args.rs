//! The command line, through pico-args: each phase takes its own options, and
//! anything it does not know is an error.

use std::{ffi::OsString, path::PathBuf, time::Duration};

use pico_args::Arguments;

use crate::{runbook::Variant, Result};

pub const USAGE: &str = "usage: convoy-supervisor-bench <graph|flood|exec> --out FILE [options]
  graph  --valkey PROGRAM [--bun PROGRAM] [--compiled PROGRAM] [--conf TAURI_CONF]
         [--runs 10] [--crashes 10] [--pause-ms 1500]
         (--bun: the sidecar as a development build runs it, its TypeScript under
         that Bun; --compiled: that executable, as shipped; at least one)
  flood  [--bytes 300000000] [--line 120] [--runs 3]
  exec   --label LABEL [--runs 20] -- PROGRAM [ARGS]...";

pub struct Args {
    pub out: PathBuf,
    pub phase: Phase,
}

pub enum Phase {
    Graph(GraphArgs),
    Flood(FloodArgs),
    Exec(ExecArgs),
}

pub struct GraphArgs {
    /// The `tauri.conf.json` whose `plugins."convoy-supervisor"` section is the graph.
    pub conf: PathBuf,
    pub valkey: PathBuf,
    /// In the order they take turns.
    pub variants: Vec<Variant>,
    pub runs: usize,
    pub crashes: usize,
    pub pause: Duration,
}

pub struct FloodArgs {
    pub bytes: u64,
    pub line: u64,
    pub runs: usize,
}

pub struct ExecArgs {
    pub label: String,
    pub runs: usize,
    pub command: Vec<String>,
}

/// Runbook's configuration, where the app's `build.rs` checks it.
pub fn runbook_conf() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../apps/runbook/src-tauri/tauri.conf.json")
}

impl Args {
    pub fn parse(raw: Vec<OsString>) -> Result<Self> {
        // What follows `--` is the program `exec` times, left as it is.
        let (raw, command) = match raw.iter().position(|arg| arg == "--") {
            Some(at) => (raw[..at].to_vec(), raw[at + 1..].to_vec()),
            None => (raw, Vec::new()),
        };
        let mut args = Arguments::from_vec(raw);
        let phase = args.subcommand()?.ok_or("no phase given")?;
        let out = args.value_from_str("--out")?;
        let phase = match phase.as_str() {
            "graph" => {
                let mut variants = Vec::new();
                if let Some(bun) = args.opt_value_from_str("--bun")? {
                    variants.push(Variant::Development { bun });
                }
                if let Some(program) = args.opt_value_from_str("--compiled")? {
                    variants.push(Variant::Compiled { program });
                }
                if variants.is_empty() {
                    return Err("graph needs --bun, --compiled or both".into());
                }
                Phase::Graph(GraphArgs {
                    conf: args
                        .opt_value_from_str("--conf")?
                        .unwrap_or_else(runbook_conf),
                    valkey: args.value_from_str("--valkey")?,
                    variants,
                    runs: number(&mut args, "--runs", 10)?,
                    crashes: number(&mut args, "--crashes", 10)?,
                    pause: Duration::from_millis(number(&mut args, "--pause-ms", 1500)?),
                })
            }
            "flood" => Phase::Flood(FloodArgs {
                bytes: number(&mut args, "--bytes", 300_000_000)?,
                line: number(&mut args, "--line", 120)?,
                runs: number(&mut args, "--runs", 3)?,
            }),
            "exec" => {
                let command = command
                    .into_iter()
                    .map(|arg| arg.into_string().map_err(|_| "a non-UTF-8 argument"))
                    .collect::<std::result::Result<Vec<_>, _>>()?;
                if command.is_empty() {
                    return Err("exec needs a program after --".into());
                }
                Phase::Exec(ExecArgs {
                    label: args.value_from_str("--label")?,
                    runs: number(&mut args, "--runs", 20)?,
                    command,
                })
            }
            other => return Err(format!("unknown phase {other:?}").into()),
        };
        let unknown = args.finish();
        if !unknown.is_empty() {
            return Err(format!("unexpected argument(s) {unknown:?}").into());
        }
        Ok(Self { out, phase })
    }
}

/// A numeric option, or `default` without it; a bad value names the option.
fn number<T>(args: &mut Arguments, key: &'static str, default: T) -> Result<T>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    let Some(value) = args.opt_value_from_str::<_, String>(key)? else {
        return Ok(default);
    };
    value
        .parse()
        .map_err(|err| format!("{key} {value:?}: {err}").into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> std::result::Result<Args, String> {
        Args::parse(line.split(' ').map(OsString::from).collect()).map_err(|e| e.to_string())
    }

    #[test]
    fn each_phase_reads_its_own_options() {
        let args = parse("exec --label t --runs 3 --out f.json -- /bin/echo --runs").expect("ok");
        let Phase::Exec(exec) = args.phase else {
            panic!("not exec")
        };
        assert_eq!((exec.label.as_str(), exec.runs), ("t", 3));
        assert_eq!(exec.command, ["/bin/echo", "--runs"]);
        let args = parse("graph --out f --valkey v --compiled c --bun b").expect("ok");
        let Phase::Graph(graph) = args.phase else {
            panic!("not graph")
        };
        // Bun first, whatever the order on the line.
        assert!(matches!(graph.variants[0], Variant::Development { .. }));
        assert_eq!(graph.conf, runbook_conf());
    }

    #[test]
    fn a_bad_argument_is_an_error_that_names_it() {
        let unknown = parse("flood --out f --lines 3").err().expect("an error");
        assert!(unknown.contains("--lines"), "{unknown}");
        let bad = parse("flood --out f --runs three").err().expect("an error");
        assert!(bad.contains("--runs \"three\""), "{bad}");
        let foreign = parse("flood --out f --valkey v").err().expect("an error");
        assert!(foreign.contains("--valkey"), "{foreign}");
        assert!(parse("graph --out f --valkey v").is_err());
        assert!(parse("exec --out f --label l").is_err());
        assert!(parse("flood").err().expect("an error").contains("--out"));
    }
}
