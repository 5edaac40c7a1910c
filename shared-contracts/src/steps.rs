//! The catalogue of the Drew Coordinator's nine steps: ids, titles and order.
//!
//! The workflow, the `progress` query, the dashboard's timeline and the
//! `CoordinatorStep` search attribute all read from here.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One of the coordinator's nine steps, in run order.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum StepId {
    /// 1. Read the account from the GTM database.
    LoadAccount,
    /// 2. Firmographic enrichment.
    EnrichFirmographics,
    /// 3. Ideal-customer-profile fit score.
    ScoreFit,
    /// 4. Intent signals over a time window.
    GatherIntent,
    /// 5. Buying-committee coverage by role.
    MapBuyingCommittee,
    /// 6. Open-pipeline summary.
    ReviewPipeline,
    /// 7. Next-best actions from rules.
    PlanNextActions,
    /// 8. Nexus call to `marketing.abm.v1/checkAbmProgram`.
    MarketingAbmCheck,
    /// 9. The coordinator brief.
    ComposeBrief,
}

/// All nine steps, in the order a run goes through them.
pub const STEPS: [StepId; 9] = [
    StepId::LoadAccount,
    StepId::EnrichFirmographics,
    StepId::ScoreFit,
    StepId::GatherIntent,
    StepId::MapBuyingCommittee,
    StepId::ReviewPipeline,
    StepId::PlanNextActions,
    StepId::MarketingAbmCheck,
    StepId::ComposeBrief,
];

impl StepId {
    /// The step's id as on the wire (`load_account`, ...).
    pub const fn id(self) -> &'static str {
        match self {
            Self::LoadAccount => "load_account",
            Self::EnrichFirmographics => "enrich_firmographics",
            Self::ScoreFit => "score_fit",
            Self::GatherIntent => "gather_intent",
            Self::MapBuyingCommittee => "map_buying_committee",
            Self::ReviewPipeline => "review_pipeline",
            Self::PlanNextActions => "plan_next_actions",
            Self::MarketingAbmCheck => "marketing_abm_check",
            Self::ComposeBrief => "compose_brief",
        }
    }

    /// The step's title as users read it.
    pub const fn title(self) -> &'static str {
        match self {
            Self::LoadAccount => "Load account",
            Self::EnrichFirmographics => "Enrich firmographics",
            Self::ScoreFit => "Score ICP fit",
            Self::GatherIntent => "Gather intent signals",
            Self::MapBuyingCommittee => "Map buying committee",
            Self::ReviewPipeline => "Review open pipeline",
            Self::PlanNextActions => "Plan next actions",
            Self::MarketingAbmCheck => "Marketing ABM check",
            Self::ComposeBrief => "Compose coordinator brief",
        }
    }

    /// The step's 1-based position in a run.
    pub fn number(self) -> usize {
        STEPS
            .iter()
            .position(|step| *step == self)
            .map_or(0, |index| index + 1)
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
        }
        assert_eq!(StepId::from_id("load"), None);
    }
}
