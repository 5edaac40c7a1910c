//! JSON Schema (draft 2020-12) of every payload, generated from the types.
//!
//! The generated files are checked in under `shared-contracts/schema/` so that teams
//! calling the services from Go, Python or TypeScript can read or generate code from
//! them. A test fails when they drift from the types; `cargo xtask schema` rewrites
//! them.

use std::path::Path;

use schemars::{JsonSchema, Schema, generate::SchemaSettings};

use crate::abm::{AbmCheckRequest, AbmCheckResponse};
use crate::accounts::{AccountSnapshot, AccountSnapshotRequest};
use crate::campaign::{CampaignLaunchInput, CampaignLaunchSummary};
use crate::coordinator::{CoordinatorBrief, CoordinatorInput, CoordinatorProgress};
use crate::health::{AccountHealth, AccountHealthRequest};
use crate::monitor::{HealthSnapshot, MonitorInput, MonitorStatus};

/// One schema file: its name under `schema/`, and what it describes.
pub struct SchemaFile {
    /// File name, e.g. `AbmCheckRequest.json`.
    pub file_name: &'static str,
    /// The pretty-printed schema, ending in a newline.
    pub contents: String,
}

fn render<T: JsonSchema>(file_name: &'static str, title: &str) -> SchemaFile {
    let mut schema: Schema = SchemaSettings::draft2020_12()
        .into_generator()
        .into_root_schema_for::<T>();
    schema.insert("title".into(), title.into());
    let mut contents = serde_json::to_string_pretty(&schema)
        .unwrap_or_else(|err| format!("{{\"error\":\"{err}\"}}"));
    contents.push('\n');
    SchemaFile {
        file_name,
        contents,
    }
}

/// Every payload of the contract, one schema each.
pub fn all() -> Vec<SchemaFile> {
    vec![
        render::<AbmCheckRequest>(
            "AbmCheckRequest.json",
            "marketing.abm.v1/checkAbmProgram input",
        ),
        render::<AbmCheckResponse>(
            "AbmCheckResponse.json",
            "marketing.abm.v1/checkAbmProgram output",
        ),
        render::<CoordinatorInput>(
            "CoordinatorInput.json",
            "DrewCoordinator input and gtm.coordinator.v1/runCoordinator input",
        ),
        render::<CoordinatorBrief>(
            "CoordinatorBrief.json",
            "DrewCoordinator result and gtm.coordinator.v1/runCoordinator output",
        ),
        render::<CoordinatorProgress>(
            "CoordinatorProgress.json",
            "DrewCoordinator `progress` query result",
        ),
        render::<CampaignLaunchInput>("CampaignLaunchInput.json", "CampaignLaunch input"),
        render::<CampaignLaunchSummary>(
            "CampaignLaunchSummary.json",
            "CampaignLaunch result and `launchProgress` query result",
        ),
        render::<AccountSnapshotRequest>(
            "AccountSnapshotRequest.json",
            "gtm.accounts.v1/getAccountSnapshot input",
        ),
        render::<AccountSnapshot>(
            "AccountSnapshot.json",
            "gtm.accounts.v1/getAccountSnapshot output",
        ),
        render::<AccountHealthRequest>(
            "AccountHealthRequest.json",
            "cs.health.v1/getAccountHealth and cs.health.v1/checkNow input",
        ),
        render::<AccountHealth>("AccountHealth.json", "cs.health.v1/getAccountHealth output"),
        render::<MonitorInput>("MonitorInput.json", "AccountHealthMonitor input"),
        render::<HealthSnapshot>(
            "HealthSnapshot.json",
            "AccountHealthMonitor `checkNow` update result and cs.health.v1/checkNow output",
        ),
        render::<MonitorStatus>(
            "MonitorStatus.json",
            "AccountHealthMonitor `health` query result",
        ),
    ]
}

/// Writes every schema into `dir`, replacing what is there.
pub fn write_all(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for file in all() {
        std::fs::write(dir.join(file.file_name), file.contents)?;
    }
    Ok(())
}

/// Names of the files in `dir` that are missing or differ from the types.
pub fn drifted(dir: &Path) -> Vec<&'static str> {
    all()
        .into_iter()
        .filter(|file| {
            std::fs::read_to_string(dir.join(file.file_name))
                .ok()
                .as_deref()
                != Some(file.contents.as_str())
        })
        .map(|file| file.file_name)
        .collect()
}
