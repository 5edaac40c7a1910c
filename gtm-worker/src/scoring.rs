//! Steps 2 to 6 as pure functions: firmographic enrichment, the ICP fit score, intent
//! aggregation, buying-committee coverage and the open-pipeline summary.
//!
//! Everything here is deterministic and I/O-free, so each rule is unit-tested below
//! and a reader can check a brief's numbers by hand.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use seed_data::model::{ContactRole, OpportunityStage};
use serde::{Deserialize, Serialize};
use shared_contracts::coordinator::{
    BuyingCommittee, CommitteeMember, FitFactor, FitScore, IntentSummary, PipelineSummary,
};
use shared_contracts::summary::{thousands, usd_short};

use crate::store::{AccountRecord, ContactRecord, IntentSignalRecord, OpportunityRecord};

/// Step 2's result: the account's firmographics, with derived segments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Firmographics {
    /// Industry.
    pub industry: String,
    /// Head count.
    pub employees: i64,
    /// Annual revenue, whole US dollars.
    pub annual_revenue_usd: i64,
    /// Sales region.
    pub region: String,
    /// Known technologies.
    pub tech_stack: Vec<String>,
    /// `enterprise` (1,000+ employees), `mid_market` (200-999) or `smb`.
    pub segment: String,
    /// Revenue per employee, whole US dollars (0 when head count is unknown).
    pub revenue_per_employee_usd: i64,
}

/// Derives segments from the stored account (the GTM database is the source; a
/// third-party enrichment provider would plug in here).
pub fn enrich(account: &AccountRecord) -> Firmographics {
    let segment = match account.employees {
        1000.. => "enterprise",
        200..=999 => "mid_market",
        _ => "smb",
    };
    Firmographics {
        industry: account.industry.clone(),
        employees: account.employees,
        annual_revenue_usd: account.annual_revenue_usd,
        region: account.region.clone(),
        tech_stack: account.tech_stack.clone(),
        segment: segment.to_owned(),
        revenue_per_employee_usd: if account.employees > 0 {
            account.annual_revenue_usd / account.employees
        } else {
            0
        },
    }
}

/// Industries we sell best into, and those we sell well into.
const CORE_INDUSTRIES: [&str; 4] = [
    "Software",
    "Financial Services",
    "Manufacturing",
    "Healthcare",
];
const ADJACENT_INDUSTRIES: [&str; 3] = ["Retail", "Logistics", "Telecommunications"];

/// Technologies our product integrates with: each one makes adoption easier.
const COMPLEMENTARY_TECH: [&str; 6] = [
    "salesforce",
    "hubspot",
    "snowflake",
    "databricks",
    "segment",
    "looker",
];

/// The ICP fit score, 0-100, as the sum of five factors:
///
/// | factor | points |
/// | --- | --- |
/// | industry | 30 core (Software, Financial Services, Manufacturing, Healthcare), 18 adjacent (Retail, Logistics, Telecommunications), 6 other |
/// | employees | 25 at 1,000+, 18 at 200-999, 10 at 50-199, 4 below |
/// | revenue | 20 at $500M+, 15 at $100M-500M, 8 at $20M-100M, 3 below |
/// | region | 10 North America, 8 EMEA, 6 APAC, 4 other |
/// | tech stack | 5 per complementary technology (Salesforce, HubSpot, Snowflake, Databricks, Segment, Looker), at most 15 |
///
/// Tier: A at 80+, B at 60-79, C at 40-59, D below 40.
pub fn fit_score(firmographics: &Firmographics) -> FitScore {
    let industry = if CORE_INDUSTRIES.contains(&firmographics.industry.as_str()) {
        (30, "core industry")
    } else if ADJACENT_INDUSTRIES.contains(&firmographics.industry.as_str()) {
        (18, "adjacent industry")
    } else {
        (6, "outside our core industries")
    };
    let employees = match firmographics.employees {
        1000.. => 25,
        200..=999 => 18,
        50..=199 => 10,
        _ => 4,
    };
    let revenue = match firmographics.annual_revenue_usd {
        500_000_000.. => 20,
        100_000_000..=499_999_999 => 15,
        20_000_000..=99_999_999 => 8,
        _ => 3,
    };
    let region = match firmographics.region.as_str() {
        "North America" => 10,
        "EMEA" => 8,
        "APAC" => 6,
        _ => 4,
    };
    let complementary: Vec<&str> = firmographics
        .tech_stack
        .iter()
        .map(String::as_str)
        .filter(|tech| COMPLEMENTARY_TECH.contains(tech))
        .collect();
    let tech = (5 * complementary.len() as u32).min(15);

    let factors = vec![
        factor(
            "industry",
            industry.0,
            30,
            format!("{} ({})", firmographics.industry, industry.1),
        ),
        factor(
            "employees",
            employees,
            25,
            format!("{} employees", thousands(firmographics.employees)),
        ),
        factor(
            "revenue",
            revenue,
            20,
            format!(
                "{} annual revenue",
                usd_short(firmographics.annual_revenue_usd)
            ),
        ),
        factor("region", region, 10, firmographics.region.clone()),
        factor(
            "techStack",
            tech,
            15,
            if complementary.is_empty() {
                "no complementary technology".to_owned()
            } else {
                format!("uses {}", complementary.join(", "))
            },
        ),
    ];
    let score = factors.iter().map(|f| f.points).sum();
    FitScore {
        score,
        tier: tier(score).to_owned(),
        factors,
    }
}

fn factor(name: &str, points: u32, max_points: u32, detail: String) -> FitFactor {
    FitFactor {
        name: name.to_owned(),
        points,
        max_points,
        detail,
    }
}

/// The tier letter of a fit score.
pub fn tier(score: u32) -> &'static str {
    match score {
        80.. => "A",
        60..=79 => "B",
        40..=59 => "C",
        _ => "D",
    }
}

/// The intent window, in days back from the run.
pub const INTENT_WINDOW_DAYS: u32 = 30;
/// A signal's weight halves every this many days.
pub const INTENT_HALF_LIFE_DAYS: f64 = 14.0;

/// Intent over the last [`INTENT_WINDOW_DAYS`] before `as_of`.
///
/// Each signal counts its strength (1-5) times a recency decay of
/// `0.5^(age in days / 14)`. Level: `high` at 10+, `medium` at 4+, `low` above 0,
/// `none` with no signal in the window. Top topics: the three most frequent (ties by
/// weight, then name).
pub fn intent(signals: &[IntentSignalRecord], as_of: DateTime<Utc>) -> IntentSummary {
    let window_start = as_of - chrono::Duration::days(i64::from(INTENT_WINDOW_DAYS));
    let in_window: Vec<&IntentSignalRecord> = signals
        .iter()
        .filter(|s| s.observed_at > window_start && s.observed_at <= as_of)
        .collect();
    let mut topics: BTreeMap<&str, (u32, f64)> = BTreeMap::new();
    let mut score = 0.0;
    for signal in &in_window {
        let age_days = (as_of - signal.observed_at).num_seconds() as f64 / 86_400.0;
        let weight = signal.strength as f64 * 0.5_f64.powf(age_days / INTENT_HALF_LIFE_DAYS);
        score += weight;
        let entry = topics.entry(signal.topic.as_str()).or_insert((0, 0.0));
        entry.0 += 1;
        entry.1 += weight;
    }
    let mut ranked: Vec<(&str, (u32, f64))> = topics.into_iter().collect();
    ranked.sort_by(|a, b| {
        b.1.0
            .cmp(&a.1.0)
            .then(b.1.1.total_cmp(&a.1.1))
            .then(a.0.cmp(b.0))
    });
    let score = (score * 10.0).round() / 10.0;
    IntentSummary {
        window_days: INTENT_WINDOW_DAYS,
        signal_count: in_window.len() as u32,
        score,
        level: intent_level(score, in_window.len()).to_owned(),
        top_topics: ranked
            .iter()
            .take(3)
            .map(|(t, _)| (*t).to_owned())
            .collect(),
        latest_signal_at: in_window.iter().map(|s| s.observed_at).max(),
    }
}

fn intent_level(score: f64, count: usize) -> &'static str {
    if count == 0 {
        "none"
    } else if score >= 10.0 {
        "high"
    } else if score >= 4.0 {
        "medium"
    } else {
        "low"
    }
}

/// Coverage of the five buying-committee roles by known contacts.
pub fn buying_committee(contacts: &[ContactRecord]) -> BuyingCommittee {
    let covered: Vec<String> = ContactRole::ALL
        .iter()
        .filter(|role| contacts.iter().any(|c| c.role == **role))
        .map(|role| role.as_str().to_owned())
        .collect();
    let missing: Vec<String> = ContactRole::ALL
        .iter()
        .filter(|role| !contacts.iter().any(|c| c.role == **role))
        .map(|role| role.as_str().to_owned())
        .collect();
    let mut members: Vec<CommitteeMember> = contacts
        .iter()
        .map(|c| CommitteeMember {
            name: c.name.clone(),
            title: c.title.clone(),
            role: c.role.as_str().to_owned(),
        })
        .collect();
    members.sort_by_key(|m| {
        ContactRole::parse(&m.role).map_or(usize::MAX, |r| {
            ContactRole::ALL
                .iter()
                .position(|x| *x == r)
                .unwrap_or(usize::MAX)
        })
    });
    BuyingCommittee {
        coverage_percent: (covered.len() * 100 / ContactRole::ALL.len()) as u32,
        covered_roles: covered,
        missing_roles: missing,
        members,
    }
}

/// Win probability used to weight an open opportunity, by stage.
pub fn stage_probability(stage: OpportunityStage) -> f64 {
    match stage {
        OpportunityStage::Discovery => 0.10,
        OpportunityStage::Qualification => 0.25,
        OpportunityStage::Proposal => 0.50,
        OpportunityStage::Negotiation => 0.75,
        OpportunityStage::ClosedWon | OpportunityStage::ClosedLost => 0.0,
    }
}

/// Open opportunities: count, total, stage-weighted total (see [`stage_probability`]),
/// earliest close date, furthest stage.
pub fn pipeline(opportunities: &[OpportunityRecord]) -> PipelineSummary {
    let open: Vec<&OpportunityRecord> =
        opportunities.iter().filter(|o| o.stage.is_open()).collect();
    let weighted: f64 = open
        .iter()
        .map(|o| o.amount_usd as f64 * stage_probability(o.stage))
        .sum();
    PipelineSummary {
        open_count: open.len() as u32,
        total_amount_usd: open.iter().map(|o| o.amount_usd).sum(),
        weighted_amount_usd: weighted.round() as i64,
        next_close_date: open
            .iter()
            .map(|o| o.close_date)
            .min()
            .map(|d| d.to_string()),
        furthest_stage: open
            .iter()
            .map(|o| o.stage)
            .max()
            .map(|s| s.as_str().to_owned()),
    }
}

/// A stored date as a date, if it is one.
pub fn parse_date(value: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(value, "%Y-%m-%d").ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(
        industry: &str,
        employees: i64,
        revenue: i64,
        region: &str,
        tech: &[&str],
    ) -> AccountRecord {
        AccountRecord {
            id: "x".into(),
            name: "X".into(),
            domain: "x.example".into(),
            industry: industry.into(),
            employees,
            annual_revenue_usd: revenue,
            country: "US".into(),
            region: region.into(),
            tech_stack: tech.iter().map(|t| (*t).to_owned()).collect(),
            owner: "O".into(),
        }
    }

    fn at(days_ago: i64, now: DateTime<Utc>) -> DateTime<Utc> {
        now - chrono::Duration::days(days_ago)
    }

    #[test]
    fn enrichment_segments_by_head_count() {
        assert_eq!(
            enrich(&account("Retail", 4200, 910_000_000, "EMEA", &[])).segment,
            "enterprise"
        );
        assert_eq!(
            enrich(&account("Retail", 200, 1, "EMEA", &[])).segment,
            "mid_market"
        );
        assert_eq!(
            enrich(&account("Retail", 199, 1, "EMEA", &[])).segment,
            "smb"
        );
        assert_eq!(
            enrich(&account("Retail", 0, 5, "EMEA", &[])).revenue_per_employee_usd,
            0
        );
        assert_eq!(
            enrich(&account("Retail", 10, 1_000_000, "EMEA", &[])).revenue_per_employee_usd,
            100_000
        );
    }

    #[test]
    fn fit_score_adds_up_the_documented_factors() {
        let best = fit_score(&enrich(&account(
            "Manufacturing",
            4200,
            910_000_000,
            "North America",
            &["salesforce", "snowflake", "looker", "aws"],
        )));
        assert_eq!(
            best.factors.iter().map(|f| f.points).collect::<Vec<_>>(),
            [30, 25, 20, 10, 15]
        );
        assert_eq!((best.score, best.tier.as_str()), (100, "A"));

        let weak = fit_score(&enrich(&account(
            "Education",
            30,
            2_000_000,
            "LATAM",
            &["aws"],
        )));
        assert_eq!(
            weak.factors.iter().map(|f| f.points).collect::<Vec<_>>(),
            [6, 4, 3, 4, 0]
        );
        assert_eq!((weak.score, weak.tier.as_str()), (17, "D"));

        let middle = fit_score(&enrich(&account(
            "Retail",
            500,
            150_000_000,
            "EMEA",
            &["hubspot"],
        )));
        assert_eq!(middle.score, 18 + 18 + 15 + 8 + 5);
        assert_eq!(middle.tier, "B");
    }

    #[test]
    fn tiers_have_sharp_edges() {
        assert_eq!(
            [tier(80), tier(79), tier(60), tier(59), tier(40), tier(39)],
            ["A", "B", "B", "C", "C", "D"]
        );
    }

    #[test]
    fn intent_decays_with_age_and_ignores_the_outside_of_the_window() {
        let now: DateTime<Utc> = "2026-06-01T12:00:00Z".parse().unwrap();
        let signal = |topic: &str, strength: i64, days: i64| IntentSignalRecord {
            topic: topic.into(),
            source: "g2".into(),
            strength,
            observed_at: at(days, now),
        };
        let summary = intent(
            &[
                signal("revenue intelligence", 5, 0),  // 5.0
                signal("revenue intelligence", 4, 14), // 2.0
                signal("sales forecasting", 4, 28),    // 1.0
                signal("crm migration", 5, 45),        // outside the window
            ],
            now,
        );
        assert_eq!(summary.signal_count, 3);
        assert_eq!(summary.score, 8.0);
        assert_eq!(summary.level, "medium");
        assert_eq!(
            summary.top_topics,
            ["revenue intelligence", "sales forecasting"]
        );
        assert_eq!(summary.latest_signal_at, Some(now));

        let none = intent(&[signal("x", 5, 31)], now);
        assert_eq!(
            (none.signal_count, none.level.as_str(), none.score),
            (0, "none", 0.0)
        );
        assert_eq!(intent(&[signal("x", 1, 20)], now).level, "low");
        assert_eq!(
            intent(&[signal("x", 5, 0), signal("y", 5, 0)], now).level,
            "high"
        );
    }

    #[test]
    fn committee_coverage_counts_roles_not_people() {
        let contact = |role: ContactRole| ContactRecord {
            name: "N".into(),
            title: "T".into(),
            role,
        };
        let committee = buying_committee(&[
            contact(ContactRole::Champion),
            contact(ContactRole::Champion),
            contact(ContactRole::EconomicBuyer),
        ]);
        assert_eq!(committee.covered_roles, ["economic_buyer", "champion"]);
        assert_eq!(
            committee.missing_roles,
            ["technical_evaluator", "procurement", "end_user"]
        );
        assert_eq!(committee.coverage_percent, 40);
        assert_eq!(committee.members[0].role, "economic_buyer");
        assert_eq!(buying_committee(&[]).coverage_percent, 0);
    }

    #[test]
    fn pipeline_weights_open_opportunities_by_stage() {
        let opportunity = |stage, amount, close: &str| OpportunityRecord {
            id: "o".into(),
            name: "O".into(),
            stage,
            amount_usd: amount,
            close_date: parse_date(close).unwrap(),
        };
        let summary = pipeline(&[
            opportunity(OpportunityStage::Proposal, 240_000, "2026-07-15"),
            opportunity(OpportunityStage::Discovery, 85_000, "2026-09-28"),
            opportunity(OpportunityStage::ClosedWon, 1_000_000, "2026-01-01"),
        ]);
        assert_eq!(summary.open_count, 2);
        assert_eq!(summary.total_amount_usd, 325_000);
        assert_eq!(summary.weighted_amount_usd, 120_000 + 8_500);
        assert_eq!(summary.next_close_date.as_deref(), Some("2026-07-15"));
        assert_eq!(summary.furthest_stage.as_deref(), Some("proposal"));
        let empty = pipeline(&[]);
        assert_eq!((empty.open_count, empty.next_close_date), (0, None));
    }
}
