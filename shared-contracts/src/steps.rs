//! The catalogue of the Drew Coordinator's steps (nine today): ids, titles and order, in one
//! table ([`step_catalogue!`]).
//!
//! The workflow, the `progress` query, the dashboard's timeline, the tests and the
//! `CoordinatorStep` search attribute all read from here; none of them repeats the
//! list or its length.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Declares the catalogue from one table: the `StepId` enum, `STEPS` in run order,
/// and each step's wire id and title. A row is `Variant = ("wire_id", "Title")`
/// under its doc comment.
macro_rules! step_catalogue {
    ($($(#[doc = $doc:literal])* $variant:ident = ($id:literal, $title:literal),)+) => {
        /// One of the coordinator's steps, in run order.
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
        )]
        pub enum StepId {
            $($(#[doc = $doc])* #[serde(rename = $id)] $variant,)+
        }

        /// All the steps, in the order a run goes through them.
        pub const STEPS: [StepId; [$(StepId::$variant),+].len()] = [$(StepId::$variant),+];

        impl StepId {
            /// The step's id as on the wire (`load_account`, ...).
            pub const fn id(self) -> &'static str {
                match self {
                    $(Self::$variant => $id,)+
                }
            }

            /// The step's title as users read it.
            pub const fn title(self) -> &'static str {
                match self {
                    $(Self::$variant => $title,)+
                }
            }
        }
    };
}

step_catalogue! {
    /// 1. Read the account from the GTM database.
    LoadAccount = ("load_account", "Load account"),
    /// 2. Firmographic enrichment.
    EnrichFirmographics = ("enrich_firmographics", "Enrich firmographics"),
    /// 3. Ideal-customer-profile fit score.
    ScoreFit = ("score_fit", "Score ICP fit"),
    /// 4. Intent signals over a time window.
    GatherIntent = ("gather_intent", "Gather intent signals"),
    /// 5. Buying-committee coverage by role.
    MapBuyingCommittee = ("map_buying_committee", "Map buying committee"),
    /// 6. Open-pipeline summary.
    ReviewPipeline = ("review_pipeline", "Review open pipeline"),
    /// 7. Next-best actions from rules.
    PlanNextActions = ("plan_next_actions", "Plan next actions"),
    /// 8. Nexus call to `marketing.abm.v1/checkAbmProgram`.
    MarketingAbmCheck = ("marketing_abm_check", "Marketing ABM check"),
    /// 9. The coordinator brief.
    ComposeBrief = ("compose_brief", "Compose coordinator brief"),
}

/// How a step's result reads in `progress`: one line, e.g. `Fit 82/100 (tier A)`. The
/// coordinator's results implement it in [`crate::summary`].
pub trait StepSummary {
    /// The summary of a completed step.
    fn summary(&self) -> String;
}

/// A step's result on the step's own clock: when its work started and finished, and
/// how the result reads in one line.
///
/// The coordinator runs its steps as local activities, inside one workflow task, where
/// workflow time stands still; the live timeline takes each step's times from here.
/// The result is recorded in the run's history (the local activity's marker), so
/// whoever reads the history, the dashboard or the Web UI, sees each step's times and
/// summary without a worker and without knowing the step's result type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Timed<T> {
    /// What the step produced.
    pub value: T,
    /// When its work started.
    pub started_at: DateTime<Utc>,
    /// When its work finished.
    pub finished_at: DateTime<Utc>,
    /// The result in one line ([`StepSummary`]); absent in runs recorded before it was
    /// added.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
}

impl<T: StepSummary> Timed<T> {
    /// `value`, produced between `started_at` and `finished_at`, with its summary.
    pub fn new(value: T, started_at: DateTime<Utc>, finished_at: DateTime<Utc>) -> Self {
        Self {
            summary: Some(value.summary()),
            value,
            started_at,
            finished_at,
        }
    }
}

/// A step's result as a run started before [`Timed`] reads it: runs recorded then got
/// the bare value, and a run in flight across the upgrade may get either.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum TimedOrBare<T> {
    /// The result with its times.
    Timed(Timed<T>),
    /// The bare result.
    Bare(T),
}

impl<T> TimedOrBare<T> {
    /// The result, whichever way it came.
    pub fn into_value(self) -> T {
        match self {
            Self::Timed(timed) => timed.value,
            Self::Bare(value) => value,
        }
    }
}

/// In the published schema a step id is a snake_case string, not an enumeration: the
/// steps a run has, in order, are the data of the `progress` query itself. A new step
/// therefore changes no schema, and a consumer validating against today's schema
/// keeps accepting tomorrow's runs.
impl JsonSchema for StepId {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "StepId".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A step's wire id (`load_account`, ...): snake_case. The steps of a run, in order, are the entries of the `progress` result.",
            "type": "string",
            "pattern": "^[a-z][a-z0-9_]*$"
        })
    }
}

impl StepId {
    /// The step's 1-based position in a run.
    pub fn number(self) -> usize {
        STEPS
            .iter()
            .position(|step| *step == self)
            .map_or(0, |index| index + 1)
    }

    /// The step's 0-based index in [`STEPS`] (and in a `progress` result).
    pub fn index(self) -> usize {
        self.number() - 1
    }

    /// Looks a step up by its wire id.
    pub fn from_id(id: &str) -> Option<Self> {
        STEPS.into_iter().find(|step| step.id() == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_matches_the_contract_in_order() {
        let expected = [
            ("load_account", "Load account"),
            ("enrich_firmographics", "Enrich firmographics"),
            ("score_fit", "Score ICP fit"),
            ("gather_intent", "Gather intent signals"),
            ("map_buying_committee", "Map buying committee"),
            ("review_pipeline", "Review open pipeline"),
            ("plan_next_actions", "Plan next actions"),
            ("marketing_abm_check", "Marketing ABM check"),
            ("compose_brief", "Compose coordinator brief"),
        ];
        let actual: Vec<_> = STEPS.iter().map(|s| (s.id(), s.title())).collect();
        assert_eq!(actual, expected);
        for (index, step) in STEPS.iter().enumerate() {
            assert_eq!(step.number(), index + 1);
        }
    }

    #[test]
    fn serde_uses_the_wire_id() {
        for step in STEPS {
            assert_eq!(
                serde_json::to_string(&step).unwrap(),
                format!("\"{}\"", step.id())
            );
            assert_eq!(StepId::from_id(step.id()), Some(step));
            assert!(
                step.id()
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "{} is not snake_case, as the schema says",
                step.id()
            );
        }
        assert_eq!(StepId::from_id("load"), None);
    }
}
