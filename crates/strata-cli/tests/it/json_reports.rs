//! `--format json` on the commands that change or read the version: one report object per
//! run on stdout, progress on stderr.

use crate::support::{three, Project};
use serde_json::Value;

fn json(p: &Project, args: &[&str]) -> Value {
    let out = p.run(args);
    out.ok();
    serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("one JSON object expected ({e}):\n{}", out.stdout))
}

fn versions(v: &Value) -> Vec<(u64, String)> {
    v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["version"].as_u64().unwrap(),
                s["direction"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn json_reports_of_up_down_goto_rollback_force_and_version() {
    let p = Project::new();
    three(&p);
    let v = json(&p, &["up", "2", "--format", "json"]);
    assert_eq!(v["command"], "up");
    assert_eq!(v["schema_version"], 1);
    let up = versions(&v);
    assert_eq!(up.iter().map(|s| s.0).collect::<Vec<_>>(), [1, 2]);
    assert!(v["steps"][0]["duration"].is_number());

    let v = json(&p, &["version", "-format", "json"]);
    assert_eq!(
        (v["version"].as_u64(), v["dirty"].as_bool()),
        (Some(2), Some(false))
    );

    let v = json(&p, &["goto", "3", "--format", "json"]);
    assert_eq!(versions(&v).iter().map(|s| s.0).collect::<Vec<_>>(), [3]);
    let v = json(&p, &["down", "1", "--format", "json"]);
    assert_eq!(v["command"], "down");
    assert_eq!(versions(&v).iter().map(|s| s.0).collect::<Vec<_>>(), [3]);
    let v = json(&p, &["rollback", "--format", "json"]);
    assert_eq!(v["command"], "rollback");
    assert_eq!(versions(&v).iter().map(|s| s.0).collect::<Vec<_>>(), [2, 1]);
    let v = json(&p, &["up", "--format", "json"]);
    assert_eq!(versions(&v).len(), 3);
    let v = json(&p, &["up", "--format", "json"]);
    assert_eq!(v["steps"].as_array().unwrap().len(), 0);

    let v = json(&p, &["force", "1", "--format", "json"]);
    assert_eq!(
        (v["command"].as_str(), v["version"].as_i64()),
        (Some("force"), Some(1))
    );
    let v = json(&p, &["force", "--format", "json", "--", "-1"]);
    assert_eq!(v["version"], -1);
    let v = json(&p, &["version", "--format", "json"]);
    assert!(v["version"].is_null(), "{v}");
}

#[test]
fn unknown_flags_on_version_are_usage_errors() {
    let p = Project::new();
    three(&p);
    p.run(&["up"]).ok();
    p.run(&["version", "--bogus"]).code(2);
    p.run(&["version", "-formt", "json"]).code(2);
    // golang-migrate ignores extra words after `version`: so does Strata.
    p.run(&["version", "extra"]).ok().stdout_has("3");
}
