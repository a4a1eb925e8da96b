//! In-memory tables of one flavour: rows per entity set (insertion order), record ids, row
//! versions (for ETags) and number sequences. `Clone` is the snapshot used to roll back a
//! failed write or changeset.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// First record id handed out (F&O RecIds of that size appear in real ETags).
const FIRST_REC_ID: u64 = 68_719_476_736;

/// One stored row.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Row {
    /// Unique across the flavour's tables.
    pub(crate) rec_id: u64,
    /// Bumped on every update; part of the ETag.
    pub(crate) version: u64,
    /// BC company id the row belongs to (`None` for F&O, where `dataAreaId` is a property,
    /// and for BC `companies`).
    pub(crate) company: Option<String>,
    /// Properties.
    pub(crate) data: Map<String, Value>,
}

/// All tables of one flavour.
#[derive(Clone, Debug, Default)]
pub(crate) struct Tables {
    sets: BTreeMap<&'static str, Vec<Row>>,
    seqs: BTreeMap<String, u64>,
    next_rec: u64,
}

impl Tables {
    /// Rows of `set`, in insertion order.
    pub(crate) fn rows(&self, set: &str) -> &[Row] {
        self.sets.get(set).map_or(&[], Vec::as_slice)
    }

    /// The row with `rec_id` in `set`.
    pub(crate) fn row(&self, set: &str, rec_id: u64) -> Option<&Row> {
        self.rows(set).iter().find(|r| r.rec_id == rec_id)
    }

    /// The row with `rec_id` in `set`, mutable (does not bump the version).
    pub(crate) fn row_mut(&mut self, set: &str, rec_id: u64) -> Option<&mut Row> {
        self.sets
            .get_mut(set)
            .and_then(|rows| rows.iter_mut().find(|r| r.rec_id == rec_id))
    }

    /// Append a row; returns its record id.
    pub(crate) fn insert(
        &mut self,
        set: &'static str,
        company: Option<String>,
        data: Map<String, Value>,
    ) -> u64 {
        if self.next_rec == 0 {
            self.next_rec = FIRST_REC_ID;
        }
        let rec_id = self.next_rec;
        self.next_rec += 1;
        self.sets.entry(set).or_default().push(Row {
            rec_id,
            version: 1,
            company,
            data,
        });
        rec_id
    }

    /// Replace a row's properties and bump its version. Returns whether the row exists.
    pub(crate) fn update(&mut self, set: &str, rec_id: u64, data: Map<String, Value>) -> bool {
        match self.row_mut(set, rec_id) {
            Some(r) => {
                r.data = data;
                r.version += 1;
                true
            }
            None => false,
        }
    }

    /// Set some properties of a row and bump its version.
    pub(crate) fn set_props(&mut self, set: &str, rec_id: u64, props: &[(&str, Value)]) {
        if let Some(r) = self.row_mut(set, rec_id) {
            for (k, v) in props {
                r.data.insert((*k).to_owned(), v.clone());
            }
            r.version += 1;
        }
    }

    /// Remove a row.
    pub(crate) fn remove(&mut self, set: &str, rec_id: u64) -> Option<Row> {
        let rows = self.sets.get_mut(set)?;
        let i = rows.iter().position(|r| r.rec_id == rec_id)?;
        Some(rows.remove(i))
    }

    /// Remove every row of `set` matching `pred`; returns them.
    pub(crate) fn remove_where(&mut self, set: &str, pred: impl Fn(&Row) -> bool) -> Vec<Row> {
        let Some(rows) = self.sets.get_mut(set) else {
            return Vec::new();
        };
        let (gone, kept): (Vec<Row>, Vec<Row>) = rows.drain(..).partition(|r| pred(r));
        *rows = kept;
        gone
    }

    /// The next value (from 1) of number sequence `name`.
    pub(crate) fn next_seq(&mut self, name: &str) -> u64 {
        let n = self.seqs.entry(name.to_owned()).or_insert(0);
        *n += 1;
        *n
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn insert_update_remove_and_sequences() {
        let mut t = Tables::default();
        let mut m = Map::new();
        m.insert("A".into(), json!(1));
        let id = t.insert("S", None, m.clone());
        assert_eq!(t.rows("S").len(), 1);
        assert_eq!(t.row("S", id).unwrap().version, 1);
        m.insert("A".into(), json!(2));
        assert!(t.update("S", id, m));
        assert_eq!(t.row("S", id).unwrap().version, 2);
        let snapshot = t.clone();
        assert!(t.remove("S", id).is_some());
        assert!(t.rows("S").is_empty());
        assert_eq!(snapshot.rows("S").len(), 1);
        assert_eq!(t.next_seq("x"), 1);
        assert_eq!(t.next_seq("x"), 2);
    }
}
