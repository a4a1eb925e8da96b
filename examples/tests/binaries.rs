//! Every binary, run as a user would with no credentials set: it starts the emulators,
//! seeds them, runs its use case, prints the summary, and exits 0.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

/// The binary `name` with `args`, every system's variables removed from its environment.
fn run(name: &str, args: &[&str]) -> serde_json::Value {
    let mut command = Command::new(match name {
        "opportunity-to-payment" => env!("CARGO_BIN_EXE_opportunity-to-payment"),
        "order-to-cash" => env!("CARGO_BIN_EXE_order-to-cash"),
        "settlement-reconciliation" => env!("CARGO_BIN_EXE_settlement-reconciliation"),
        "dead-letters" => env!("CARGO_BIN_EXE_dead-letters"),
        other => panic!("no binary {other}"),
    });
    for (key, _) in std::env::vars() {
        if ["PAYTRACE_", "SALESFORCE_", "D365_"]
            .iter()
            .any(|p| key.starts_with(p))
        {
            command.env_remove(key);
        }
    }
    let output = command.args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{name} {args:?} failed:\n{stderr}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{name}: not JSON ({e}):\n{stdout}"))
}

#[test]
fn opportunity_to_payment_runs_offline() {
    let out = run(
        "opportunity-to-payment",
        &["--json", "--opportunities", "12"],
    );
    let records = &out["report"]["records"];
    assert_eq!(records["completed"], 8, "{out:#}");
    assert_eq!(records["dead_lettered"], 2, "{out:#}");
    assert!(
        out["systems"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["backend"] == "sandbox")
    );
}

#[test]
fn order_to_cash_runs_offline_on_business_central() {
    let out = run("order-to-cash", &["--json", "--count", "6", "--erp", "bc"]);
    assert_eq!(out["report"]["records"]["completed"], 5, "{out:#}");
    assert_eq!(out["systems"][2]["flavor"], "bc");
}

#[test]
fn settlement_reconciliation_runs_offline_and_writes_the_csv() {
    let dir = std::env::temp_dir().join(format!("tributary-examples-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let csv = dir.join("mismatches.csv");
    let out = run(
        "settlement-reconciliation",
        &[
            "--json",
            "--opportunities",
            "8",
            "--csv",
            csv.to_str().unwrap(),
        ],
    );
    let mismatches = out["mismatches"].as_array().unwrap();
    assert_eq!(mismatches.len(), 5, "{out:#}");
    let text = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(text.lines().count(), 6);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn dead_letters_are_listed_from_a_durable_store() {
    let dir = std::env::temp_dir().join(format!("tributary-letters-{}", std::process::id()));
    let store = dir.to_str().unwrap();
    run(
        "opportunity-to-payment",
        &["--json", "--opportunities", "6", "--store", store],
    );
    let letters = run("dead-letters", &["--json", "--store", store, "list"]);
    let letters = letters.as_array().unwrap();
    assert_eq!(letters.len(), 2, "{letters:#?}");
    assert!(
        letters
            .iter()
            .all(|l| l["status"] == "pending" && !l["reason"].as_str().unwrap().is_empty())
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
