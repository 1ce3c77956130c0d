use std::collections::HashMap;

use crate::spec::SidecarSpec;

/// Why a set of sidecars cannot be started.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GraphError {
    #[error("{sidecar} depends on {missing}, which is not declared")]
    UnknownDependency { sidecar: String, missing: String },
    #[error("the dependencies form a cycle through {sidecar}")]
    Cycle { sidecar: String },
    #[error("two sidecars are named {sidecar}")]
    Duplicate { sidecar: String },
}

/// A start order in which every sidecar comes after what it depends on;
/// among independent sidecars the declared order is kept.
pub fn start_order(specs: &[SidecarSpec]) -> Result<Vec<usize>, GraphError> {
    let nodes: Vec<_> = specs
        .iter()
        .map(|spec| (spec.name.as_str(), spec.depends_on.as_slice()))
        .collect();
    order(&nodes)
}

/// [`start_order`] over `(name, dependencies)` pairs, so a configuration can
/// be checked before any [`SidecarSpec`] exists.
pub(crate) fn order(nodes: &[(&str, &[String])]) -> Result<Vec<usize>, GraphError> {
    let mut index = HashMap::new();
    for (i, (name, _)) in nodes.iter().enumerate() {
        if index.insert(*name, i).is_some() {
            return Err(GraphError::Duplicate {
                sidecar: (*name).to_owned(),
            });
        }
    }
    for (name, deps) in nodes {
        if let Some(missing) = deps.iter().find(|d| !index.contains_key(d.as_str())) {
            return Err(GraphError::UnknownDependency {
                sidecar: (*name).to_owned(),
                missing: missing.clone(),
            });
        }
    }
    // Repeatedly take the first declared sidecar whose dependencies are all
    // placed: dependencies first, declared order otherwise.
    let mut placed = vec![false; nodes.len()];
    let mut order = Vec::with_capacity(nodes.len());
    while order.len() < nodes.len() {
        let next = (0..nodes.len())
            .find(|&i| !placed[i] && nodes[i].1.iter().all(|d| placed[index[d.as_str()]]));
        let Some(next) = next else {
            let stuck = (0..nodes.len()).find(|&i| !placed[i]).unwrap_or_default();
            return Err(GraphError::Cycle {
                sidecar: nodes[stuck].0.to_owned(),
            });
        };
        placed[next] = true;
        order.push(next);
    }
    Ok(order)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(name: &str, deps: &[&str]) -> SidecarSpec {
        SidecarSpec::new(name, "/bin/true").depends_on(deps.iter().copied())
    }

    fn names(specs: &[SidecarSpec]) -> Vec<&str> {
        let order = start_order(specs).expect("order");
        order.iter().map(|&i| specs[i].name.as_str()).collect()
    }

    #[test]
    fn dependencies_come_first() {
        let specs = [
            spec("worker", &["valkey", "api"]),
            spec("api", &["migrate", "valkey"]),
            spec("migrate", &[]),
            spec("valkey", &[]),
        ];
        assert_eq!(names(&specs), ["migrate", "valkey", "api", "worker"]);
    }

    #[test]
    fn declared_order_is_kept_when_nothing_constrains_it() {
        let specs = [spec("a", &[]), spec("b", &[]), spec("c", &[])];
        assert_eq!(names(&specs), ["a", "b", "c"]);
    }

    #[test]
    fn bad_graphs_are_refused() {
        let cycle = [spec("a", &["b"]), spec("b", &["a"])];
        assert!(matches!(start_order(&cycle), Err(GraphError::Cycle { .. })));
        let unknown = [spec("a", &["ghost"])];
        assert_eq!(
            start_order(&unknown),
            Err(GraphError::UnknownDependency {
                sidecar: "a".into(),
                missing: "ghost".into()
            })
        );
        let duplicate = [spec("a", &[]), spec("a", &[])];
        assert!(matches!(
            start_order(&duplicate),
            Err(GraphError::Duplicate { .. })
        ));
    }
}
