//! The JSON Schema of `report.json`, derived from the model so it cannot drift from it.
//! The repository ships it as `schemas/report.schema.json`; a test keeps that file equal
//! to what [`report_schema`] returns (`UPDATE_SCHEMAS=1` rewrites it).

use crate::model::RunReport;

/// The JSON Schema (draft 2020-12) of a [`RunReport`] as `report.json` holds it.
pub fn report_schema() -> serde_json::Value {
    let mut schema = schemars::schema_for!(RunReport);
    schema.insert(
        "$id".to_owned(),
        serde_json::Value::String("https://example.invalid/pens-conform/schemas/report.schema.json".to_owned()),
    );
    schema.to_value()
}
