//! The declarative field-mapping engine: map `serde_json::Value` records between PayTrace,
//! Salesforce and Dynamics 365 (both ways) from a spec a user edits, not code.
//!
//! A [`Spec`] is a list of rules, each writing one target field from a source path, a
//! constant or a context variable, through a chain of named transforms, under an optional
//! condition. [`Spec::apply`] maps source → target; [`Spec::reverse`] maps target → source
//! with each transform's inverse and reports the rules that only run forward. Specs are
//! TOML (primary) or JSON, validated when they load: an unknown transform, a bad argument, a
//! malformed path or condition, or a missing key is an error naming the spec line, the rule
//! and its target. The shipped specs are in [`defaults`].
//!
//! # Example
//!
//! ```
//! use mapping::fieldmap::{Context, Spec, TransformRegistry};
//! use serde_json::json;
//!
//! let spec = Spec::from_toml_str(
//!     r#"
//!     name = "paytrace_to_crm"
//!     record_id = "transaction_id"
//!
//!     [[rule]]
//!     target = "PaymentID__c"
//!     source = "transaction_id"
//!     transforms = ["to_string"]
//!     reverse_transforms = ["to_integer"]
//!     required = true
//!
//!     [[rule]]                      # refunds are negative ...
//!     target = "Amount__c"
//!     source = "amount"
//!     transforms = ["to_decimal", "negate"]
//!     when = { path = "transaction_type", equals = "REFUND" }
//!     reverse_when = { path = "Amount__c", lt = 0 }
//!
//!     [[rule]]                      # ... everything else as is (the first value wins)
//!     target = "Amount__c"
//!     source = "amount"
//!     transforms = ["to_decimal"]
//!
//!     [[rule]]
//!     target = "Type__c"
//!     source = "transaction_type"
//!     transforms = [{ name = "map", table = { SALE = "Sale", REFUND = "Refund" } }]
//!
//!     [[rule]]
//!     target = "Last4__c"
//!     source = "credit_card.masked_number"
//!     transforms = ["last4_from_masked"]
//!
//!     [[rule]]
//!     target = "Account__c"
//!     source = "$ctx.account_id"
//!
//!     [[rule]]                      # every other custom field: SalesRepID -> PT_SalesRepID__c
//!     target = "PT_*__c"
//!     source = "discretionary_data.*"
//!     "#,
//!     &TransformRegistry::standard(),
//! )?;
//!
//! let refund = json!({
//!     "transaction_id": 123456790,
//!     "transaction_type": "REFUND",
//!     "amount": 5.00,
//!     "credit_card": {"masked_number": "************5454"},
//!     "discretionary_data": {"SalesRepID": "0057"}
//! });
//! let ctx = Context::new().with("account_id", "001A");
//! let payment = spec.apply(&refund, &ctx)?;
//! assert_eq!(payment, json!({
//!     "PaymentID__c": "123456790",
//!     "Amount__c": -5.0,
//!     "Type__c": "Refund",
//!     "Last4__c": "5454",
//!     "Account__c": "001A",
//!     "PT_SalesRepID__c": "0057"
//! }));
//!
//! let back = spec.reverse(&payment, &ctx)?;
//! assert_eq!(back.record, json!({
//!     "transaction_id": 123456790,
//!     "transaction_type": "REFUND",
//!     "amount": 5.0,
//!     "credit_card": {"masked_number": "************5454"},
//!     "discretionary_data": {"SalesRepID": "0057"}
//! }));
//! assert_eq!(back.one_way.len(), 1); // Account__c comes from the context
//! # Ok::<(), mapping::fieldmap::FieldMapError>(())
//! ```
//!
//! # Spec format
//!
//! A spec is a TOML document (or the same model as JSON, see [`Spec::from_json_str`]).
//!
//! | key | type | meaning |
//! |---|---|---|
//! | `name` | string | the spec's name |
//! | `description` | string | what it maps |
//! | `record_id` | path | the source field that identifies a record in apply errors (`transaction_id`) |
//! | `target_record_id` | path | the target field that identifies a record in reverse errors (`PaymentID__c`) |
//! | `[context]` | table | defaults of context variables; the [`Context`] given at apply time overrides them |
//! | `[[rule]]` | tables | the rules, in order |
//!
//! Unknown keys are errors (a misspelt `tranforms` must not silently map nothing).
//!
//! ## Rules
//!
//! | key | type | meaning |
//! |---|---|---|
//! | `target` | path | **required**: the field written in the target record; objects on the way are created |
//! | `source` | path | the field read from the source record, or `$ctx.<name>…` read from the context |
//! | `sources` | paths | several fields, read into a list (missing ones as `null`) for `concat`, `join`, `join_lines`, `paytrace_export_status` |
//! | `value` | any | a constant |
//! | `transforms` | list | the transform chain, in order: names, or tables `{ name = "…", <args> }` |
//! | `reverse_transforms` | list | the chain [`Spec::reverse`] runs instead of the inverses of `transforms` |
//! | `default` | any | the target value when the source is missing or `null`, or the chain gives `null` |
//! | `required` | bool | forward: no value and no `default` is an error naming the record and field |
//! | `when` | condition | the rule runs only when it holds on the source record |
//! | `reverse_when` | condition | in reverse, the rule runs only when it holds on the target record |
//! | `direction` | `"forward"`, `"reverse"`, `"both"` | which way the rule runs (see below) |
//! | `name` | string | a label for errors and reports |
//!
//! A rule has exactly one of `source`, `sources` and `value`. Semantics:
//!
//! - Rules run in order. When several rules write the same target, **the first value wins**:
//!   later rules for that target are skipped. A conditional rule followed by an
//!   unconditional one is an if/else; two sources for one target are a fallback
//!   (`documentNumber` from the context, else from the transaction id).
//! - A missing or `null` source gives no value: the transforms do not run, the `default`
//!   (a target-side value) applies, else `required` fails, else nothing is written. A
//!   transform returning `null` ends the chain the same way (`default_if_empty` without a
//!   value turns `""` into "missing").
//! - `sources`: the chain gets a list with one item per path; the rule is skipped when all
//!   are missing.
//!
//! ## Paths
//!
//! | form | meaning |
//! |---|---|
//! | `amount` | the key `amount` |
//! | `billing_address.zip`, `discretionary_data.SalesRepID` | nested keys |
//! | `lines[0].amount`, `[2].id` | array indexes (a path may start with one) |
//! | `"key.with.dots".x`, `a."b c"` | a quoted key may hold any character; `\"` and `\\` escape |
//! | `$ctx.customer_account`, `$ctx.opportunity.Id` | a context variable, and keys inside it (`"$ctx"` quoted is a record key) |
//! | `discretionary_data.*`, `PT_*__c`, `custom.x_*` | a key pattern: one bare `*` in the last key (`"*"` quoted is a literal key) |
//!
//! Bare keys hold any character except `.`, `[`, `]`, `"` and whitespace. Reading a missing
//! key or index, or through a value of the wrong kind, gives "missing". Writing creates
//! objects (and arrays for indexes, padded with `null`) and fails when a scalar is in the way.
//!
//! ## Transforms
//!
//! A chain is a list of names and tables: `["trim", { name = "map", table = { Y = "Completed" } }, "upper"]`.
//! Each transform is built from its arguments when the spec loads (so a bad argument is a
//! load-time error) from a [`TransformRegistry`]: [`TransformRegistry::standard`] holds the
//! built-ins below and the domain transformers, and [`TransformRegistry::register`] adds
//! your own with their inverse.
//!
//! ### Built-in transforms
//!
//! | name | arguments | does | inverse |
//! |---|---|---|---|
//! | `trim` | | trims a string (others unchanged) | identity (whitespace is not restored) |
//! | `upper`, `lower` | | changes case | none |
//! | `to_string` | | a scalar as text (`123` → `"123"`) | none (give `reverse_transforms`) |
//! | `to_integer` | | a whole number from a number or text | text |
//! | `to_decimal` | | a number from a number or numeric text (`"1,234.50"` → 1234.5) | itself (normalising) |
//! | `decimal_2dp` | `rounding` | text with two decimals (`12.5` → `"12.50"`), rounding half-even unless named | `to_decimal` |
//! | `round` | `dp` (2), `rounding` | rounds, keeping text as text | identity |
//! | `negate` | | sign flip, keeping text as text | `negate` |
//! | `abs` | | absolute value | none |
//! | `multiply` | `by` | multiplies (`by = 100`: dollars → cents) | divides (none for 0) |
//! | `to_bool` | | `true/yes/y/1/on`, `false/no/n/0/off`, 0/1 → a boolean | itself |
//! | `map` | `table`, `default` or `passthrough` | looks the value up (numbers and booleans by their text); unknown: `default`, unchanged with `passthrough = true`, else an error | the reversed table, when the values are distinct scalars and there is no `default` |
//! | `prefix`, `suffix` | `value` | adds text | strips it (an error when absent) |
//! | `concat` | `separator` ("") | joins a list's non-empty items | none |
//! | `join` / `split` | `separator` | list ↔ text, keeping empty items | each other |
//! | `join_lines` / `split_lines` | | list ↔ lines, dropping empty lines (street lines) | each other |
//! | `default_if_empty` | `value` | `""`, `[]`, `{}` → `value`, or "missing" without one | `value` → `""` |
//! | `truncate` | `max` | cuts text to `max` characters | none |
//! | `date` | `from`, `to`, `from_tz`, `to_tz` | re-formats a date/time: chrono `strftime` formats or `"rfc3339"`; times without an offset are in `from_tz` (IANA name, default UTC) and written in `to_tz` | the swapped conversion |
//! | `last4_from_masked` | | `"************5454"` → `"5454"` (canonical `LastFour::from_masked`; errors never echo the input) | `"************"` + the four digits |
//! | `card_brand_from_masked` | | the brand from the leading digits (`"541111******5454"` → `"mastercard"`; canonical `CardBrand::from_leading_digits`) | none |
//!
//! ### Domain transforms
//!
//! Registered from [`crate::transform`] by [`TransformRegistry::standard`]. Canonical values
//! are written as canonical-model serialises them (`"approved"`, `"2015-04-10T23:06:30Z"`,
//! `"2015-04-10"`).
//!
//! | name | does | inverse |
//! |---|---|---|
//! | `paytrace_export_status` | export `status_code`, or `[status_code, status_message, transaction_type]` via `sources` → canonical status (`"GB571"` → `"settled"`, `"Y"` → `"approved"`) | none |
//! | `paytrace_batch_number` | `"GB571"` → `"571"`; other codes → missing | none |
//! | `paytrace_status` | `response_code`, or `[response_code, transaction_type]` → canonical status | none |
//! | `paytrace_transaction_kind` | `"SALE"` → `"sale"` | `"sale"` → `"SALE"` |
//! | `salesforce_payment_status` | canonical status → `Payment__c.Status__c` (`"approved"` → `"Completed"`) | back to canonical |
//! | `fno_payment_status` | canonical status → F&O payment status | back to canonical |
//! | `paytrace_datetime` (`zone`) | `"4/10/2015 4:06:30 PM"` (Pacific unless `zone`) → canonical UTC; `""` → missing | back |
//! | `paytrace_date` | `"04/10/2015"` → `"2015-04-10"` | back |
//! | `salesforce_datetime` | canonical → `"2015-04-10T23:06:30.000+0000"` | back |
//! | `salesforce_date` | canonical date → Salesforce date | back |
//! | `fno_date` | canonical date (or datetime: its date) → `"2015-04-10T12:00:00Z"` | back; the 1900 sentinel → missing |
//! | `fno_datetime` | canonical → F&O datetime | back |
//! | `bc_date` | canonical date (or datetime: its date) → `Edm.Date` | back; `0001-01-01` → missing |
//! | `bc_datetime` | canonical → BC datetime | back |
//! | `paytrace_amount` | a decimal → `"12.50"` (refuses more than 2 decimals or a negative) | `to_decimal` |
//! | `noyes` | boolean → F&O `"Yes"`/`"No"` | back |
//! | `format_money` | canonical money `{amount, currency}` → `"$1,234.50"` | back |
//! | `decline_reason` | processor approval text → canonical decline reason | none |
//! | `avs_result`, `csc_result` | PayTrace AVS/CSC text → canonical result | PayTrace text |
//! | `state_code` | US state or territory, code or name → USPS code (`"Washington"` → `"WA"`) | the name |
//! | `state_name` | USPS code → name | the code |
//! | `country_alpha2` | country code or name (`"U.S.A."`, `"deu"`) → ISO alpha-2 | the name |
//! | `country_alpha3` | country code or name → ISO alpha-3 (F&O `AddressCountryRegionId`) | alpha-2 |
//! | `country_name` | country code or name → short English name | alpha-2 |
//! | `zip` | US ZIP or ZIP+4 → `"99201"` / `"99201-1234"` | identity (normalising) |
//! | `join_street` / `split_street` | street lines (e.g. via `sources`) ↔ one `\n`-separated text, cleaned | each other |
//! | `card_brand_name` | canonical brand → `"American Express"` (after `card_brand_from_masked`) | back |
//! | `split_person_name` / `join_person_name` | `"Dr. Jane Q. Doe Jr."` ↔ canonical `PersonName` | each other |
//!
//! The full, current list is whatever [`TransformRegistry::names`] reports.
//!
//! ## Conditions
//!
//! A condition is a table: a `path` with exactly one operator, or one combinator.
//!
//! ```toml
//! when = { path = "transaction_type", equals = "REFUND" }
//! when = { path = "transaction_type", not_equals = "REFUND" }      # also true when missing
//! when = { path = "transaction_type", in = ["SALE", "CAPTURE"] }   # not_in: also true when missing
//! when = { path = "invoice_id", exists = true }                    # present and not null; false: not-exists
//! when = { path = "status_code", starts_with = "GB" }
//! when = { path = "amount", gt = 100 }                             # gte, lt, lte; numbers or numeric text
//! when = { path = "$ctx.amount_sign", equals = "negative" }        # context variables too
//! when = { all = [ { path = "a", exists = true }, { not = { path = "b", equals = 1 } } ] }
//! when = { any = [ … ] }
//! ```
//!
//! Numbers compare by value (`1` equals `1.0`); everything else by JSON equality.
//!
//! ## Custom fields, enrichment
//!
//! - A **wildcard rule** copies every key matching a pattern, rewriting the key: `source =
//!   "discretionary_data.*"`, `target = "PT_*__c"` turns `SalesRepID` into
//!   `PT_SalesRepID__c` (and back in reverse). It copies the *remaining* keys only: a key
//!   that another rule reads (`discretionary_data.Subscription_Term` → `Subscription_Term__c`)
//!   is skipped forward, and a key another rule writes is skipped in reverse. The chain runs
//!   on each value. `source = "discretionary_data"`, `target = "meta"` (no `*`) copies the
//!   whole object as one value.
//! - **Enrichment** reads the context: `target = "discretionary_data.SalesRepID"`, `source =
//!   "$ctx.sales_rep_id"`; a whole record can be passed as a context value and read into
//!   (`$ctx.opportunity.Campaign_Source__c`), or copied with a wildcard (`source =
//!   "$ctx.extra.*"`).
//!
//! ## Direction and reverse
//!
//! Without `direction`, a rule runs both ways when it can: its `source` is a record path and
//! every transform has an inverse (or `reverse_transforms` is given). Constants, context
//! reads and non-invertible chains run forward only, and [`Spec::reverse`] lists them in
//! [`Reversed::one_way`] ([`Spec::one_way_rules`] tells before running). `direction =
//! "forward"` keeps a rule out of reverse; `"reverse"` out of apply; declaring `"both"` or
//! `"reverse"` on a rule that cannot run in reverse is a load-time error.
//!
//! In reverse, a rule reads its `target` from the target record, runs the inverse chain, and
//! writes its `source` (for `sources`, the chain must give a list, item *i* to path *i*).
//! See [`Spec::reverse`] for how conditions apply.
//!
//! ## Errors
//!
//! Everything fails with one [`FieldMapError`]. Load-time errors carry a [`SpecLocation`]
//! (line for TOML text, rule number, target): `spec line 14, rule 3, target `Amount__c`:
//! unknown transform `to_decimall``. Apply-time errors carry a [`RecordLocation`] (record
//! id from `record_id`, rule, field) and the transform's message: `record 123456789, rule 3
//! `Amount__c` at line 14, field `amount`: transform `to_decimal` failed: …`.
//! Nothing here panics.

mod apply;
mod builtin;
mod condition;
mod context;
pub mod defaults;
mod domain;
mod error;
mod load;
mod path;
mod registry;
mod spec;

pub use apply::Reversed;
pub use condition::{Comparison, Condition};
pub use context::Context;
pub use error::{
    FieldMapError, PathError, RecordLocation, RuleRef, SpecFormat, SpecLocation, StepError,
};
pub use path::{CONTEXT_ROOT, KeyPattern, Path, Root, Segment};
pub use registry::{Args, Transform, TransformFn, TransformRegistry, lift, lift_try};
pub use spec::{Direction, RuleDef, Spec, SpecDef, TransformDef};
