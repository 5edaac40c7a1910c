//! Router tests with `oneshot`: page structure (CSS selectors), JSON, status codes and
//! headers, against a seeded GTM database and either no Temporal or a real dev server.

mod app;
mod pages;
mod with_temporal;
