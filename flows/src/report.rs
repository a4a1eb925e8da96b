//! What a run did: per system and object, how many records were created, updated, skipped
//! or dead-lettered; how the business records ended; the dead letters with their reasons;
//! and facts particular to the flow (mismatches found, the CSV written).
//!
//! A flow counts through a [`Recorder`] (cheap to clone, shared by the tasks of a run) and
//! returns the [`RunReport`] it finishes into. The report prints as a table
//! ([`Display`](std::fmt::Display)) and serialises as JSON (`serde`), for scripts.
//!
//! ```
//! use flows::report::{Action, Outcome, Recorder, Target};
//!
//! let recorder = Recorder::new("opportunity-to-payment");
//! recorder.count(Target::PayTrace, "sale", Action::Created);
//! recorder.count(Target::Salesforce, "Payment__c", Action::Created);
//! recorder.finished("006A", Outcome::Completed);
//! recorder.fact("checkpoint", "2026-11-22T03:00:00Z");
//! let report = recorder.finish();
//!
//! assert_eq!(report.records.completed, 1);
//! assert_eq!(report.row(Target::PayTrace, "sale").map(|r| r.created), Some(1));
//! let table = report.to_string();
//! assert!(table.contains("Payment__c"));
//! let json = serde_json::to_value(&report).unwrap();
//! assert_eq!(json["records"]["completed"], 1);
//! ```

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The system a row of the report is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Target {
    /// The PayTrace gateway.
    PayTrace,
    /// Salesforce.
    Salesforce,
    /// The ERP (Dynamics 365 F&O or Business Central).
    Erp,
}

impl Target {
    /// The name shown in tables: `PayTrace`, `Salesforce`, `ERP`.
    pub fn label(self) -> &'static str {
        match self {
            Target::PayTrace => "PayTrace",
            Target::Salesforce => "Salesforce",
            Target::Erp => "ERP",
        }
    }
}

/// What happened to one record in one system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Action {
    /// A record was created (a charge made, a `Payment__c` inserted, a journal line added).
    Created,
    /// An existing record was changed.
    Updated,
    /// Nothing needed doing: it was there already (a rerun, a replayed event).
    Skipped,
    /// The step failed and the record went to the dead letters.
    DeadLettered,
}

impl Action {
    /// [`Created`](Action::Created) when a write created its record, else `otherwise`
    /// ([`Updated`](Action::Updated) for an upsert, [`Skipped`](Action::Skipped) for a write
    /// that found its record done).
    pub fn created_or(created: bool, otherwise: Action) -> Action {
        if created { Action::Created } else { otherwise }
    }
}

/// One row of the table: a system and an object in it, with counts per [`Action`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SystemRow {
    /// The system.
    pub system: Target,
    /// The object or operation (`sale`, `Payment__c`, `Opportunity`, `payment line`).
    pub object: String,
    /// Records created.
    pub created: u64,
    /// Records updated.
    pub updated: u64,
    /// Records found already done.
    pub skipped: u64,
    /// Records dead-lettered at this step.
    pub dead_lettered: u64,
}

/// How one business record (an Opportunity, an order, a settled transaction) ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
#[non_exhaustive]
pub enum Outcome {
    /// Every step is done.
    Completed,
    /// The card was declined; the decline is recorded where the flow records it.
    Declined,
    /// Done before (a rerun), not applicable, or being handled by another task.
    Skipped,
    /// A step failed; the record is in the dead letters.
    DeadLettered {
        /// The step that failed (`paytrace.sale`, `salesforce.upsert_payment`).
        step: String,
        /// Why.
        reason: String,
    },
}

impl Outcome {
    /// A short name: `completed`, `declined`, `skipped`, `dead-lettered`.
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Completed => "completed",
            Outcome::Declined => "declined",
            Outcome::Skipped => "skipped",
            Outcome::DeadLettered { .. } => "dead-lettered",
        }
    }
}

/// How many business records ended which way.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordCounts {
    /// Records the run looked at.
    pub seen: u64,
    /// Records whose every step is done.
    pub completed: u64,
    /// Records declined.
    pub declined: u64,
    /// Records done before or not applicable.
    pub skipped: u64,
    /// Records sent to the dead letters.
    pub dead_lettered: u64,
}

/// A record that went to the dead letters in this run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadLetterLine {
    /// The business key (Opportunity id, order id, transaction id).
    pub key: String,
    /// The step that failed.
    pub step: String,
    /// Why.
    pub reason: String,
}

/// A named fact about the run, printed under the table: `checkpoint`, `mismatches`, `csv`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fact {
    /// Its name.
    pub name: String,
    /// Its value, as text.
    pub value: String,
}

/// What one run of a flow did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunReport {
    /// The flow (`opportunity-to-payment`).
    pub flow: String,
    /// When the run started.
    pub started_at: DateTime<Utc>,
    /// When it finished.
    pub finished_at: DateTime<Utc>,
    /// How the business records ended.
    pub records: RecordCounts,
    /// Per system and object, in the order first counted.
    pub systems: Vec<SystemRow>,
    /// The records dead-lettered in this run.
    pub dead_letters: Vec<DeadLetterLine>,
    /// Facts particular to the flow.
    pub facts: Vec<Fact>,
}

impl RunReport {
    /// The row of `system` and `object`, if anything was counted there.
    pub fn row(&self, system: Target, object: &str) -> Option<&SystemRow> {
        self.systems
            .iter()
            .find(|r| r.system == system && r.object == object)
    }

    /// The value of the fact `name`, if set.
    pub fn fact(&self, name: &str) -> Option<&str> {
        self.facts
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.value.as_str())
    }

    /// Whether the run wrote anything anywhere (created or updated a record).
    pub fn changed_anything(&self) -> bool {
        self.systems.iter().any(|r| r.created + r.updated > 0)
    }
}

impl fmt::Display for RunReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let seconds = (self.finished_at - self.started_at).num_milliseconds() as f64 / 1000.0;
        writeln!(
            f,
            "{} · started {} · {seconds:.1} s",
            self.flow,
            self.started_at.format("%Y-%m-%d %H:%M:%S UTC")
        )?;
        let r = &self.records;
        writeln!(
            f,
            "records: {} seen · {} completed · {} declined · {} skipped · {} dead-lettered",
            r.seen, r.completed, r.declined, r.skipped, r.dead_lettered
        )?;
        let header = [
            "system",
            "object",
            "created",
            "updated",
            "skipped",
            "dead-lettered",
        ];
        let rows: Vec<[String; 6]> = self
            .systems
            .iter()
            .map(|row| {
                [
                    row.system.label().to_owned(),
                    row.object.clone(),
                    row.created.to_string(),
                    row.updated.to_string(),
                    row.skipped.to_string(),
                    row.dead_lettered.to_string(),
                ]
            })
            .collect();
        let mut widths = header.map(str::len);
        for row in &rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        writeln!(f)?;
        write_row(f, &header.map(str::to_owned), &widths)?;
        let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
        writeln!(f, "{}", rule.join("  "))?;
        if rows.is_empty() {
            writeln!(f, "(nothing to do)")?;
        }
        for row in &rows {
            write_row(f, row, &widths)?;
        }
        if !self.dead_letters.is_empty() {
            writeln!(f, "\ndead letters:")?;
            for letter in &self.dead_letters {
                writeln!(f, "  {}  {}: {}", letter.key, letter.step, letter.reason)?;
            }
        }
        if !self.facts.is_empty() {
            writeln!(f)?;
            let width = self
                .facts
                .iter()
                .map(|fact| fact.name.chars().count())
                .max()
                .unwrap_or(0);
            for fact in &self.facts {
                writeln!(
                    f,
                    "{:<width$}  {}",
                    format!("{}:", fact.name),
                    fact.value,
                    width = width + 1
                )?;
            }
        }
        Ok(())
    }
}

/// Text columns left-aligned, numbers right-aligned.
fn write_row(f: &mut fmt::Formatter<'_>, cells: &[String; 6], widths: &[usize; 6]) -> fmt::Result {
    let mut line = String::new();
    for (i, (cell, width)) in cells.iter().zip(widths).enumerate() {
        if i > 0 {
            line.push_str("  ");
        }
        if i < 2 {
            line.push_str(&format!("{cell:<width$}"));
        } else {
            line.push_str(&format!("{cell:>width$}"));
        }
    }
    writeln!(f, "{}", line.trim_end())
}

/// Follows a run as it goes: a progress bar, log lines, a metrics exporter.
///
/// Every method has an empty default. The flows call it from their tasks, so it must be
/// cheap and must not block.
pub trait Progress: Send + Sync {
    /// The run of `flow` starts; `total` is the number of records when known.
    fn started(&self, flow: &str, total: Option<u64>) {
        let _ = (flow, total);
    }

    /// More records were found (a later page of a query).
    fn found(&self, more: u64) {
        let _ = more;
    }

    /// One record ended.
    fn finished(&self, key: &str, outcome: &Outcome) {
        let _ = (key, outcome);
    }
}

/// A [`Progress`] that does nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {}

/// Counts what a run does; shared by the run's tasks (cheap to clone), then
/// [`finish`](Self::finish)ed into a [`RunReport`].
#[derive(Clone)]
pub struct Recorder {
    report: Arc<Mutex<RunReport>>,
    progress: Arc<dyn Progress>,
}

impl fmt::Debug for Recorder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recorder")
            .field("report", &self.report)
            .finish_non_exhaustive()
    }
}

impl Recorder {
    /// A recorder for a run of `flow` starting now, reporting to no [`Progress`].
    pub fn new(flow: &str) -> Self {
        Recorder::with_progress(flow, Arc::new(NoProgress))
    }

    /// A recorder for a run of `flow` starting now, reporting to `progress`.
    pub fn with_progress(flow: &str, progress: Arc<dyn Progress>) -> Self {
        let now = Utc::now();
        Recorder {
            report: Arc::new(Mutex::new(RunReport {
                flow: flow.to_owned(),
                started_at: now,
                finished_at: now,
                records: RecordCounts::default(),
                systems: Vec::new(),
                dead_letters: Vec::new(),
                facts: Vec::new(),
            })),
            progress,
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut RunReport) -> T) -> T {
        f(&mut self.report.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Tells the [`Progress`] how many records the run expects (when known).
    pub fn expect(&self, total: Option<u64>) {
        let flow = self.with(|r| r.flow.clone());
        self.progress.started(&flow, total);
    }

    /// Tells the [`Progress`] that `more` records were found.
    pub fn found(&self, more: u64) {
        self.progress.found(more);
    }

    /// Counts one `action` on `object` in `system`.
    pub fn count(&self, system: Target, object: &str, action: Action) {
        self.with(|report| {
            let index = match report
                .systems
                .iter()
                .position(|r| r.system == system && r.object == object)
            {
                Some(index) => index,
                None => {
                    report.systems.push(SystemRow {
                        system,
                        object: object.to_owned(),
                        created: 0,
                        updated: 0,
                        skipped: 0,
                        dead_lettered: 0,
                    });
                    report.systems.len() - 1
                }
            };
            let row = &mut report.systems[index];
            match action {
                Action::Created => row.created += 1,
                Action::Updated => row.updated += 1,
                Action::Skipped => row.skipped += 1,
                Action::DeadLettered => row.dead_lettered += 1,
            }
        });
    }

    /// Records how the business record `key` ended.
    pub fn finished(&self, key: &str, outcome: Outcome) {
        self.with(|report| {
            let counts = &mut report.records;
            counts.seen += 1;
            match &outcome {
                Outcome::Completed => counts.completed += 1,
                Outcome::Declined => counts.declined += 1,
                Outcome::Skipped => counts.skipped += 1,
                Outcome::DeadLettered { step, reason } => {
                    counts.dead_lettered += 1;
                    report.dead_letters.push(DeadLetterLine {
                        key: key.to_owned(),
                        step: step.clone(),
                        reason: reason.clone(),
                    });
                }
            }
        });
        self.progress.finished(key, &outcome);
    }

    /// Sets the fact `name` (replacing an earlier value).
    pub fn fact(&self, name: &str, value: impl fmt::Display) {
        let value = value.to_string();
        self.with(
            |report| match report.facts.iter_mut().find(|f| f.name == name) {
                Some(fact) => fact.value = value,
                None => report.facts.push(Fact {
                    name: name.to_owned(),
                    value,
                }),
            },
        );
    }

    /// The report as it stands, finished now: rows by system (PayTrace, Salesforce, ERP),
    /// each system's objects in the order first counted.
    pub fn finish(&self) -> RunReport {
        self.with(|report| {
            report.finished_at = Utc::now();
            report.systems.sort_by_key(|row| row.system);
            report.clone()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_aligns_and_lists_dead_letters_and_facts() {
        let recorder = Recorder::new("order-to-cash");
        for _ in 0..12 {
            recorder.count(Target::PayTrace, "sale", Action::Created);
        }
        recorder.count(Target::Erp, "sales order", Action::Skipped);
        recorder.count(Target::Erp, "payment line", Action::DeadLettered);
        recorder.finished("WEB-1", Outcome::Completed);
        recorder.finished(
            "WEB-2",
            Outcome::DeadLettered {
                step: "dynamics365.sales_order".into(),
                reason: "no item".into(),
            },
        );
        recorder.fact("payment journal", "posted");
        let report = recorder.finish();
        let text = report.to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[1].contains("2 seen · 1 completed"), "{text}");
        assert!(
            lines.iter().any(|l| l.starts_with("PayTrace  sale")
                && l.ends_with("12        0        0              0")),
            "{text}"
        );
        assert!(
            text.contains("WEB-2  dynamics365.sales_order: no item"),
            "{text}"
        );
        assert!(text.contains("payment journal:  posted"), "{text}");
        assert!(report.changed_anything());
        assert_eq!(report.records.dead_lettered, 1);
        let back: RunReport =
            serde_json::from_value(serde_json::to_value(&report).unwrap()).unwrap();
        assert_eq!(back, report);
    }

    #[test]
    fn an_empty_run_says_so_and_changed_nothing() {
        let report = Recorder::new("settlement-reconciliation").finish();
        assert!(report.to_string().contains("(nothing to do)"));
        assert!(!report.changed_anything());
    }
}
