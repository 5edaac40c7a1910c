//! The Marketing database: ABM programs and who is enrolled in them.

use shared_contracts::AccountId;
use shared_contracts::abm::{AbmCheckResponse, AbmStatus};
use sqlx::{AnyPool, Row};

/// Read access to ABM programs and enrolments.
#[derive(Debug, Clone)]
pub struct MarketingStore {
    pool: AnyPool,
}

/// One enrolment of an account, with its program's name and status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrolment {
    /// Program display name.
    pub program_name: String,
    /// Program status.
    pub status: AbmStatus,
    /// Touches still planned for the account.
    pub touches_remaining: u32,
}

impl MarketingStore {
    /// A store over an open, migrated pool.
    pub fn new(pool: AnyPool) -> Self {
        Self { pool }
    }

    /// The underlying pool.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Every program the account is enrolled in.
    pub async fn enrolments(&self, account: &AccountId) -> Result<Vec<Enrolment>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT p.name, p.status, e.touches_remaining FROM program_enrolments e \
             JOIN abm_programs p ON p.id = e.program_id WHERE e.account_id = $1",
        )
        .bind(account.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let status: String = row.try_get(1)?;
                let touches: i64 = row.try_get(2)?;
                Ok(Enrolment {
                    program_name: row.try_get(0)?,
                    status: AbmStatus::parse(&status).ok_or_else(|| {
                        sqlx::Error::Decode(format!("unknown program status {status:?}").into())
                    })?,
                    touches_remaining: u32::try_from(touches).unwrap_or(0),
                })
            })
            .collect()
    }

    /// The `checkAbmProgram` answer for an account: its most relevant enrolment, or
    /// "in no program" when it has none (an unknown account is simply in none).
    pub async fn check_abm_program(
        &self,
        account: &AccountId,
    ) -> Result<AbmCheckResponse, sqlx::Error> {
        let enrolments = self.enrolments(account).await?;
        Ok(abm_answer(account.clone(), &enrolments))
    }
}

/// The answer for an account with these enrolments.
///
/// An account can be in several programs (say, a completed one and an active one).
/// The most relevant one answers: active before paused before completed; among equals,
/// the one with the most touches remaining, then by name so the choice is stable.
pub fn abm_answer(account: AccountId, enrolments: &[Enrolment]) -> AbmCheckResponse {
    let rank = |status: AbmStatus| match status {
        AbmStatus::Active => 0,
        AbmStatus::Paused => 1,
        AbmStatus::Completed => 2,
        AbmStatus::None => 3,
    };
    let best = enrolments.iter().min_by(|a, b| {
        rank(a.status)
            .cmp(&rank(b.status))
            .then(b.touches_remaining.cmp(&a.touches_remaining))
            .then(a.program_name.cmp(&b.program_name))
    });
    match best {
        Some(enrolment) if enrolment.status != AbmStatus::None => AbmCheckResponse::enrolled(
            account,
            enrolment.program_name.clone(),
            enrolment.status,
            enrolment.touches_remaining,
        ),
        _ => AbmCheckResponse::not_enrolled(account),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enrolment(name: &str, status: AbmStatus, touches: u32) -> Enrolment {
        Enrolment {
            program_name: name.into(),
            status,
            touches_remaining: touches,
        }
    }

    fn id(value: &str) -> AccountId {
        AccountId::parse(value).unwrap()
    }

    #[test]
    fn no_enrolment_is_no_program() {
        let answer = abm_answer(id("nobody"), &[]);
        assert_eq!(answer, AbmCheckResponse::not_enrolled(id("nobody")));
    }

    #[test]
    fn active_wins_over_paused_and_completed() {
        let answer = abm_answer(
            id("initech"),
            &[
                enrolment("Logistics Pilot 2025", AbmStatus::Completed, 0),
                enrolment("Mid-Market Acceleration", AbmStatus::Active, 4),
                enrolment("EMEA Launch Wave", AbmStatus::Paused, 6),
            ],
        );
        assert!(answer.in_abm_program);
        assert_eq!(
            answer.program_name.as_deref(),
            Some("Mid-Market Acceleration")
        );
        assert_eq!(answer.touches_remaining, 4);
    }

    #[test]
    fn paused_and_completed_are_not_in_program_but_say_so() {
        for status in [AbmStatus::Paused, AbmStatus::Completed] {
            let answer = abm_answer(id("x"), &[enrolment("P", status, 2)]);
            assert!(!answer.in_abm_program);
            assert_eq!(answer.status, status);
            assert_eq!(answer.program_name.as_deref(), Some("P"));
        }
    }

    #[test]
    fn ties_break_by_touches_then_name() {
        let answer = abm_answer(
            id("x"),
            &[
                enrolment("B", AbmStatus::Active, 2),
                enrolment("A", AbmStatus::Active, 2),
                enrolment("C", AbmStatus::Active, 1),
            ],
        );
        assert_eq!(answer.program_name.as_deref(), Some("A"));
    }
}
