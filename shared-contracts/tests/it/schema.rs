use std::path::Path;

use shared_contracts::schema;

fn schema_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/schema"))
}

#[test]
fn checked_in_schemas_match_the_types() {
    let drifted = schema::drifted(schema_dir());
    assert!(
        drifted.is_empty(),
        "schema files out of date: {drifted:?}; run `cargo xtask schema` and commit the result"
    );
}

#[test]
fn schemas_describe_the_wire_names() {
    let response: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(schema_dir().join("AbmCheckResponse.json")).unwrap(),
    )
    .unwrap();
    let properties = response["properties"].as_object().unwrap();
    let mut names: Vec<_> = properties.keys().cloned().collect();
    names.sort();
    assert_eq!(
        names,
        [
            "accountId",
            "inABMProgram",
            "programName",
            "status",
            "touchesRemaining"
        ]
    );
    let request: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(schema_dir().join("AbmCheckRequest.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(request["required"], serde_json::json!(["accountId"]));
    assert_eq!(
        request["$defs"]["AccountId"]["pattern"],
        shared_contracts::ACCOUNT_ID_PATTERN
    );
}
