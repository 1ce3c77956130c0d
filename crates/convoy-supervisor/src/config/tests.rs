use std::{collections::BTreeMap, path::PathBuf, time::Duration};

use serde_json::{json, Value};

use super::*;
use crate::{probe::ReadinessProbe, restart::RestartMode, spec::SidecarKind};

/// A graph shaped like a real app's: a preset, a one-shot, a service with a
/// port and a token, and one more that needs both.
fn example() -> Value {
    json!({
        "sidecars": [
            { "name": "cache", "preset": "valkey", "program": { "system": ["sh"] } },
            {
                "name": "migrate",
                "program": { "externalBin": "app-sidecar" },
                "args": ["migrate"],
                "env": { "DATA": "{dataDir}" },
                "ready": "exit",
                "readyTimeoutMs": 60000
            },
            {
                "name": "api",
                "program": { "externalBin": "app-sidecar" },
                "args": ["api", "--port={port:api}"],
                "env": {
                    "TOKEN": "{secret:api-token}",
                    "CACHE": "{socket:cache}",
                    "CACHE_PASSWORD": "{secret:cache-password}"
                },
                "dependsOn": ["cache", "migrate"],
                "port": { "overrideEnv": "APP_API_PORT" },
                "ready": { "http": { "path": "/health" } },
                "readyTimeoutMs": 20000,
                "readyTimeoutOverrideEnv": "APP_TIMEOUT_MS"
            },
            {
                "name": "worker",
                "program": "app",
                "args": ["worker"],
                "dependsOn": ["api"],
                "ready": { "line": { "prefix": "ready" } },
                "restart": { "mode": "always", "maxRestarts": 2 },
                "graceMs": 1000
            }
        ],
        "programs": { "app": { "externalBin": "app-sidecar" } }
    })
}

/// `example()` with `change` applied to its `i`th sidecar.
fn with(i: usize, change: impl FnOnce(&mut Value)) -> Value {
    let mut config = example();
    change(&mut config["sidecars"][i]);
    config
}

/// A directory holding an `app-sidecar` file, as Tauri installs an `externalBin`.
struct Install(PathBuf);

impl Install {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(format!(
            "convoy-config-{}-{}",
            std::process::id(),
            crate::random_token().expect("token")
        ));
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::write(dir.join("app-sidecar"), "").expect("file");
        Self(dir)
    }

    fn context(&self) -> LaunchContext {
        LaunchContext {
            runtime_dir: PathBuf::from("/run/app-x"),
            data_dir: PathBuf::from("/data"),
            exe_dir: Some(self.0.clone()),
            // /bin/sh is there with or without a merged /usr.
            env: BTreeMap::from([("PATH".to_owned(), "/nonexistent:/bin".to_owned())]),
            ..LaunchContext::default()
        }
    }
}

impl Drop for Install {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn plan_with(context: &LaunchContext, config: &Value) -> Result<LaunchPlan, ConfigError> {
    let config = parse(config)?;
    let secrets = Secrets::generate(&config, BTreeMap::new()).expect("secrets");
    context.plan(&config, &secrets)
}

fn plan(config: &Value) -> Result<LaunchPlan, ConfigError> {
    plan_with(&Install::new().context(), config)
}

#[test]
fn a_good_configuration_resolves_to_specs() {
    let install = Install::new();
    let config = parse(&example()).expect("valid");
    let secrets = Secrets::generate(&config, BTreeMap::new()).expect("secrets");
    let plan = install.context().plan(&config, &secrets).expect("plan");
    let [cache, migrate, api, worker] = &plan.specs[..] else {
        panic!("four specs: {:?}", plan.specs);
    };
    let api_port = plan.port("api").expect("api has a port");
    assert_eq!(api.port, Some(api_port));
    assert_eq!(api.args, ["api".to_owned(), format!("--port={api_port}")]);
    assert_eq!(api.program, install.0.join("app-sidecar"));
    assert_eq!(api.depends_on, ["cache", "migrate"]);
    assert_eq!(
        api.probe,
        ReadinessProbe::HttpGet {
            port: api_port,
            path: "/health".into()
        }
    );
    let env: BTreeMap<_, _> = api.env.iter().cloned().collect();
    assert_eq!(env["TOKEN"], secrets.get("api-token").expect("token"));
    assert_eq!(env["CACHE"], "/run/app-x/cache.sock");
    assert_eq!(api.ready_timeout, Duration::from_secs(20));

    assert_eq!(migrate.kind, SidecarKind::OneShot);
    assert_eq!(migrate.restart.mode, RestartMode::Never);
    assert_eq!(migrate.env, [("DATA".to_owned(), "/data".to_owned())]);
    assert_eq!(migrate.ready_timeout, Duration::from_secs(60));

    assert_eq!(worker.restart.mode, RestartMode::Always);
    assert_eq!(worker.restart.max_restarts, 2);
    assert_eq!(worker.grace, Duration::from_secs(1));
    assert_eq!(
        worker.probe,
        ReadinessProbe::ReadyLine {
            prefix: "ready".into()
        }
    );
    assert_eq!(config.names(), ["cache", "migrate", "api", "worker"]);
    assert_eq!(cache.program, PathBuf::from("/bin/sh"));
}

#[test]
fn the_valkey_preset_keeps_its_password_out_of_argv() {
    let plan = plan(&example()).expect("plan");
    let cache = &plan.specs[0];
    assert_eq!(cache.args, ["/run/app-x/cache.conf"]);
    let ReadinessProbe::RedisPing { socket, password } = &cache.probe else {
        panic!("a PING probe: {:?}", cache.probe);
    };
    assert_eq!(socket, &PathBuf::from("/run/app-x/cache.sock"));
    assert_eq!(password.len(), 64);
    assert!(cache.env.is_empty());
    assert_eq!(cache.grace, Duration::from_secs(5));
    // Another sidecar reaches it with the same password, through its environment.
    let api = &plan.specs[2];
    assert!(api
        .env
        .contains(&("CACHE_PASSWORD".to_owned(), password.clone())));
    let valkey = &plan.valkeys[0].1;
    assert_eq!(valkey.data_dir, PathBuf::from("/data/cache"));
    assert!(valkey.text().contains(&format!("requirepass {password}\n")));
}

#[test]
fn secrets_are_long_per_launch_and_provided_ones_are_kept() {
    let config = parse(&example()).expect("valid");
    let provided = BTreeMap::from([("api-token".to_owned(), "mine".to_owned())]);
    let a = Secrets::generate(&config, provided).expect("secrets");
    let b = Secrets::generate(&config, BTreeMap::new()).expect("secrets");
    assert_eq!(a.get("api-token"), Some("mine"));
    let password = a.get("cache-password").expect("the preset's password");
    assert_eq!(password.len(), 64, "256 bits, hex");
    assert_ne!(Some(password), b.get("cache-password"));
    assert_eq!(a.values().len(), 2);
}

#[test]
fn debug_output_holds_no_secret() {
    let install = Install::new();
    let mut context = install.context();
    context.env.insert("SOME_TOKEN".into(), "hunter2".into());
    let config = parse(&example()).expect("valid");
    let secrets = Secrets::generate(&config, BTreeMap::new()).expect("secrets");
    let shown = format!("{context:?} {secrets:?}");
    assert!(shown.contains("SOME_TOKEN") && shown.contains("api-token"));
    assert!(!shown.contains("hunter2"));
    for secret in secrets.values() {
        assert!(!shown.contains(&secret));
    }
}

#[test]
fn overrides_from_the_environment_win() {
    let install = Install::new();
    let mut context = install.context();
    context.env.insert("APP_API_PORT".into(), "4567".into());
    context.env.insert("APP_TIMEOUT_MS".into(), "1".into());
    let plan = plan_with(&context, &example()).expect("plan");
    assert_eq!(plan.port("api"), Some(4567));
    assert_eq!(plan.specs[2].ready_timeout, Duration::from_millis(1));

    let overridden = with(2, |api| {
        api["program"]["overrideEnv"] = json!("APP_SIDECAR")
    });
    context.env.insert("APP_SIDECAR".into(), "/bin/sh".into());
    let plan = plan_with(&context, &overridden).expect("plan");
    assert_eq!(plan.specs[2].program, PathBuf::from("/bin/sh"));
}

#[test]
fn development_builds_run_the_interpreter_on_the_script() {
    let install = Install::new();
    std::fs::write(install.0.join("main.ts"), "").expect("script");
    let mut config = example();
    config["programs"]["app"]["dev"] = json!({ "interpreter": "sh", "script": "main.ts" });
    let mut context = install.context();
    assert_eq!(
        plan_with(&context, &config).expect("plan").specs[3].args,
        ["worker"],
        "release builds ignore dev"
    );
    context.dev_dir = Some(install.0.clone());
    let worker = &plan_with(&context, &config).expect("plan").specs[3];
    assert_eq!(worker.program, PathBuf::from("/bin/sh"));
    let script = install.0.join("main.ts").display().to_string();
    assert_eq!(worker.args, [script, "worker".to_owned()]);
}

#[test]
fn a_shared_program_is_found_by_name() {
    let install = Install::new();
    let plan = plan_with(&install.context(), &example()).expect("plan");
    assert_eq!(plan.specs[3].program, install.0.join("app-sidecar"));
    let unknown = with(3, |worker| worker["program"] = json!("ghost"));
    assert_eq!(
        parse(&unknown),
        Err(ConfigError::UnknownProgram {
            sidecar: "worker".into(),
            program: "ghost".into()
        })
    );
    let mut bad = example();
    bad["programs"]["app"] = json!({ "externalBin": "a", "resource": "b" });
    assert_eq!(
        parse(&bad),
        Err(ConfigError::ProgramSource {
            sidecar: "worker".into()
        })
    );
    let wrong = with(3, |worker| worker["program"] = json!(["app"]));
    assert!(matches!(
        parse(&wrong),
        Err(ConfigError::Invalid { path, message })
            if path == "sidecars[3].program" && message.contains("the name of one in `programs`")
    ));
    let typo = with(2, |api| api["program"]["externalbin"] = json!("x"));
    assert!(matches!(
        parse(&typo),
        Err(ConfigError::Invalid { path, message })
            if path == "sidecars[2].program.externalbin" && message.contains("unknown field")
    ));
}

// Each bad configuration is named.

#[test]
fn no_section_is_named() {
    assert_eq!(parse(&Value::Null), Err(ConfigError::Missing));
}

#[test]
fn a_wrong_type_is_named_with_its_path() {
    let config = with(1, |migrate| migrate["args"] = json!("migrate"));
    let Err(ConfigError::Invalid { path, message }) = parse(&config) else {
        panic!("an invalid config");
    };
    assert_eq!(path, "sidecars[1].args");
    assert!(message.contains("invalid type: string"), "{message}");
}

#[test]
fn an_unknown_field_or_preset_is_named_with_its_path() {
    let typo = with(2, |api| api["dependOn"] = json!(["cache"]));
    let error = parse(&typo);
    assert!(
        matches!(
            &error,
            Err(ConfigError::Invalid { path, message })
                if path == "sidecars[2].dependOn" && message.contains("unknown field `dependOn`")
        ),
        "{error:?}"
    );
    let preset = with(0, |cache| cache["preset"] = json!("postgres"));
    assert!(matches!(
        parse(&preset),
        Err(ConfigError::Invalid { path, message })
            if path == "sidecars[0].preset" && message.contains("unknown variant `postgres`")
    ));
    let probe = with(2, |api| api["ready"] = json!({ "http": { "paht": "/" } }));
    assert!(matches!(parse(&probe), Err(ConfigError::Invalid { .. })));
}

#[test]
fn an_unknown_dependency_is_named() {
    let config = with(3, |worker| worker["dependsOn"] = json!(["api", "queue"]));
    assert_eq!(
        parse(&config),
        Err(ConfigError::UnknownDependency {
            sidecar: "worker".into(),
            missing: "queue".into()
        })
    );
}

#[test]
fn a_cycle_is_named() {
    let config = with(1, |migrate| migrate["dependsOn"] = json!(["worker"]));
    assert!(matches!(parse(&config), Err(ConfigError::Cycle { .. })));
}

#[test]
fn a_duplicate_name_is_named() {
    let config = with(3, |worker| worker["name"] = json!("api"));
    assert_eq!(
        parse(&config),
        Err(ConfigError::DuplicateSidecar {
            sidecar: "api".into()
        })
    );
}

#[test]
fn an_unknown_placeholder_is_named() {
    let unknown = |config: Value| match parse(&config) {
        Err(ConfigError::UnknownPlaceholder {
            sidecar,
            field,
            placeholder,
            ..
        }) => (sidecar, field, placeholder),
        other => panic!("an unknown placeholder, not {other:?}"),
    };
    let home = with(1, |migrate| migrate["env"]["HOME"] = json!("{home}/x"));
    assert_eq!(
        unknown(home),
        ("migrate".into(), "env.HOME".into(), "{home}".into())
    );
    let port = with(3, |worker| worker["args"] = json!(["{port:worker}"]));
    assert_eq!(
        unknown(port),
        ("worker".into(), "args[0]".into(), "{port:worker}".into())
    );
    let socket = with(3, |worker| worker["env"] = json!({ "S": "{socket:api}" }));
    assert_eq!(unknown(socket).2, "{socket:api}");
}

#[test]
fn a_secret_outside_the_environment_is_named() {
    let config = with(2, |api| {
        api["args"] = json!(["--token", "{secret:api-token}"])
    });
    assert_eq!(
        parse(&config),
        Err(ConfigError::SecretOutsideEnv {
            sidecar: "api".into(),
            field: "args[1]".into(),
            placeholder: "{secret:api-token}".into()
        })
    );
}

#[test]
fn an_unpaired_brace_is_named() {
    let config = with(2, |api| api["args"] = json!(["{port:api"]));
    assert!(matches!(
        parse(&config),
        Err(ConfigError::BadTemplate { sidecar, field, .. }) if sidecar == "api" && field == "args[0]"
    ));
}

#[test]
fn a_port_used_twice_is_named() {
    let mut config = with(2, |api| api["port"] = json!({ "fixed": 4000 }));
    config["sidecars"][3]["port"] = json!({ "fixed": 4000 });
    assert_eq!(
        parse(&config),
        Err(ConfigError::PortUsedTwice {
            port: 4000,
            first: "api".into(),
            second: "worker".into()
        })
    );
    // The same, when an override lands on another sidecar's fixed port.
    let config = with(3, |worker| worker["port"] = json!({ "fixed": 4000 }));
    let install = Install::new();
    let mut context = install.context();
    context.env.insert("APP_API_PORT".into(), "4000".into());
    assert!(matches!(
        plan_with(&context, &config),
        Err(ConfigError::PortUsedTwice { port: 4000, .. })
    ));
}

#[test]
fn a_probe_without_a_port_is_named() {
    let config = with(3, |worker| worker["ready"] = json!({ "tcp": {} }));
    assert_eq!(
        parse(&config),
        Err(ConfigError::NoPort {
            sidecar: "worker".into()
        })
    );
}

#[test]
fn a_restart_policy_on_a_one_shot_is_named() {
    let config = with(1, |migrate| {
        migrate["restart"] = json!({ "mode": "always" })
    });
    assert_eq!(
        parse(&config),
        Err(ConfigError::OneShotRestart {
            sidecar: "migrate".into()
        })
    );
}

#[test]
fn a_program_needs_exactly_one_source() {
    let none = with(1, |migrate| migrate["program"] = json!({}));
    let two = with(1, |migrate| {
        migrate["program"] = json!({ "externalBin": "a", "system": ["a"] })
    });
    let absent = with(1, |migrate| {
        migrate.as_object_mut().expect("object").remove("program");
    });
    for config in [none, two, absent] {
        assert_eq!(
            parse(&config),
            Err(ConfigError::ProgramSource {
                sidecar: "migrate".into()
            })
        );
    }
}

#[test]
fn a_missing_program_is_named() {
    let missing = |config: &Value, context: &LaunchContext| match plan_with(context, config) {
        Err(ConfigError::MissingProgram {
            sidecar, program, ..
        }) => (sidecar, program),
        other => panic!("a missing program, not {other:?}"),
    };
    let install = Install::new();
    let context = install.context();
    let bin = with(1, |migrate| {
        migrate["program"] = json!({ "externalBin": "nope" })
    });
    assert_eq!(
        missing(&bin, &context),
        (
            "migrate".into(),
            install.0.join("nope").display().to_string()
        )
    );
    let system = with(0, |cache| {
        cache["program"] = json!({ "system": ["valkey-nope", "redis-nope"] })
    });
    assert_eq!(
        missing(&system, &context),
        ("cache".into(), "valkey-nope or redis-nope".into())
    );
    let overridden = with(1, |migrate| {
        migrate["program"]["overrideEnv"] = json!("APP_SIDECAR")
    });
    let mut context = install.context();
    context
        .env
        .insert("APP_SIDECAR".into(), "/nonexistent/app-sidecar".into());
    let error = plan_with(&context, &overridden).expect_err("missing");
    assert_eq!(error.sidecar(), Some("migrate"));
    assert!(error
        .to_string()
        .starts_with("could not start /nonexistent/app-sidecar"));
}

#[test]
fn a_bad_override_is_named() {
    let install = Install::new();
    let mut context = install.context();
    context.env.insert("APP_API_PORT".into(), "http".into());
    assert_eq!(
        plan_with(&context, &example())
            .expect_err("bad port")
            .to_string(),
        "api: APP_API_PORT=\"http\" is not a port number"
    );
}

#[test]
fn errors_are_tagged() {
    let json = serde_json::to_value(ConfigError::NoPort {
        sidecar: "x".into(),
    })
    .expect("json");
    assert_eq!(json, json!({ "type": "NoPort", "sidecar": "x" }));
}

/// What an app's `build.rs` runs: a bad graph in `tauri.conf.json` fails the build.
#[test]
fn build_time_check_reads_tauri_conf() {
    let install = Install::new();
    let path = install.0.join("tauri.conf.json");
    let good = json!({ "identifier": "x", "plugins": { "convoy-supervisor": example() } });
    std::fs::write(&path, good.to_string()).expect("write");
    assert!(check_tauri_conf(&path).is_ok());
    let bad = json!({ "plugins": { "convoy-supervisor": with(3, |w| w["dependsOn"] = json!(["queue"])) } });
    std::fs::write(&path, bad.to_string()).expect("write");
    assert!(matches!(
        check_tauri_conf(&path),
        Err(ConfigError::UnknownDependency { .. })
    ));
    std::fs::write(&path, json!({ "plugins": {} }).to_string()).expect("write");
    assert_eq!(check_tauri_conf(&path), Err(ConfigError::Missing));
}

#[test]
fn the_schema_describes_the_configuration() {
    let schema: Value = serde_json::from_str(&json_schema()).expect("json");
    assert_eq!(schema["title"], "Convoy supervisor configuration");
    let sidecar = &schema["definitions"]["SidecarConfig"];
    assert_eq!(sidecar["additionalProperties"], false);
    assert!(sidecar["properties"]["dependsOn"].is_object());
}

#[test]
fn an_exposed_sidecar_names_its_token_and_has_a_port() {
    let exposed = with(2, |api| api["expose"] = json!({ "token": "api-token" }));
    let config = parse(&exposed).expect("valid");
    let api = config
        .sidecars
        .iter()
        .find(|s| s.name == "api")
        .expect("api");
    assert_eq!(
        api.expose.as_ref().map(|e| e.token.as_str()),
        Some("api-token")
    );

    let portless = with(2, |api| {
        api["expose"] = json!({ "token": "api-token" });
        api["ready"] = json!("started");
        api.as_object_mut().expect("object").remove("port");
        api["args"] = json!(["api"]);
    });
    assert_eq!(
        parse(&portless),
        Err(ConfigError::ExposeWithoutPort {
            sidecar: "api".into()
        })
    );
    let elsewhere = with(2, |api| api["expose"] = json!({ "token": "cache-token" }));
    assert_eq!(
        parse(&elsewhere),
        Err(ConfigError::ExposedTokenNotInEnv {
            sidecar: "api".into(),
            secret: "cache-token".into()
        })
    );
}
