//! Steps 7 and 9 as pure functions: next-best actions from rules, and the
//! recommendation that brings Marketing's ABM status into them.
//!
//! # Next actions (step 7)
//!
//! Rules, checked in this order; each adds one action, numbered by priority:
//!
//! 1. An open opportunity in `proposal` or `negotiation` closing within 30 days →
//!    close it.
//! 2. No known economic buyer while there is open pipeline or `high`/`medium` intent →
//!    find and engage the economic buyer.
//! 3. No champion → develop one among the known contacts.
//! 4. `high` or `medium` intent and no open pipeline → open an opportunity on the top
//!    topic.
//! 5. Committee coverage below 60% → map the missing roles.
//! 6. Fit tier `D` → deprioritise; nurture only.
//! 7. Open pipeline and nothing closing soon → advance the furthest opportunity.
//! 8. Nothing else applies → keep a light nurture cadence.
//!
//! # ABM integration (step 9)
//!
//! | Marketing says | what sales does |
//! | --- | --- |
//! | active, touches remaining > 0 | coordinate: align with the program's remaining touches instead of cold outreach (a new top action) |
//! | active, no touches left | follow up now on the program's engagement |
//! | paused | sales leads; tell Marketing before any outreach that would clash with a restart |
//! | completed | use the program's engagement as warm context |
//! | none | sales-led outreach, as the next actions say |
//! | unavailable | proceed, but confirm ABM status with Marketing before heavy outreach |

use chrono::NaiveDate;
use seed_data::model::OpportunityStage;
use shared_contracts::abm::AbmStatus;
use shared_contracts::coordinator::{
    AbmOutcome, BuyingCommittee, FitScore, IntentSummary, NextAction, PipelineSummary,
};

use crate::store::OpportunityRecord;

/// Everything step 7 looks at.
#[derive(Debug, Clone)]
pub struct AccountPicture<'a> {
    /// Account display name.
    pub account_name: &'a str,
    /// Step 3.
    pub fit: &'a FitScore,
    /// Step 4.
    pub intent: &'a IntentSummary,
    /// Step 5.
    pub committee: &'a BuyingCommittee,
    /// Step 6.
    pub pipeline: &'a PipelineSummary,
    /// The open opportunities behind step 6, for closing dates.
    pub opportunities: &'a [OpportunityRecord],
    /// The run's date, for "closing within 30 days".
    pub today: NaiveDate,
}

/// Step 7's rules (see the module docs).
pub fn next_actions(picture: &AccountPicture<'_>) -> Vec<NextAction> {
    let mut actions: Vec<(String, String)> = Vec::new();
    let warm_intent = matches!(picture.intent.level.as_str(), "high" | "medium");
    let has_role = |role: &str| picture.committee.covered_roles.iter().any(|r| r == role);

    let closing_soon = picture
        .opportunities
        .iter()
        .filter(|o| {
            matches!(
                o.stage,
                OpportunityStage::Proposal | OpportunityStage::Negotiation
            ) && (o.close_date - picture.today).num_days() <= 30
        })
        .min_by_key(|o| o.close_date);
    if let Some(opportunity) = closing_soon {
        actions.push((
            format!("Close \"{}\"", opportunity.name),
            format!(
                "in {} and due to close on {}",
                opportunity.stage.as_str(),
                opportunity.close_date
            ),
        ));
    }
    if !has_role("economic_buyer") && (picture.pipeline.open_count > 0 || warm_intent) {
        actions.push((
            "Find and engage the economic buyer".to_owned(),
            "no budget holder is known while the account is active".to_owned(),
        ));
    }
    if !has_role("champion") {
        actions.push((
            "Develop a champion".to_owned(),
            "no known contact is selling for us internally".to_owned(),
        ));
    }
    if warm_intent && picture.pipeline.open_count == 0 {
        let topic = picture
            .intent
            .top_topics
            .first()
            .map_or("their research".to_owned(), |t| format!("\"{t}\""));
        actions.push((
            format!("Open an opportunity around {topic}"),
            format!(
                "{} intent ({} signals in {} days) and no open pipeline",
                picture.intent.level, picture.intent.signal_count, picture.intent.window_days
            ),
        ));
    }
    if picture.committee.coverage_percent < 60 {
        actions.push((
            "Map the rest of the buying committee".to_owned(),
            format!("missing: {}", picture.committee.missing_roles.join(", ")),
        ));
    }
    if picture.fit.tier == "D" {
        actions.push((
            "Deprioritise: nurture only".to_owned(),
            format!("ICP fit {} (tier D)", picture.fit.score),
        ));
    }
    if closing_soon.is_none()
        && let Some(furthest) = picture
            .opportunities
            .iter()
            .filter(|o| o.stage.is_open())
            .max_by_key(|o| o.stage)
    {
        actions.push((
            format!(
                "Advance \"{}\" past {}",
                furthest.name,
                furthest.stage.as_str()
            ),
            format!(
                "{} open opportunities worth ${} in pipeline; the next expected close is {}",
                picture.pipeline.open_count,
                shared_contracts::summary::thousands(picture.pipeline.total_amount_usd),
                picture
                    .pipeline
                    .next_close_date
                    .as_deref()
                    .unwrap_or("not set")
            ),
        ));
    }
    if actions.is_empty() {
        actions.push((
            "Keep a light nurture cadence".to_owned(),
            "no rule calls for more right now".to_owned(),
        ));
    }
    numbered(actions)
}

fn numbered(actions: Vec<(String, String)>) -> Vec<NextAction> {
    actions
        .into_iter()
        .enumerate()
        .map(|(index, (action, reason))| NextAction {
            priority: index as u32 + 1,
            action,
            reason,
        })
        .collect()
}

/// Step 9: the recommendation, and the next actions adjusted for Marketing's answer.
pub fn recommend(
    account_name: &str,
    fit: &FitScore,
    intent: &IntentSummary,
    actions: &[NextAction],
    abm: &AbmOutcome,
) -> (String, Vec<NextAction>) {
    let base = format!(
        "{account_name}: ICP fit {} (tier {}), {} intent.",
        fit.score, fit.tier, intent.level
    );
    let mut adjusted: Vec<(String, String)> = actions
        .iter()
        .map(|a| (a.action.clone(), a.reason.clone()))
        .collect();
    let abm_line = match abm {
        AbmOutcome::Available(answer) => {
            let program = answer.program_name.as_deref().unwrap_or("the program");
            match answer.status {
                AbmStatus::Active if answer.touches_remaining > 0 => {
                    adjusted.insert(
                        0,
                        (
                            format!("Coordinate with Marketing on {program}"),
                            format!(
                                "{} marketing touches remain; align outreach with them instead of cold outreach",
                                answer.touches_remaining
                            ),
                        ),
                    );
                    format!(
                        "Marketing is running {program} for this account with {} touches remaining: coordinate outreach with those touches rather than reaching out cold.",
                        answer.touches_remaining
                    )
                }
                AbmStatus::Active => format!(
                    "{program} has delivered all its touches: follow up now, while the account is warm."
                ),
                AbmStatus::Paused => format!(
                    "{program} is paused: sales leads, and tells Marketing before outreach that could clash with a restart."
                ),
                AbmStatus::Completed => format!(
                    "{program} has completed: use its engagement as warm context in outreach."
                ),
                AbmStatus::None => {
                    "The account is in no ABM program: sales-led outreach, as planned.".to_owned()
                }
            }
        }
        AbmOutcome::Unavailable(unavailable) => {
            adjusted.push((
                "Confirm ABM status with Marketing".to_owned(),
                format!("Marketing did not answer: {}", unavailable.reason),
            ));
            format!(
                "Marketing's ABM status is unknown ({}): proceed, but confirm with Marketing before heavy outreach.",
                unavailable.reason
            )
        }
    };
    let first = adjusted
        .first()
        .map_or(String::new(), |(action, _)| format!(" First: {action}."));
    (format!("{base} {abm_line}{first}"), numbered(adjusted))
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared_contracts::AccountId;
    use shared_contracts::abm::AbmCheckResponse;

    fn fit(score: u32, tier: &str) -> FitScore {
        FitScore {
            score,
            tier: tier.into(),
            factors: vec![],
        }
    }

    fn intent(level: &str, count: u32) -> IntentSummary {
        IntentSummary {
            window_days: 30,
            signal_count: count,
            score: 0.0,
            level: level.into(),
            top_topics: vec!["revenue intelligence".into()],
            latest_signal_at: None,
        }
    }

    fn committee(roles: &[&str]) -> BuyingCommittee {
        let all = [
            "economic_buyer",
            "champion",
            "technical_evaluator",
            "procurement",
            "end_user",
        ];
        BuyingCommittee {
            covered_roles: roles.iter().map(|r| (*r).to_owned()).collect(),
            missing_roles: all
                .iter()
                .filter(|r| !roles.contains(r))
                .map(|r| (*r).to_owned())
                .collect(),
            coverage_percent: (roles.len() * 20) as u32,
            members: vec![],
        }
    }

    fn pipeline(open: u32) -> PipelineSummary {
        PipelineSummary {
            open_count: open,
            total_amount_usd: 0,
            weighted_amount_usd: 0,
            next_close_date: None,
            furthest_stage: None,
        }
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 6, 1).unwrap()
    }

    #[test]
    fn rules_fire_in_priority_order() {
        let opportunity = OpportunityRecord {
            id: "o1".into(),
            name: "Acme — Platform".into(),
            stage: OpportunityStage::Proposal,
            amount_usd: 1,
            close_date: NaiveDate::from_ymd_opt(2026, 6, 20).unwrap(),
        };
        let (fit, intent, committee, pipeline) = (
            fit(50, "C"),
            intent("high", 6),
            committee(&["technical_evaluator"]),
            pipeline(1),
        );
        let actions = next_actions(&AccountPicture {
            account_name: "Acme",
            fit: &fit,
            intent: &intent,
            committee: &committee,
            pipeline: &pipeline,
            opportunities: std::slice::from_ref(&opportunity),
            today: today(),
        });
        let names: Vec<_> = actions.iter().map(|a| a.action.as_str()).collect();
        assert_eq!(
            names,
            [
                "Close \"Acme — Platform\"",
                "Find and engage the economic buyer",
                "Develop a champion",
                "Map the rest of the buying committee"
            ]
        );
        assert_eq!(
            actions.iter().map(|a| a.priority).collect::<Vec<_>>(),
            [1, 2, 3, 4]
        );
    }

    #[test]
    fn warm_intent_without_pipeline_opens_an_opportunity_and_cold_accounts_nurture() {
        let all = [
            "economic_buyer",
            "champion",
            "technical_evaluator",
            "procurement",
            "end_user",
        ];
        let (f, i, c, p) = (
            fit(90, "A"),
            intent("medium", 3),
            committee(&all),
            pipeline(0),
        );
        let picture = AccountPicture {
            account_name: "A",
            fit: &f,
            intent: &i,
            committee: &c,
            pipeline: &p,
            opportunities: &[],
            today: today(),
        };
        assert_eq!(
            next_actions(&picture)[0].action,
            "Open an opportunity around \"revenue intelligence\""
        );
        let cold = intent("none", 0);
        let quiet = next_actions(&AccountPicture {
            intent: &cold,
            ..picture.clone()
        });
        assert_eq!(quiet.len(), 1);
        assert_eq!(quiet[0].action, "Keep a light nurture cadence");
        let weak = fit(20, "D");
        assert!(
            next_actions(&AccountPicture {
                fit: &weak,
                ..picture
            })
            .iter()
            .any(|a| a.action == "Deprioritise: nurture only")
        );
    }

    #[test]
    fn open_pipeline_without_a_close_in_sight_is_advanced() {
        let all = [
            "economic_buyer",
            "champion",
            "technical_evaluator",
            "procurement",
            "end_user",
        ];
        let later = |stage, name: &str| OpportunityRecord {
            id: name.into(),
            name: name.into(),
            stage,
            amount_usd: 100_000,
            close_date: NaiveDate::from_ymd_opt(2026, 9, 1).unwrap(),
        };
        let opportunities = [
            later(OpportunityStage::Discovery, "Small"),
            later(OpportunityStage::Proposal, "Platform"),
        ];
        let mut p = pipeline(2);
        p.total_amount_usd = 200_000;
        p.next_close_date = Some("2026-09-01".into());
        let (f, i, c) = (fit(90, "A"), intent("high", 5), committee(&all));
        let actions = next_actions(&AccountPicture {
            account_name: "A",
            fit: &f,
            intent: &i,
            committee: &c,
            pipeline: &p,
            opportunities: &opportunities,
            today: today(),
        });
        assert_eq!(actions.len(), 1);
        assert_eq!(actions[0].action, "Advance \"Platform\" past proposal");
        assert_eq!(
            actions[0].reason,
            "2 open opportunities worth $200,000 in pipeline; the next expected close is 2026-09-01"
        );
    }

    fn answer(status: AbmStatus, touches: u32) -> AbmOutcome {
        AbmOutcome::Available(AbmCheckResponse::enrolled(
            AccountId::parse("acme-corp").unwrap(),
            "Enterprise Expansion Q1".into(),
            status,
            touches,
        ))
    }

    #[test]
    fn an_active_program_with_touches_left_means_coordinating_first() {
        let actions = vec![NextAction {
            priority: 1,
            action: "Develop a champion".into(),
            reason: "r".into(),
        }];
        let (text, adjusted) = recommend(
            "Acme",
            &fit(90, "A"),
            &intent("high", 6),
            &actions,
            &answer(AbmStatus::Active, 3),
        );
        assert!(text.contains("Enterprise Expansion Q1"), "{text}");
        assert!(text.contains("3 touches remaining"), "{text}");
        assert!(text.contains("rather than reaching out cold"), "{text}");
        assert_eq!(
            adjusted[0].action,
            "Coordinate with Marketing on Enterprise Expansion Q1"
        );
        assert_eq!(adjusted[1].action, "Develop a champion");
        assert_eq!(adjusted[1].priority, 2);
    }

    #[test]
    fn every_abm_status_changes_the_recommendation() {
        let f = fit(70, "B");
        let i = intent("low", 1);
        let texts: Vec<String> = [
            answer(AbmStatus::Active, 0),
            answer(AbmStatus::Paused, 2),
            answer(AbmStatus::Completed, 0),
            AbmOutcome::Available(AbmCheckResponse::not_enrolled(
                AccountId::parse("x").unwrap(),
            )),
            AbmOutcome::unavailable("timed out after 10s"),
        ]
        .iter()
        .map(|abm| recommend("X", &f, &i, &[], abm).0)
        .collect();
        assert!(texts[0].contains("follow up now"));
        assert!(texts[1].contains("is paused"));
        assert!(texts[2].contains("has completed"));
        assert!(texts[3].contains("in no ABM program"));
        assert!(texts[4].contains("unknown (timed out after 10s)"));
        let (_, adjusted) = recommend("X", &f, &i, &[], &AbmOutcome::unavailable("down"));
        assert_eq!(adjusted[0].action, "Confirm ABM status with Marketing");
    }
}
