//! Router tests with `oneshot`: page structure (CSS selectors), JSON, status codes and
//! headers, against a seeded GTM database and either no Temporal or a real dev server;
//! and bad input of every kind, refused with a 4xx that says what was wrong.

mod app;
mod bad_input;
mod pages;
mod with_temporal;
