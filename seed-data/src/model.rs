//! The seed files' shapes, their vocabulary, and the checks that keep them consistent.
//!
//! Dates in the GTM seed are relative (`daysAgo`, `closeInDays`) so that a freshly
//! loaded database always looks current: GTM's loader (`gtm_worker::seed`) turns them
//! into dates on the day it runs.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use shared_contracts::AccountId;

/// `data/gtm/accounts.json`, as shipped.
pub const ACCOUNTS_JSON: &str = include_str!("../data/gtm/accounts.json");
/// `data/marketing/programs.json`, as shipped.
pub const PROGRAMS_JSON: &str = include_str!("../data/marketing/programs.json");
/// `data/marketing/campaigns.json`, as shipped.
pub const CAMPAIGNS_JSON: &str = include_str!("../data/marketing/campaigns.json");
/// `data/customer-success/accounts.json`, as shipped.
pub const CUSTOMER_SUCCESS_JSON: &str = include_str!("../data/customer-success/accounts.json");

/// Declares a closed vocabulary: a snake_case serde enum with `as_str`/`parse` and the
/// list of all values, so the seed, the stores and the business rules spell it alike.
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [Self] = &[$(Self::$variant,)+];

            /// The value as stored and serialised.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text,)+ }
            }

            /// Parses a stored value.
            pub fn parse(value: &str) -> Option<Self> {
                match value { $($text => Some(Self::$variant),)+ _ => None }
            }
        }
    };
}

vocabulary! {
    /// A contact's role on the buying committee.
    ContactRole {
        /// Signs off the budget.
        EconomicBuyer => "economic_buyer",
        /// Sells internally for us.
        Champion => "champion",
        /// Evaluates the product technically.
        TechnicalEvaluator => "technical_evaluator",
        /// Runs the purchasing process.
        Procurement => "procurement",
        /// Will use the product day to day.
        EndUser => "end_user",
    }
}

vocabulary! {
    /// Where an opportunity stands in the sales process.
    OpportunityStage {
        /// First conversations.
        Discovery => "discovery",
        /// Need, budget and timing confirmed.
        Qualification => "qualification",
        /// A proposal is out.
        Proposal => "proposal",
        /// Terms are being agreed.
        Negotiation => "negotiation",
        /// Won.
        ClosedWon => "closed_won",
        /// Lost.
        ClosedLost => "closed_lost",
    }
}

impl OpportunityStage {
    /// True until the opportunity is won or lost.
    pub fn is_open(self) -> bool {
        !matches!(self, Self::ClosedWon | Self::ClosedLost)
    }
}

vocabulary! {
    /// Where an intent signal came from.
    IntentSource {
        /// Review-site research.
        G2 => "g2",
        /// Third-party topic surge data.
        Bombora => "bombora",
        /// Visits to our website.
        Website => "website",
        /// Webinar attendance.
        Webinar => "webinar",
        /// Gated content downloads.
        ContentDownload => "content_download",
        /// Product trial sign-ups.
        TrialSignup => "trial_signup",
    }
}

vocabulary! {
    /// How badly a support ticket hurts the customer.
    TicketSeverity {
        /// Cosmetic, or a question.
        Low => "low",
        /// Slows work down.
        Medium => "medium",
        /// Blocks part of the work.
        High => "high",
        /// Blocks the customer.
        Critical => "critical",
    }
}

vocabulary! {
    /// Whether a support ticket is still being worked.
    TicketStatus {
        /// Not resolved yet.
        Open => "open",
        /// Resolved.
        Closed => "closed",
    }
}

/// One account of `accounts.json`, with what sales knows about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedAccount {
    /// Slug, the key on both sides.
    pub id: AccountId,
    /// Display name.
    pub name: String,
    /// Web domain.
    pub domain: String,
    /// Industry.
    pub industry: String,
    /// Head count.
    pub employees: i64,
    /// Annual revenue, whole US dollars.
    pub annual_revenue_usd: i64,
    /// ISO 3166 alpha-2 country code.
    pub country: String,
    /// Sales region.
    pub region: String,
    /// Technologies the account is known to use.
    pub tech_stack: Vec<String>,
    /// The account executive who owns it.
    pub owner: String,
    /// Known people at the account.
    pub contacts: Vec<SeedContact>,
    /// Opportunities, open and closed.
    pub opportunities: Vec<SeedOpportunity>,
    /// Intent signals, dated relative to the load.
    pub intent_signals: Vec<SeedIntentSignal>,
}

/// A person at an account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedContact {
    /// Full name.
    pub name: String,
    /// Job title.
    pub title: String,
    /// Work email.
    pub email: String,
    /// Buying-committee role.
    pub role: ContactRole,
}

/// A sales opportunity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedOpportunity {
    /// Stable id, `opp-<account>-<n>`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Sales stage.
    pub stage: OpportunityStage,
    /// Amount, whole US dollars.
    pub amount_usd: i64,
    /// Expected (or actual, when closed) close date, in days from the load.
    pub close_in_days: i64,
}

/// An intent signal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedIntentSignal {
    /// What the account researched.
    pub topic: String,
    /// Where the signal came from.
    pub source: IntentSource,
    /// 1 (faint) to 5 (strong).
    pub strength: i64,
    /// How many days before the load it was observed.
    pub days_ago: i64,
}

/// Status of an ABM program (the contract's `AbmStatus` minus `none`), ordered by
/// relevance: an active enrolment outranks a paused one, which outranks a completed one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProgramStatus {
    /// Running.
    Active,
    /// On hold.
    Paused,
    /// Finished.
    Completed,
}

impl ProgramStatus {
    /// The status as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Paused => "paused",
            Self::Completed => "completed",
        }
    }
}

/// One ABM program of `programs.json`, with its enrolments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedProgram {
    /// Slug.
    pub id: String,
    /// Display name, as `checkAbmProgram` reports it.
    pub name: String,
    /// Program status.
    pub status: ProgramStatus,
    /// What the program is for.
    pub description: String,
    /// First day, `YYYY-MM-DD`.
    pub starts_on: String,
    /// Last day, `YYYY-MM-DD`.
    pub ends_on: String,
    /// Marketing touches planned per enrolled account.
    pub touches_planned: i64,
    /// Enrolled accounts.
    pub enrolments: Vec<SeedEnrolment>,
}

/// An account's enrolment in a program.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedEnrolment {
    /// The enrolled account.
    pub account_id: AccountId,
    /// Touches still planned for it.
    pub touches_remaining: i64,
}

/// A marketing campaign of `campaigns.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedCampaign {
    /// Slug.
    pub id: String,
    /// Display name.
    pub name: String,
    /// The program the campaign serves.
    pub program_id: Option<String>,
    /// `email`, `events`, `paid_social`, `direct_mail` or `multi_channel`.
    pub channel: String,
    /// `planned`, `launched` or `completed`.
    pub status: String,
    /// What the campaign is.
    pub description: String,
    /// Accounts the campaign targets, in launch order.
    pub target_accounts: Vec<AccountId>,
}

/// What Customer Success knows about one account, in
/// `data/customer-success/accounts.json`. Dates are relative to the load.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedHealthRecord {
    /// The account (a GTM account id).
    pub account_id: AccountId,
    /// Days from the load to the contract's renewal; null when none is on record.
    pub renewal_in_days: Option<i64>,
    /// Support tickets, open and closed.
    pub tickets: Vec<SeedTicket>,
    /// Product usage readings over time.
    pub usage: Vec<SeedUsage>,
    /// NPS survey responses.
    pub nps: Vec<SeedNpsResponse>,
}

/// A support ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedTicket {
    /// Stable id, `tkt-<account>-<n>`.
    pub id: String,
    /// What it is about.
    pub subject: String,
    /// How badly it hurts.
    pub severity: TicketSeverity,
    /// Open or closed.
    pub status: TicketStatus,
    /// Days before the load it was opened.
    pub opened_days_ago: i64,
    /// Days before the load it was closed (closed tickets only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_days_ago: Option<i64>,
}

/// A product usage reading.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedUsage {
    /// Days before the load it was taken.
    pub days_ago: i64,
    /// Users active in the period.
    pub active_users: i64,
    /// Seats purchased.
    pub seats: i64,
}

/// An NPS survey response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedNpsResponse {
    /// Days before the load it was given.
    pub days_ago: i64,
    /// 0 (would not recommend) to 10.
    pub score: i64,
    /// Who answered.
    pub respondent: String,
}

/// The whole seed set.
#[derive(Debug, Clone, PartialEq)]
pub struct SeedSet {
    /// GTM: accounts with contacts, opportunities and intent signals.
    pub accounts: Vec<SeedAccount>,
    /// Marketing: programs with enrolments.
    pub programs: Vec<SeedProgram>,
    /// Marketing: campaigns.
    pub campaigns: Vec<SeedCampaign>,
    /// Customer Success: tickets, usage, NPS and renewal, one record per account.
    pub customer_success: Vec<SeedHealthRecord>,
}

/// A seed file that does not parse, or a seed set that contradicts itself.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    /// A file is not valid for its shape.
    #[error("seed file {file}: {message}")]
    Parse {
        /// Which file.
        file: &'static str,
        /// serde's message, with the path of the bad field.
        message: String,
    },
    /// The files parse, but break a cross-file rule.
    #[error("seed set is inconsistent:\n  {}", .0.join("\n  "))]
    Inconsistent(Vec<String>),
}

impl SeedSet {
    /// The seed set shipped in `seed-data/data/`, parsed and checked.
    pub fn shipped() -> Result<Self, SeedError> {
        Self::parse(
            ACCOUNTS_JSON,
            PROGRAMS_JSON,
            CAMPAIGNS_JSON,
            CUSTOMER_SUCCESS_JSON,
        )
    }

    /// Parses the four files' contents and checks them against each other.
    pub fn parse(
        accounts: &str,
        programs: &str,
        campaigns: &str,
        customer_success: &str,
    ) -> Result<Self, SeedError> {
        let set = Self {
            accounts: parse_file("data/gtm/accounts.json", accounts)?,
            programs: parse_file("data/marketing/programs.json", programs)?,
            campaigns: parse_file("data/marketing/campaigns.json", campaigns)?,
            customer_success: parse_file("data/customer-success/accounts.json", customer_success)?,
        };
        let problems = set.problems();
        if problems.is_empty() {
            Ok(set)
        } else {
            Err(SeedError::Inconsistent(problems))
        }
    }

    /// The account with this id, if seeded.
    pub fn account(&self, id: &str) -> Option<&SeedAccount> {
        self.accounts.iter().find(|a| a.id.as_str() == id)
    }

    /// Every rule the set breaks, one line each.
    fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let mut account_ids = BTreeSet::new();
        let mut opportunity_ids = BTreeSet::new();
        for account in &self.accounts {
            if !account_ids.insert(account.id.as_str()) {
                problems.push(format!("account {} appears twice", account.id));
            }
            for opportunity in &account.opportunities {
                if !opportunity_ids.insert(opportunity.id.as_str()) {
                    problems.push(format!("opportunity {} appears twice", opportunity.id));
                }
            }
            for signal in &account.intent_signals {
                if !(1..=5).contains(&signal.strength) || signal.days_ago < 0 {
                    problems.push(format!(
                        "account {}: intent signal {:?} needs strength 1-5 and daysAgo >= 0",
                        account.id, signal.topic
                    ));
                }
            }
        }
        let mut program_ids = BTreeSet::new();
        for program in &self.programs {
            if !program_ids.insert(program.id.as_str()) {
                problems.push(format!("program {} appears twice", program.id));
            }
            let mut enrolled = BTreeSet::new();
            for enrolment in &program.enrolments {
                let account = enrolment.account_id.as_str();
                if !account_ids.contains(account) {
                    problems.push(format!("program {}: unknown account {account}", program.id));
                }
                if !enrolled.insert(account) {
                    problems.push(format!("program {}: {account} enrolled twice", program.id));
                }
                if !(0..=program.touches_planned).contains(&enrolment.touches_remaining) {
                    problems.push(format!(
                        "program {}: {account} has touchesRemaining outside 0..={}",
                        program.id, program.touches_planned
                    ));
                }
            }
        }
        let mut campaign_ids = BTreeSet::new();
        for campaign in &self.campaigns {
            if !campaign_ids.insert(campaign.id.as_str()) {
                problems.push(format!("campaign {} appears twice", campaign.id));
            }
            if let Some(program) = &campaign.program_id
                && !program_ids.contains(program.as_str())
            {
                problems.push(format!(
                    "campaign {}: unknown program {program}",
                    campaign.id
                ));
            }
            for account in &campaign.target_accounts {
                if !account_ids.contains(account.as_str()) {
                    problems.push(format!(
                        "campaign {}: unknown account {account}",
                        campaign.id
                    ));
                }
            }
        }
        problems.extend(self.customer_success_problems(&account_ids));
        problems
    }

    /// Customer Success's records: one per seeded account, no other, and in range.
    fn customer_success_problems(&self, account_ids: &BTreeSet<&str>) -> Vec<String> {
        let mut problems = Vec::new();
        let mut recorded = BTreeSet::new();
        let mut ticket_ids = BTreeSet::new();
        for record in &self.customer_success {
            let account = record.account_id.as_str();
            if !account_ids.contains(account) {
                problems.push(format!("customer success: unknown account {account}"));
            }
            if !recorded.insert(account) {
                problems.push(format!("customer success: {account} appears twice"));
            }
            for ticket in &record.tickets {
                if !ticket_ids.insert(ticket.id.as_str()) {
                    problems.push(format!("ticket {} appears twice", ticket.id));
                }
                let closed_ok = match (ticket.status, ticket.closed_days_ago) {
                    (TicketStatus::Open, None) => true,
                    (TicketStatus::Closed, Some(closed)) => {
                        (0..=ticket.opened_days_ago).contains(&closed)
                    }
                    _ => false,
                };
                if ticket.opened_days_ago < 0 || !closed_ok {
                    problems.push(format!(
                        "ticket {}: a closed ticket needs 0 <= closedDaysAgo <= openedDaysAgo, an open one none",
                        ticket.id
                    ));
                }
            }
            if record
                .usage
                .iter()
                .any(|u| u.days_ago < 0 || u.active_users < 0 || u.seats < 0)
            {
                problems.push(format!(
                    "customer success: {account} has a usage reading with a negative number"
                ));
            }
            if record
                .nps
                .iter()
                .any(|r| !(0..=10).contains(&r.score) || r.days_ago < 0)
            {
                problems.push(format!(
                    "customer success: {account} has an NPS response outside 0-10 or in the future"
                ));
            }
        }
        for account in account_ids {
            if !recorded.contains(account) {
                problems.push(format!("customer success: no record for account {account}"));
            }
        }
        problems
    }

    /// How many accounts have each ABM status (an account in several programs counts
    /// once, by its most relevant program: active, then paused, then completed).
    pub fn abm_status_counts(&self) -> BTreeMap<&'static str, usize> {
        let mut best: BTreeMap<&str, ProgramStatus> = BTreeMap::new();
        for program in &self.programs {
            for enrolment in &program.enrolments {
                best.entry(enrolment.account_id.as_str())
                    .and_modify(|current| *current = (*current).min(program.status))
                    .or_insert(program.status);
            }
        }
        let mut counts = BTreeMap::new();
        for account in &self.accounts {
            let status = best.get(account.id.as_str()).map_or("none", |s| s.as_str());
            *counts.entry(status).or_insert(0) += 1;
        }
        counts
    }
}

fn parse_file<T: serde::de::DeserializeOwned>(
    file: &'static str,
    json: &str,
) -> Result<T, SeedError> {
    shared_contracts::codec::decode(json.as_bytes()).map_err(|err| SeedError::Parse {
        file,
        message: err.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_seed_is_consistent_and_large_enough() {
        let seed = SeedSet::shipped().unwrap();
        assert!(
            seed.accounts.len() >= 40,
            "{} accounts",
            seed.accounts.len()
        );
        assert!(seed.programs.len() >= 5, "{} programs", seed.programs.len());
        let statuses: BTreeSet<_> = seed.programs.iter().map(|p| p.status).collect();
        assert_eq!(
            statuses.len(),
            3,
            "programs must cover active, paused and completed"
        );
        let counts = seed.abm_status_counts();
        for status in ["active", "paused", "completed", "none"] {
            assert!(
                counts.get(status).copied().unwrap_or(0) > 0,
                "no account is {status}: {counts:?}"
            );
        }
        assert!(!seed.campaigns.is_empty());
    }

    #[test]
    fn acme_corp_is_as_the_contract_says() {
        let seed = SeedSet::shipped().unwrap();
        assert!(seed.account("acme-corp").is_some());
        let (program, enrolment) = seed
            .programs
            .iter()
            .flat_map(|p| p.enrolments.iter().map(move |e| (p, e)))
            .find(|(_, e)| e.account_id.as_str() == "acme-corp")
            .unwrap();
        assert_eq!(program.name, "Enterprise Expansion Q1");
        assert_eq!(program.status, ProgramStatus::Active);
        assert_eq!(enrolment.touches_remaining, 3);
    }

    #[test]
    fn inconsistencies_are_listed_one_per_line() {
        let accounts = r#"[{"id":"a","name":"A","domain":"a.example","industry":"Retail",
            "employees":1,"annualRevenueUsd":1,"country":"US","region":"North America",
            "techStack":[],"owner":"O","contacts":[],"opportunities":[],"intentSignals":[]}]"#;
        let programs = r#"[{"id":"p","name":"P","status":"active","description":"",
            "startsOn":"2026-01-01","endsOn":"2026-02-01","touchesPlanned":2,
            "enrolments":[{"accountId":"ghost","touchesRemaining":3}]}]"#;
        let err = SeedSet::parse(accounts, programs, "[]", "[]").unwrap_err();
        let message = err.to_string();
        assert!(
            message.contains("program p: unknown account ghost"),
            "{message}"
        );
        assert!(
            message.contains("touchesRemaining outside 0..=2"),
            "{message}"
        );
        assert!(
            message.contains("customer success: no record for account a"),
            "{message}"
        );
    }

    #[test]
    fn a_bad_field_is_named_with_its_file() {
        let err = SeedSet::parse(r#"[{"id":"Bad Id"}]"#, "[]", "[]", "[]").unwrap_err();
        let message = err.to_string();
        assert!(
            message.starts_with("seed file data/gtm/accounts.json: invalid"),
            "{message}"
        );
        assert!(message.contains("[0].id"), "{message}");
    }

    #[test]
    fn seed_files_round_trip_through_the_types_byte_for_byte() {
        let seed = SeedSet::shipped().unwrap();
        for (file, shipped, rendered) in [
            (
                "accounts.json",
                ACCOUNTS_JSON,
                serde_json::to_string_pretty(&seed.accounts),
            ),
            (
                "programs.json",
                PROGRAMS_JSON,
                serde_json::to_string_pretty(&seed.programs),
            ),
            (
                "campaigns.json",
                CAMPAIGNS_JSON,
                serde_json::to_string_pretty(&seed.campaigns),
            ),
            (
                "customer-success/accounts.json",
                CUSTOMER_SUCCESS_JSON,
                serde_json::to_string_pretty(&seed.customer_success),
            ),
        ] {
            assert_eq!(format!("{}\n", rendered.unwrap()), shipped, "{file}");
        }
    }

    #[test]
    fn vocabularies_round_trip() {
        for role in ContactRole::ALL {
            assert_eq!(ContactRole::parse(role.as_str()), Some(*role));
        }
        for stage in OpportunityStage::ALL {
            assert_eq!(OpportunityStage::parse(stage.as_str()), Some(*stage));
        }
        assert!(OpportunityStage::Proposal.is_open());
        assert!(!OpportunityStage::ClosedWon.is_open());
        assert_eq!(IntentSource::parse("g2"), Some(IntentSource::G2));
        for severity in TicketSeverity::ALL {
            assert_eq!(TicketSeverity::parse(severity.as_str()), Some(*severity));
        }
        assert!(TicketSeverity::Critical > TicketSeverity::High);
    }
}
