//! Trust domains are crates: the server (and the contributor client) never
//! link the keyholder crate nor the key-generation and decryption code of
//! `fhe-compute` (its `keyholder` feature). Checked on the declared
//! dependency graph (`cargo metadata`) and on the features cargo actually
//! resolves when the server alone is built (`cargo tree -p`).

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

const KEYHOLDER: &str = "cipherpool-keyholder";
const FHE: &str = "cipherpool-fhe-compute";
const FEATURE: &str = "keyholder";

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(workspace_root());
    c
}

fn metadata() -> Value {
    let out = cargo()
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .output()
        .expect("cargo metadata");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("metadata JSON")
}

/// The workspace crates `root` reaches through normal (non-dev) dependencies,
/// with, for each, the `fhe-compute` features it turns on (directly in its
/// dependency entry, or through one of its own features that forwards one).
fn reach(meta: &Value, root: &str) -> HashMap<String, BTreeSet<String>> {
    let packages: HashMap<&str, &Value> = meta["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|p| (p["name"].as_str().expect("name"), p))
        .collect();
    let mut seen: HashMap<String, BTreeSet<String>> = HashMap::new();
    let mut todo = vec![root.to_string()];
    while let Some(name) = todo.pop() {
        if seen.contains_key(&name) {
            continue;
        }
        let Some(pkg) = packages.get(name.as_str()) else {
            continue; // not a workspace crate
        };
        let mut fhe_features = BTreeSet::new();
        for dep in pkg["dependencies"].as_array().expect("dependencies") {
            if !dep["kind"].is_null() {
                continue; // dev- and build-dependencies are not linked in
            }
            let dep_name = dep["name"].as_str().expect("dependency name");
            if dep_name == FHE {
                for f in dep["features"].as_array().expect("features") {
                    fhe_features.insert(f.as_str().expect("feature").to_string());
                }
                let rename = dep["rename"].as_str().unwrap_or(FHE);
                for forwarded in pkg["features"]
                    .as_object()
                    .expect("features")
                    .values()
                    .flat_map(|v| v.as_array().expect("feature list"))
                    .filter_map(|v| v.as_str())
                {
                    if let Some(f) = forwarded
                        .strip_prefix(&format!("{rename}/"))
                        .or_else(|| forwarded.strip_prefix(&format!("{rename}?/")))
                    {
                        fhe_features.insert(f.to_string());
                    }
                }
            }
            todo.push(dep_name.to_string());
        }
        seen.insert(name, fhe_features);
    }
    seen
}

fn fhe_default_features(meta: &Value) -> Vec<String> {
    let fhe = meta["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .find(|p| p["name"] == FHE)
        .expect("fhe-compute in the workspace");
    fhe["features"]["default"]
        .as_array()
        .map(|d| {
            d.iter()
                .filter_map(|f| f.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn the_server_and_the_client_never_link_keyholder_or_decryption_code() {
    let meta = metadata();
    assert!(
        !fhe_default_features(&meta).iter().any(|f| f == FEATURE),
        "fhe-compute must not enable `{FEATURE}` by default"
    );
    for root in ["cipherpool-server", "cipherpool-client-wasm"] {
        let reached = reach(&meta, root);
        assert!(reached.contains_key(FHE), "{root} should use fhe-compute");
        assert!(
            !reached.contains_key(KEYHOLDER),
            "{root} depends on {KEYHOLDER}: {:?}",
            reached.keys()
        );
        for (krate, features) in &reached {
            assert!(
                !features.contains(FEATURE),
                "{krate} (reached from {root}) enables fhe-compute/{FEATURE}"
            );
        }
    }
    // The check sees the feature where it is enabled: the keyholder's crate.
    let keyholder = reach(&meta, KEYHOLDER);
    assert!(keyholder[KEYHOLDER].contains(FEATURE));
    assert!(keyholder.contains_key("cipherpool-keyholder-api"));
}

/// The features cargo resolves when the server binary is built on its own
/// (the deployment build: `cargo build -p cipherpool-server`).
#[test]
fn the_server_built_alone_resolves_no_keyholder_code() {
    let tree = |package: &str| -> String {
        let out = cargo()
            .args([
                "tree",
                "--offline",
                "-p",
                package,
                "-e",
                "normal,build",
                "--prefix",
                "none",
                "--format",
                "{p} [{f}]",
            ])
            .output()
            .expect("cargo tree");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8")
    };
    // Whether fhe-compute's line in a tree lists the feature.
    let fhe_has_feature = |tree: &str| -> bool {
        let line = tree
            .lines()
            .find(|l| l.starts_with(&format!("{FHE} ")))
            .unwrap_or_else(|| panic!("{FHE} not in the tree"));
        let features = line.rsplit_once('[').expect("features").1;
        features.split([',', ']']).any(|f| f.trim() == FEATURE)
    };
    let server = tree("cipherpool-server");
    assert!(
        !server
            .lines()
            .any(|l| l.starts_with(&format!("{KEYHOLDER} "))),
        "the server's build contains {KEYHOLDER}"
    );
    assert!(
        !fhe_has_feature(&server),
        "the server's build enables fhe-compute/{FEATURE}"
    );
    // ...while the keyholder's build does.
    assert!(fhe_has_feature(&tree(KEYHOLDER)));
}

/// The layered parts of the server whose submodules are nodes of their own.
const LAYERED: &[&str] = &["domain", "http", "reports", "routes", "services", "store"];

/// The server's module graph from its sources: a node per top-level module
/// (per submodule of the layered ones), an edge per `crate::` (or, inside a
/// submodule, `super::`) path it names outside comments and unit tests.
fn server_module_graph() -> HashMap<String, BTreeSet<String>> {
    fn key(top: &str, sub: Option<&str>) -> String {
        match sub {
            Some(sub) if LAYERED.contains(&top) && sub != "self" => format!("{top}::{sub}"),
            _ => top.to_string(),
        }
    }
    fn ident(s: &str) -> &str {
        let end = s
            .find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'))
            .unwrap_or(s.len());
        &s[..end]
    }
    fn walk(dir: &std::path::Path, rel: &str, graph: &mut HashMap<String, BTreeSet<String>>) {
        for entry in std::fs::read_dir(dir).expect("server sources") {
            let path = entry.expect("entry").path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                if name != "bin" {
                    walk(&path, &format!("{rel}{name}/"), graph);
                }
                continue;
            }
            let Some(stem) = name.strip_suffix(".rs") else {
                continue;
            };
            let rel_path = format!("{rel}{stem}");
            let parts: Vec<&str> = rel_path.split('/').collect();
            if matches!(parts[0], "lib" | "main") {
                continue;
            }
            let sub = parts.get(1).copied().filter(|s| *s != "mod");
            let node = key(parts[0], sub);
            let text = std::fs::read_to_string(&path).expect("source");
            let code = text
                .split("#[cfg(test)]\nmod tests")
                .next()
                .unwrap_or_default();
            let deps = graph.entry(node.clone()).or_default();
            for line in code.lines().filter(|l| !l.trim_start().starts_with("//")) {
                for (i, _) in line.match_indices("crate::") {
                    let rest = &line[i + 7..];
                    let top = ident(rest);
                    let sub = rest[top.len()..].strip_prefix("::").map(ident);
                    let dep = key(top, sub);
                    if !top.is_empty() && dep != node {
                        deps.insert(dep);
                    }
                }
                if sub.is_some() {
                    for (i, _) in line.match_indices("super::") {
                        let dep = key(parts[0], Some(ident(&line[i + 7..])));
                        if dep != node && !dep.ends_with("::") {
                            deps.insert(dep);
                        }
                    }
                }
            }
        }
    }
    let mut graph = HashMap::new();
    walk(&workspace_root().join("server/src"), "", &mut graph);
    graph
}

/// Issue 13's "no import circle": every module of the server reaches
/// itself through no chain of imports (routes → services → store → schema,
/// never back).
#[test]
fn the_server_modules_import_each_other_without_circles() {
    let graph = server_module_graph();
    // The graph is the real one (so the check can fail).
    assert!(graph["routes::withdrawals"].contains("services::withdrawals"));
    assert!(graph["services::withdrawals"].contains("store::withdrawals"));
    assert!(graph["http::error"].contains("services::accounts"));
    let mut circles = Vec::new();
    for start in graph.keys() {
        // A path from `start` back to itself, by depth-first search.
        let mut stack = vec![(start.clone(), vec![start.clone()])];
        let mut seen = BTreeSet::new();
        while let Some((node, path)) = stack.pop() {
            for next in graph.get(&node).into_iter().flatten() {
                if next == start {
                    circles.push(path.join(" → ") + " → " + start);
                } else if graph.contains_key(next) && seen.insert(next.clone()) {
                    let mut p = path.clone();
                    p.push(next.clone());
                    stack.push((next.clone(), p));
                }
            }
        }
    }
    circles.sort();
    assert!(circles.is_empty(), "import circles: {circles:#?}");
}
