//! Shared by the example binaries (`src/bin/*.rs`): the command-line options every binary
//! takes, logging, the progress display, the connection to the three systems, and the
//! summary.
//!
//! Each binary is a thin `main`:
//!
//! ```no_run
//! use clap::Parser;
//! use examples::{Common, Console};
//!
//! #[derive(Parser)]
//! struct Args {
//!     #[command(flatten)]
//!     common: Common,
//! }
//!
//! # async fn run() -> Result<(), examples::Error> {
//! let args = Args::parse();
//! let console = Console::start(&args.common);
//! let systems = args.common.systems(&console).await?;
//! // ... seed the sandbox if `systems` is the sandbox, run a flow ...
//! # let report = flows::report::Recorder::new("demo").finish();
//! console.summary(&systems, &report, &[])?;
//! # Ok(()) }
//! ```
//!
//! | piece | what it does |
//! |---|---|
//! | [`Common`] | `--json`, `--store DIR`, `--concurrency N`, `--erp fno\|bc`, `--seed N`, `--no-seed` |
//! | [`Console`] | `RUST_LOG` logging to stderr; a progress bar on a terminal, plain progress lines otherwise; the summary as a table or JSON on stdout |
//! | [`Common::systems`] | [`flows::Systems::from_env_with`]: each system whose variables are unset is its emulator, in-process |

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use clap::Args;
use flows::report::{Outcome, Progress, RunReport};
use flows::systems::{ErpFlavor, SandboxOptions, Settings};
use flows::{Stores, Systems};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;

/// The error of a binary's `main`.
pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// The options every example binary takes.
#[derive(Debug, Clone, Args)]
pub struct Common {
    /// Print the summary as JSON (for scripts) instead of a table.
    #[arg(long)]
    pub json: bool,

    /// Keep the ledger, dead letters and checkpoints in this directory (durable across runs;
    /// list and replay the dead letters with the `dead-letters` binary). Default: in memory.
    #[arg(long, value_name = "DIR")]
    pub store: Option<PathBuf>,

    /// Records processed at once.
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,

    /// The ERP emulator's flavour when D365_BASE_URL is unset: `fno` (Finance & Operations)
    /// or `bc` (Business Central). Default: D365_FLAVOR, else `fno`.
    #[arg(long, value_name = "FLAVOR", value_parser = parse_flavor)]
    pub erp: Option<ErpFlavor>,

    /// Seed of the data generated for the emulators.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,

    /// Do not put demo data into the emulators.
    #[arg(long)]
    pub no_seed: bool,
}

fn parse_flavor(text: &str) -> Result<ErpFlavor, String> {
    ErpFlavor::parse(text).ok_or_else(|| format!("{text:?} is not `fno` or `bc`"))
}

impl Common {
    /// The three systems — real where their variables are set, emulated in-process
    /// otherwise — with the stores and settings these options ask for, reporting progress
    /// to `console`.
    ///
    /// # Errors
    /// A store that cannot be opened; a client's configuration error naming the variable;
    /// an emulator that cannot start.
    pub async fn systems(&self, console: &Console) -> Result<Systems, Error> {
        let stores = match &self.store {
            Some(dir) => Stores::open(dir).await?,
            None => Stores::memory(),
        };
        let flavor = match self.erp {
            Some(flavor) => flavor,
            None => match std::env::var("D365_FLAVOR") {
                Ok(text) if !text.trim().is_empty() => parse_flavor(&text)?,
                _ => ErpFlavor::FinanceOperations,
            },
        };
        let options = SandboxOptions {
            erp_flavor: flavor,
            ..SandboxOptions::default()
        };
        let systems = Systems::from_env_with(stores, options).await?;
        let settings = Settings {
            concurrency: self.concurrency.max(1),
            progress: console.progress(),
            ..Settings::default()
        };
        let systems = systems.with_settings(settings);
        for endpoint in systems.endpoints() {
            tracing::info!("{endpoint}");
        }
        Ok(systems)
    }

    /// Whether to seed: every system is the sandbox and `--no-seed` was not given.
    pub fn seeding(&self, systems: &Systems) -> bool {
        !self.no_seed
            && systems
                .endpoints()
                .iter()
                .all(|e| systems.is_sandbox(e.system))
    }
}

/// Logging, progress and the summary of one binary's run.
#[derive(Clone)]
pub struct Console {
    json: bool,
    progress: Arc<Display>,
}

impl Console {
    /// Starts logging (`RUST_LOG`, default `warn`, to stderr) and a progress display: a bar
    /// when stderr is a terminal, plain lines otherwise, nothing with `--json`.
    pub fn start(common: &Common) -> Console {
        let filter = tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .try_init();
        let mode = if common.json {
            Mode::Quiet
        } else if std::io::stderr().is_terminal() {
            Mode::Bar
        } else {
            Mode::Lines
        };
        Console {
            json: common.json,
            progress: Arc::new(Display {
                mode,
                state: Mutex::new(State::default()),
            }),
        }
    }

    /// The [`Progress`] to give the flows.
    pub fn progress(&self) -> Arc<dyn Progress> {
        Arc::clone(&self.progress) as Arc<dyn Progress>
    }

    /// Says something to the reader (stderr; nothing with `--json`).
    pub fn note(&self, text: &str) {
        self.progress.note(text);
    }

    /// Prints the summary: where each system was, the run's table (or JSON), and `extra`
    /// named values (JSON only: the table's facts carry them already).
    ///
    /// # Errors
    /// When the JSON cannot be written.
    pub fn summary(
        &self,
        systems: &Systems,
        report: &RunReport,
        extra: &[(&str, serde_json::Value)],
    ) -> Result<(), Error> {
        self.progress.clear();
        if self.json {
            let mut value = json!({
                "systems": systems.endpoints(),
                "report": report,
            });
            for (name, extra) in extra {
                value[*name] = extra.clone();
            }
            println!("{}", serde_json::to_string_pretty(&value)?);
        } else {
            for endpoint in systems.endpoints() {
                println!("{endpoint}");
            }
            println!();
            print!("{report}");
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Bar,
    Lines,
    Quiet,
}

#[derive(Default)]
struct State {
    bar: Option<ProgressBar>,
    flow: String,
    total: Option<u64>,
    done: u64,
    next_line: u64,
}

/// The progress display: an indicatif bar, plain lines, or nothing.
struct Display {
    mode: Mode,
    state: Mutex<State>,
}

impl Display {
    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.state.lock().unwrap_or_else(PoisonError::into_inner))
    }

    fn note(&self, text: &str) {
        match self.mode {
            Mode::Quiet => {}
            Mode::Lines => eprintln!("{text}"),
            Mode::Bar => self.with(|s| match &s.bar {
                Some(bar) => bar.println(text),
                None => eprintln!("{text}"),
            }),
        }
    }

    fn clear(&self) {
        self.with(|s| {
            if let Some(bar) = s.bar.take() {
                bar.finish_and_clear();
            }
        });
    }
}

impl Progress for Display {
    fn started(&self, flow: &str, total: Option<u64>) {
        self.with(|s| {
            s.flow = flow.to_owned();
            s.total = total;
            s.done = 0;
            s.next_line = 0;
            match self.mode {
                Mode::Bar => {
                    let bar = ProgressBar::new(total.unwrap_or(0));
                    let style = ProgressStyle::with_template(
                        "{prefix} [{bar:30}] {pos}/{len} records · {elapsed} {msg}",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> ");
                    bar.set_style(style);
                    bar.set_prefix(flow.to_owned());
                    bar.enable_steady_tick(Duration::from_millis(200));
                    if let Some(old) = s.bar.replace(bar) {
                        old.finish_and_clear();
                    }
                }
                Mode::Lines => match total {
                    Some(total) => eprintln!("{flow}: {total} records to look at"),
                    None => eprintln!("{flow}: started"),
                },
                Mode::Quiet => {}
            }
        });
    }

    fn found(&self, more: u64) {
        self.with(|s| {
            s.total = Some(s.total.unwrap_or(0) + more);
            if let Some(bar) = &s.bar {
                bar.inc_length(more);
            }
        });
    }

    fn finished(&self, key: &str, outcome: &Outcome) {
        self.with(|s| {
            s.done += 1;
            match self.mode {
                Mode::Bar => {
                    if let Some(bar) = &s.bar {
                        bar.inc(1);
                        if let Outcome::DeadLettered { step, .. } = outcome {
                            bar.set_message(format!("(last dead letter: {key} at {step})"));
                        }
                    }
                }
                Mode::Lines => {
                    // About ten lines per run, and every dead letter.
                    let every = s.total.map_or(10, |t| (t / 10).max(1));
                    if matches!(outcome, Outcome::DeadLettered { .. }) {
                        eprintln!("{}: {key} {}", s.flow, outcome.label());
                    }
                    if s.done >= s.next_line || Some(s.done) == s.total {
                        let of = s.total.map(|t| format!("/{t}")).unwrap_or_default();
                        eprintln!("{}: {}{of} records", s.flow, s.done);
                        s.next_line = s.done + every;
                    }
                }
                Mode::Quiet => {}
            }
        });
    }
}
