//! marketing-worker against a real Temporal dev server: a test caller workflow in
//! `gtm` calls `marketing.abm.v1` through the `marketing-abm` endpoint, exactly as the
//! coordinator's step 8 does.

mod check_abm_program;
mod harness;
