//! The JSON Schemas of `report.json` and of `load --json`, derived from the models so
//! they cannot drift from them. The repository ships them as `schemas/report.schema.json`
//! and `schemas/load-report.schema.json`; tests keep those files equal to what
//! [`report_schema`] and [`load_report_schema`] return (`UPDATE_SCHEMAS=1` rewrites them).

use crate::load::LoadReport;
use crate::model::RunReport;

/// Where the schemas say they live (`$id`); `example.invalid` until the project has a
/// home of its own.
const SCHEMA_BASE: &str = "https://example.invalid/pens-conform/schemas/";

/// The JSON Schema (draft 2020-12) of a [`RunReport`] as `report.json` holds it.
pub fn report_schema() -> serde_json::Value {
    with_id(schemars::schema_for!(RunReport), "report.schema.json")
}

/// The JSON Schema (draft 2020-12) of a [`LoadReport`] as `pens-conform load --json`
/// writes it.
pub fn load_report_schema() -> serde_json::Value {
    with_id(schemars::schema_for!(LoadReport), "load-report.schema.json")
}

fn with_id(mut schema: schemars::Schema, file: &str) -> serde_json::Value {
    schema.insert("$id".to_owned(), serde_json::Value::String(format!("{SCHEMA_BASE}{file}")));
    schema.to_value()
}
