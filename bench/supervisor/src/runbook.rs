//! Runbook's graph, as the app resolves it: its `tauri.conf.json` section read
//! by `convoy_supervisor::config` (what the plugin runs at start-up), one
//! launch's secrets generated, ports picked and programs found, with the
//! app's secrets redaction and log files.

use std::{
    collections::BTreeMap,
    os::unix::fs::DirBuilderExt,
    path::{Path, PathBuf},
};

use convoy_supervisor::{
    config::{check_tauri_conf, LaunchContext, Secrets, SupervisorConfig},
    SidecarSpec, SupervisorOptions,
};

use crate::Result;

/// How the sidecar executable runs.
pub enum Variant {
    /// As a development build runs it: the configuration's `program.dev`
    /// (its TypeScript entry point) under this Bun.
    Development { bun: PathBuf },
    /// This executable, as shipped.
    Compiled { program: PathBuf },
}

impl Variant {
    pub fn label(&self) -> &'static str {
        match self {
            Self::Development { .. } => "bun",
            Self::Compiled { .. } => "compiled",
        }
    }
}

/// The app's configuration and the programs one variant runs.
pub struct Graph {
    config: SupervisorConfig,
    /// The app's directory (`src-tauri`): a development build's programs are relative to it.
    app_dir: PathBuf,
    valkey: PathBuf,
}

impl Graph {
    pub fn load(conf: &Path, valkey: &Path) -> Result<Self> {
        let config = check_tauri_conf(conf).map_err(|err| format!("{}: {err}", conf.display()))?;
        let app_dir = conf.parent().ok_or("the configuration has no directory")?;
        Ok(Self {
            config,
            app_dir: app_dir.to_path_buf(),
            valkey: valkey.to_path_buf(),
        })
    }

    /// The environment a launch resolves against: this process's, less every
    /// `CONVOY_*` override, plus the ones that pick the programs.
    fn context(&self, launch: &Launch, variant: &Variant) -> LaunchContext {
        let mut env: BTreeMap<String, String> = std::env::vars()
            .filter(|(key, _)| !key.starts_with("CONVOY_"))
            .collect();
        env.insert("CONVOY_VALKEY".into(), self.valkey.display().to_string());
        let mut dev_dir = None;
        match variant {
            Variant::Development { bun } => {
                env.insert("CONVOY_BUN".into(), bun.display().to_string());
                dev_dir = Some(self.app_dir.clone());
            }
            Variant::Compiled { program } => {
                env.insert("CONVOY_SIDECAR".into(), program.display().to_string());
            }
        }
        LaunchContext {
            runtime_dir: launch.runtime_dir(),
            data_dir: launch.data_dir(),
            dev_dir,
            env,
            ..LaunchContext::default()
        }
    }

    /// Every sidecar of one launch, with fresh ports, ready to start (each
    /// Valkey's config file written).
    pub fn specs(&self, launch: &Launch, variant: &Variant) -> Result<Vec<SidecarSpec>> {
        let plan = self
            .context(launch, variant)
            .plan(&self.config, &launch.secrets)?;
        plan.prepare()?;
        Ok(plan.specs)
    }

    /// The program and the arguments before a sidecar's own (the script, under
    /// Bun): the sidecar executable with no role.
    pub fn bare_command(&self, sidecar: &SidecarSpec) -> Result<(PathBuf, Vec<String>)> {
        let declared = self
            .config
            .sidecars
            .iter()
            .find(|s| s.name == sidecar.name)
            .ok_or_else(|| format!("{} is not declared", sidecar.name))?;
        let leading = sidecar.args.len().saturating_sub(declared.args.len());
        Ok((sidecar.program.clone(), sidecar.args[..leading].to_vec()))
    }
}

/// One launch's private directories and secrets.
pub struct Launch {
    root: PathBuf,
    secrets: Secrets,
}

impl Launch {
    pub fn new(graph: &Graph, tag: &str) -> Result<Self> {
        let root = std::env::temp_dir().join(format!("convoy-bench-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root)?;
        let launch = Self {
            root,
            secrets: Secrets::generate(&graph.config, BTreeMap::new())?,
        };
        // `{runtimeDir}` holds Valkey's socket and config (its password): private.
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(launch.runtime_dir())?;
        std::fs::create_dir_all(launch.data_dir())?;
        Ok(launch)
    }

    fn runtime_dir(&self) -> PathBuf {
        self.root.join("run")
    }

    fn data_dir(&self) -> PathBuf {
        self.root.join("data")
    }

    /// As the plugin's: every secret redacted, logs under the launch's directory.
    pub fn options(&self) -> SupervisorOptions {
        SupervisorOptions {
            secrets: self.secrets.values(),
            log_dir: Some(self.root.clone()),
            echo: false,
            launch_id: Some("bench".into()),
        }
    }
}

impl Drop for Launch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

#[cfg(test)]
mod tests {
    use convoy_supervisor::{ReadinessProbe, SidecarKind};

    use super::*;
    use crate::args::runbook_conf;

    fn graph() -> Graph {
        Graph::load(&runbook_conf(), Path::new("/bin/sh")).expect("the app's graph")
    }

    /// The graph the benchmark starts is the app's own: what its tests
    /// (`apps/runbook/src-tauri/src/sidecars.rs`) pin, resolved from the same file.
    #[test]
    fn the_graph_is_runbooks() {
        let graph = graph();
        let launch = Launch::new(&graph, "test-graph").expect("launch");
        let compiled = Variant::Compiled {
            program: "/bin/true".into(),
        };
        let specs = graph.specs(&launch, &compiled).expect("specs");
        let names: Vec<_> = specs.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["valkey", "migrate", "api", "worker"]);
        let by_name = |name: &str| specs.iter().find(|s| s.name == name).expect("declared");
        assert_eq!(by_name("migrate").kind, SidecarKind::OneShot);
        assert_eq!(by_name("api").depends_on, ["valkey", "migrate"]);
        assert_eq!(by_name("worker").depends_on, ["valkey", "api"]);
        assert!(matches!(
            by_name("api").probe,
            ReadinessProbe::HttpGet { ref path, .. } if path == "/health"
        ));
        assert_eq!(by_name("valkey").program, Path::new("/bin/sh"));
        assert_eq!(by_name("worker").program, Path::new("/bin/true"));
        assert_eq!(by_name("api").args, ["api"]);
        // Every secret in the graph is redacted from its logs.
        let redacted = launch.options().secrets;
        let password = by_name("api")
            .env
            .iter()
            .find(|(k, _)| k == "CONVOY_VALKEY_PASSWORD")
            .map(|(_, v)| v.clone())
            .expect("password");
        assert!(redacted.contains(&password));
    }

    #[test]
    fn a_development_build_runs_the_typescript_under_the_given_bun() {
        let graph = graph();
        let launch = Launch::new(&graph, "test-dev").expect("launch");
        let dev = Variant::Development {
            bun: "/bin/true".into(),
        };
        let specs = graph.specs(&launch, &dev).expect("specs");
        let api = specs.iter().find(|s| s.name == "api").expect("api");
        let (program, leading) = graph.bare_command(api).expect("bare");
        assert_eq!(program, Path::new("/bin/true"));
        assert_eq!(leading.len(), 1);
        assert!(leading[0].ends_with("sidecar/src/main.ts"), "{leading:?}");
    }
}
