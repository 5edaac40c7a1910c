//! JSON Schema (draft 2020-12) of every payload, generated from the types.
//!
//! The generated files are checked in under `shared-contracts/schema/` so that teams
//! calling the services from Go, Python or TypeScript can read or generate code from
//! them. A test fails when they drift from the types; `cargo xtask schema` rewrites
//! them.

use std::path::Path;

use schemars::{JsonSchema, Schema, generate::SchemaSettings};

use crate::campaign::{CampaignLaunchInput, CampaignLaunchSummary};
use crate::coordinator::{CoordinatorBrief, CoordinatorInput, CoordinatorProgress};
use crate::monitor::{HealthSnapshot, MonitorInput, MonitorStatus};
use crate::operation::{
    CHECK_ABM_PROGRAM, CHECK_NOW, GET_ACCOUNT_HEALTH, GET_ACCOUNT_SNAPSHOT, Operation,
    RUN_COORDINATOR,
};

/// One schema file: its name under `schema/`, and what it describes.
pub struct SchemaFile {
    /// File name, e.g. `AbmCheckRequest.json`.
    pub file_name: String,
    /// The pretty-printed schema, ending in a newline.
    pub contents: String,
}

/// The schema files being gathered: one per payload type, named after the type, its
/// title every use of it (`marketing.abm.v1/checkAbmProgram input`, ...).
#[derive(Default)]
struct Files {
    /// Type name, its schema, and what uses it, in the order first met.
    files: Vec<(String, Schema, Vec<String>)>,
    /// `service/operation` of every operation, in order.
    operations: Vec<String>,
}

impl Files {
    /// `T`, used as `use_`, in the file named after it.
    fn payload<T: JsonSchema>(&mut self, use_: String) {
        self.payload_as::<T>(T::schema_name().into_owned(), use_);
    }

    /// `T`, used as `use_`, in the file `name`: for a type alias, which the schema
    /// would name after what it stands for (`Vec<StepProgress>`).
    fn payload_as<T: JsonSchema>(&mut self, name: String, use_: String) {
        match self.files.iter_mut().find(|(known, ..)| *known == name) {
            Some((_, _, uses)) => uses.push(use_),
            None => {
                let schema = SchemaSettings::draft2020_12()
                    .into_generator()
                    .into_root_schema_for::<T>();
                self.files.push((name, schema, vec![use_]));
            }
        }
    }

    /// A Nexus operation: its input and output types, each as the operation uses it.
    fn operation<I: JsonSchema, O: JsonSchema>(&mut self, operation: Operation<I, O>) {
        self.payload::<I>(format!("{operation} input"));
        self.payload::<O>(format!("{operation} output"));
        self.operations.push(operation.to_string());
    }

    fn into_files(self) -> Vec<SchemaFile> {
        self.files
            .into_iter()
            .map(|(name, mut schema, uses)| {
                schema.insert("title".into(), uses.join(" and ").into());
                let mut contents = serde_json::to_string_pretty(&schema)
                    .unwrap_or_else(|err| format!("{{\"error\":\"{err}\"}}"));
                contents.push('\n');
                SchemaFile {
                    file_name: format!("{name}.json"),
                    contents,
                }
            })
            .collect()
    }
}

/// Every payload of the contract: the Nexus operations' inputs and outputs, from their
/// descriptors, and the workflows' own inputs, results and query answers.
fn gather() -> Files {
    let mut files = Files::default();
    // Every operation descriptor of `operation.rs`; a test checks this list against
    // the services of the team table.
    files.operation(CHECK_ABM_PROGRAM);
    files.operation(RUN_COORDINATOR);
    files.operation(GET_ACCOUNT_SNAPSHOT);
    files.operation(GET_ACCOUNT_HEALTH);
    files.operation(CHECK_NOW);
    // What the workflows take, answer and return, beyond their operations.
    files.payload::<CoordinatorInput>("DrewCoordinator input".to_owned());
    files.payload::<CoordinatorBrief>("DrewCoordinator result".to_owned());
    files.payload_as::<CoordinatorProgress>(
        "CoordinatorProgress".to_owned(),
        "DrewCoordinator `progress` query result".to_owned(),
    );
    files.payload::<CampaignLaunchInput>("CampaignLaunch input".to_owned());
    files.payload::<CampaignLaunchSummary>(
        "CampaignLaunch result and `launchProgress` query result".to_owned(),
    );
    files.payload::<MonitorInput>("AccountHealthMonitor input".to_owned());
    files.payload::<HealthSnapshot>("AccountHealthMonitor `checkNow` update result".to_owned());
    files.payload::<MonitorStatus>("AccountHealthMonitor `health` query result".to_owned());
    files
}

/// Every payload of the contract, one schema each.
pub fn all() -> Vec<SchemaFile> {
    gather().into_files()
}

/// `service/operation` of every operation whose payloads [`all`] describes.
pub fn operations() -> Vec<String> {
    gather().operations
}

/// Writes every schema into `dir`, replacing what is there.
pub fn write_all(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for file in all() {
        std::fs::write(dir.join(&file.file_name), file.contents)?;
    }
    Ok(())
}

/// Names of the files in `dir` that are missing or differ from the types.
pub fn drifted(dir: &Path) -> Vec<String> {
    all()
        .into_iter()
        .filter(|file| {
            std::fs::read_to_string(dir.join(&file.file_name))
                .ok()
                .as_deref()
                != Some(file.contents.as_str())
        })
        .map(|file| file.file_name)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::teams::TEAMS;

    #[test]
    fn every_operation_the_teams_serve_has_its_payloads_described() {
        let described = operations();
        let mut served = Vec::new();
        for service in TEAMS.iter().flat_map(|team| team.services) {
            for operation in service.operations {
                served.push(format!("{}/{operation}", service.name));
            }
        }
        for operation in &served {
            assert!(
                described.contains(operation),
                "{operation} is served but its payloads have no schema: add its descriptor to schema::gather"
            );
        }
        for operation in &described {
            assert!(
                served.contains(operation),
                "{operation} has a schema but no team serves it: add it to its service in the team table"
            );
        }
    }

    #[test]
    fn a_type_used_twice_is_one_file_whose_title_names_both_uses() {
        let files = all();
        let input = files
            .iter()
            .find(|file| file.file_name == "AccountHealthRequest.json")
            .unwrap();
        assert!(
            input
                .contents
                .contains("cs.health.v1/getAccountHealth input and cs.health.v1/checkNow input"),
            "{}",
            input.contents
        );
    }
}
