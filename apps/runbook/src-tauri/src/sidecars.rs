//! Runbook's sidecars are declared in `tauri.conf.json`
//! (`plugins."convoy-supervisor"`); these are the names of it the shell's
//! own code uses.

/// `{secret:backchannel-token}`: made by the shell, whose server it guards.
pub const BACKCHANNEL_TOKEN: &str = "backchannel-token";

#[cfg(test)]
mod tests {
    use std::{
        collections::BTreeMap,
        path::{Path, PathBuf},
    };

    use convoy_supervisor::{
        config::{check_tauri_conf, LaunchContext, LaunchPlan, Secrets},
        ReadinessProbe, SidecarKind, SidecarSpec,
    };

    use super::*;
    use crate::paths::AppPaths;

    /// The sidecar windows talk to (`expose` in its configuration).
    const API: &str = "api";
    /// `{secret:api-token}`: the api's bearer token; windows get it (and the
    /// api's base URL) from the supervisor's `endpoint("api")`, as `expose` says.
    const API_TOKEN: &str = "api-token";

    fn manifest_dir() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
    }

    fn paths() -> AppPaths {
        AppPaths {
            data_dir: PathBuf::from("/tmp/data"),
            log_dir: PathBuf::from("/tmp/logs"),
            runtime_dir: PathBuf::from("/run/user/1000/runbook-x"),
        }
    }

    /// The graph in tauri.conf.json, resolved as a release build would,
    /// with `env` as the environment.
    fn plan(env: &[(&str, &str)], dev: bool) -> (LaunchPlan, Secrets) {
        let config = check_tauri_conf(&manifest_dir().join("tauri.conf.json")).expect("valid");
        let provided = BTreeMap::from([(BACKCHANNEL_TOKEN.to_owned(), "b".repeat(64))]);
        let secrets = Secrets::generate(&config, provided).expect("secrets");
        let paths = paths();
        let mut env: BTreeMap<String, String> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        // Programs that exist on any machine, so the graph resolves anywhere.
        env.entry("CONVOY_SIDECAR".into())
            .or_insert_with(|| "/bin/sh".into());
        env.insert("CONVOY_VALKEY".into(), "/bin/sh".into());
        let context = LaunchContext {
            runtime_dir: paths.runtime_dir.clone(),
            data_dir: paths.data_dir.clone(),
            dev_dir: dev.then(manifest_dir),
            env,
            ..LaunchContext::default()
        };
        (context.plan(&config, &secrets).expect("plan"), secrets)
    }

    fn spec<'a>(plan: &'a LaunchPlan, name: &str) -> &'a SidecarSpec {
        plan.specs
            .iter()
            .find(|s| s.name == name)
            .expect("declared")
    }

    fn env<'a>(spec: &'a SidecarSpec, key: &str) -> Option<&'a str> {
        spec.env
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn the_graph_is_valkey_migrate_api_worker() {
        let (plan, _) = plan(&[], false);
        let names: Vec<_> = plan.specs.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["valkey", "migrate", "api", "worker"]);
        // `migrate` needs only SQLite: nothing holds it back.
        assert!(spec(&plan, "migrate").depends_on.is_empty());
        assert_eq!(spec(&plan, "migrate").kind, SidecarKind::OneShot);
        assert_eq!(spec(&plan, "api").depends_on, ["valkey", "migrate"]);
        assert_eq!(spec(&plan, "worker").depends_on, ["valkey", "api"]);
        let port = plan.port(API).expect("the api has a port");
        assert_eq!(
            spec(&plan, "api").probe,
            ReadinessProbe::HttpGet {
                port,
                path: "/health".into()
            }
        );
        assert_eq!(
            spec(&plan, "worker").probe,
            ReadinessProbe::ReadyLine {
                prefix: "convoy:ready".into()
            }
        );
        assert!(matches!(
            spec(&plan, "valkey").probe,
            ReadinessProbe::RedisPing { .. }
        ));
    }

    #[test]
    fn secrets_travel_in_the_environment_or_a_private_file_never_in_argv() {
        let (plan, secrets) = plan(&[], false);
        let token = secrets.get(API_TOKEN).expect("api token");
        let password = secrets.get("valkey-password").expect("valkey password");
        assert_eq!(token.len(), 64);
        for spec in &plan.specs {
            for arg in &spec.args {
                for secret in secrets.values() {
                    assert!(!arg.contains(&secret), "{}: {arg}", spec.name);
                }
            }
        }
        let api = spec(&plan, "api");
        assert_eq!(api.args, ["api"]);
        assert_eq!(env(api, "CONVOY_API_TOKEN"), Some(token));
        assert_eq!(env(api, "CONVOY_BACKCHANNEL_TOKEN"), Some(&*"b".repeat(64)));
        for other in ["migrate", "worker", "valkey"] {
            assert_eq!(env(spec(&plan, other), "CONVOY_API_TOKEN"), None, "{other}");
        }
        for user in ["api", "worker"] {
            let spec = spec(&plan, user);
            assert_eq!(env(spec, "CONVOY_VALKEY_PASSWORD"), Some(password));
            assert_eq!(
                env(spec, "CONVOY_VALKEY_SOCKET"),
                Some("/run/user/1000/runbook-x/valkey.sock")
            );
            assert_eq!(env(spec, "CONVOY_STDIN_WATCHDOG"), Some("1"));
        }
        assert_eq!(
            spec(&plan, "valkey").args,
            ["/run/user/1000/runbook-x/valkey.conf"]
        );
    }

    /// The shell serves the back-channel where the configuration tells the api to look.
    #[test]
    fn the_api_finds_the_shells_back_channel() {
        let (plan, _) = plan(&[], false);
        let socket = env(spec(&plan, "api"), "CONVOY_BACKCHANNEL_SOCKET").expect("socket");
        assert_eq!(Path::new(socket), paths().backchannel_socket());
        assert_eq!(
            env(spec(&plan, "migrate"), "CONVOY_DATA_DIR"),
            Some("/tmp/data")
        );
    }

    #[test]
    fn the_environment_overrides_of_the_tests_and_benchmarks_hold() {
        let (plan, _) = plan(
            &[
                ("CONVOY_API_PORT", "4321"),
                ("CONVOY_READY_TIMEOUT_MS", "1"),
                ("CONVOY_SIDECAR", "/bin/true"),
            ],
            false,
        );
        assert_eq!(plan.port(API), Some(4321));
        assert_eq!(env(spec(&plan, "api"), "CONVOY_API_PORT"), Some("4321"));
        assert_eq!(spec(&plan, "api").ready_timeout.as_millis(), 1);
        assert_eq!(spec(&plan, "worker").ready_timeout.as_millis(), 1);
        assert_eq!(spec(&plan, "migrate").ready_timeout.as_secs(), 60);
        assert_eq!(spec(&plan, "worker").program, PathBuf::from("/bin/true"));
        assert_eq!(spec(&plan, "valkey").program, PathBuf::from("/bin/sh"));
    }

    /// Debug builds run `apps/runbook/sidecar/src/main.ts` under the repository's Bun.
    #[test]
    fn development_builds_run_the_typescript_under_bun() {
        let bun = manifest_dir().join("../../../node_modules/.bin/bun");
        let (plan, _) = plan(&[("CONVOY_SIDECAR", "")], true);
        let api = spec(&plan, "api");
        assert_eq!(api.program, bun);
        let entry = manifest_dir().join("../sidecar/src/main.ts");
        assert_eq!(api.args, [entry.display().to_string(), "api".to_owned()]);
    }
}
