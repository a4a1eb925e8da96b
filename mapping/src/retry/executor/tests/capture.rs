//! A minimal `tracing` subscriber that records spans and events as text, so tests can
//! assert what was logged (and that no secret was).

use std::collections::HashMap;
use std::fmt::{self, Write as _};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Event, Level, Metadata, Subscriber};

/// One recorded event: its level, fields rendered `name=value`, and the fields of the span
/// it happened in.
#[derive(Debug, Clone)]
pub(super) struct CapturedEvent {
    pub(super) level: Level,
    pub(super) fields: String,
    pub(super) span: Option<String>,
}

#[derive(Default)]
struct State {
    spans: HashMap<u64, String>,
    stack: Vec<u64>,
    events: Vec<CapturedEvent>,
}

/// Records everything; clones share the record.
#[derive(Clone, Default)]
pub(super) struct Capture {
    next_id: Arc<AtomicU64>,
    state: Arc<Mutex<State>>,
}

impl Capture {
    pub(super) fn events(&self) -> Vec<CapturedEvent> {
        self.state.lock().unwrap().events.clone()
    }

    /// Every span ever created, in creation order, with its latest fields.
    pub(super) fn spans(&self) -> Vec<String> {
        let state = self.state.lock().unwrap();
        let mut ids: Vec<_> = state.spans.keys().copied().collect();
        ids.sort_unstable();
        ids.into_iter().map(|id| state.spans[&id].clone()).collect()
    }

    /// All recorded text, for "this never appears" assertions.
    pub(super) fn all_text(&self) -> String {
        let mut text = self.spans().join("\n");
        for e in self.events() {
            let _ = writeln!(text, "{} {} {:?}", e.level, e.fields, e.span);
        }
        text
    }
}

struct Fields<'a>(&'a mut String);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let _ = write!(self.0, " {}={:?}", field.name(), value);
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        let _ = write!(self.0, " {}={}", field.name(), value);
    }
}

impl Subscriber for Capture {
    fn register_callsite(&self, _: &'static Metadata<'static>) -> Interest {
        Interest::always()
    }

    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, attrs: &Attributes<'_>) -> Id {
        let id = self.next_id.fetch_add(1, Ordering::SeqCst) + 1;
        let mut text = attrs.metadata().name().to_owned();
        attrs.record(&mut Fields(&mut text));
        self.state.lock().unwrap().spans.insert(id, text);
        Id::from_u64(id)
    }

    fn record(&self, span: &Id, values: &Record<'_>) {
        let mut state = self.state.lock().unwrap();
        if let Some(text) = state.spans.get_mut(&span.into_u64()) {
            values.record(&mut Fields(text));
        }
    }

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut fields = String::new();
        event.record(&mut Fields(&mut fields));
        let mut state = self.state.lock().unwrap();
        let span = state
            .stack
            .last()
            .and_then(|id| state.spans.get(id))
            .cloned();
        state.events.push(CapturedEvent {
            level: *event.metadata().level(),
            fields,
            span,
        });
    }

    fn enter(&self, span: &Id) {
        self.state.lock().unwrap().stack.push(span.into_u64());
    }

    fn exit(&self, span: &Id) {
        let mut state = self.state.lock().unwrap();
        if let Some(pos) = state.stack.iter().rposition(|id| *id == span.into_u64()) {
            state.stack.remove(pos);
        }
    }
}
