//! Who is calling, and whether they may.
//!
//! When a workflow schedules a Nexus operation, the server attaches a link to the
//! caller's `NexusOperationScheduled` event to the start request:
//!
//! ```text
//! temporal:///namespaces/gtm/workflows/drew-acme-corp-1/<run id>/history?eventID=5&eventType=NexusOperationScheduled&referenceType=EventReference
//! ```
//!
//! The caller's namespace is the path segment after `namespaces`. [`CallerPolicy`]
//! checks it against an allowlist, the self-hosted counterpart of the "allowed caller
//! namespaces" Temporal Cloud sets on an endpoint.

use temporalio_common::protos::temporal::api::nexus::v1::Link;

use crate::error::HandlerError;

/// The workflow that scheduled the operation, read from the request's links.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallerInfo {
    /// The caller's namespace.
    pub namespace: String,
    /// The calling workflow's id.
    pub workflow_id: String,
    /// The calling workflow's run id.
    pub run_id: String,
}

impl CallerInfo {
    /// The first workflow-event link that parses, if any.
    pub fn from_links(links: &[Link]) -> Option<Self> {
        links.iter().find_map(|link| Self::from_url(&link.url))
    }

    /// Parses `temporal:///namespaces/{ns}/workflows/{wid}/{rid}/history[?…]`.
    pub fn from_url(url: &str) -> Option<Self> {
        let path = url.strip_prefix("temporal:///")?;
        let path = path.split_once('?').map_or(path, |(path, _query)| path);
        let mut segments = path.split('/');
        let mut next = |expected: Option<&str>| {
            let segment = segments.next()?;
            match expected {
                Some(literal) => (segment == literal).then(String::new),
                None => percent_decode(segment).filter(|s| !s.is_empty()),
            }
        };
        next(Some("namespaces"))?;
        let namespace = next(None)?;
        next(Some("workflows"))?;
        let workflow_id = next(None)?;
        let run_id = next(None)?;
        next(Some("history"))?;
        Some(Self {
            namespace,
            workflow_id,
            run_id,
        })
    }
}

/// Which callers a Nexus worker serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallerPolicy {
    allowed_namespaces: Vec<String>,
    allow_unidentified: bool,
}

impl CallerPolicy {
    /// Serves workflows in these namespaces only; refuses requests without caller
    /// information.
    pub fn allow_namespaces<I, S>(namespaces: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            allowed_namespaces: namespaces.into_iter().map(Into::into).collect(),
            allow_unidentified: false,
        }
    }

    /// Also serves requests that carry no caller link (e.g. from a client outside any
    /// workflow). Off by default: an unidentified caller cannot be checked.
    pub fn with_unidentified_callers(mut self, allow: bool) -> Self {
        self.allow_unidentified = allow;
        self
    }

    /// The allowed namespaces.
    pub fn allowed_namespaces(&self) -> &[String] {
        &self.allowed_namespaces
    }

    /// Admits or refuses a caller; the refusal says who was refused and why.
    pub fn check(&self, caller: Option<&CallerInfo>, operation: &str) -> Result<(), HandlerError> {
        match caller {
            Some(caller) if self.allowed_namespaces.contains(&caller.namespace) => Ok(()),
            Some(caller) => Err(HandlerError::unauthorized(format!(
                "caller namespace {:?} is not allowed to call {operation} (allowed: {})",
                caller.namespace,
                self.allowed_namespaces.join(", ")
            ))),
            None if self.allow_unidentified => Ok(()),
            None => Err(HandlerError::unauthorized(format!(
                "request for {operation} carries no caller namespace (no workflow link); only workflows in {} may call it",
                self.allowed_namespaces.join(", ")
            ))),
        }
    }
}

/// Decodes `%XX` escapes; `None` when an escape is malformed or not UTF-8.
fn percent_decode(segment: &str) -> Option<String> {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' {
            let hex = segment.get(index + 1..index + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            index += 3;
        } else {
            out.push(bytes[index]);
            index += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "temporal:///namespaces/gtm/workflows/drew-acme-corp-1/0193-run/history?referenceType=EventReference&eventID=5&eventType=NexusOperationScheduled";

    #[test]
    fn reads_the_caller_from_the_server_link() {
        let caller = CallerInfo::from_url(URL).unwrap();
        assert_eq!(
            caller,
            CallerInfo {
                namespace: "gtm".into(),
                workflow_id: "drew-acme-corp-1".into(),
                run_id: "0193-run".into()
            }
        );
        let escaped =
            CallerInfo::from_url("temporal:///namespaces/gtm/workflows/a%2Fb%20c/r/history")
                .unwrap();
        assert_eq!(escaped.workflow_id, "a/b c");
    }

    #[test]
    fn ignores_links_that_are_not_workflow_events() {
        for url in [
            "https://example.com/namespaces/gtm/workflows/w/r/history",
            "temporal:///namespaces/gtm/batch-jobs/j",
            "temporal:///namespaces//workflows/w/r/history",
            "temporal:///namespaces/gtm/workflows/w%zz/r/history",
        ] {
            assert_eq!(CallerInfo::from_url(url), None, "{url}");
        }
        let links = [
            Link {
                url: "nonsense".into(),
                r#type: String::new(),
            },
            Link {
                url: URL.into(),
                r#type: String::new(),
            },
        ];
        assert_eq!(CallerInfo::from_links(&links).unwrap().namespace, "gtm");
    }

    #[test]
    fn policy_admits_allowed_namespaces_and_names_the_refused_one() {
        let policy = CallerPolicy::allow_namespaces(["gtm"]);
        let gtm = CallerInfo::from_url(URL).unwrap();
        assert!(
            policy
                .check(Some(&gtm), "marketing.abm.v1/checkAbmProgram")
                .is_ok()
        );

        let other = CallerInfo {
            namespace: "default".into(),
            ..gtm
        };
        let refused = policy
            .check(Some(&other), "marketing.abm.v1/checkAbmProgram")
            .unwrap_err();
        assert!(!refused.is_retryable());
        assert_eq!(
            refused.message(),
            "caller namespace \"default\" is not allowed to call marketing.abm.v1/checkAbmProgram (allowed: gtm)"
        );

        assert!(
            policy
                .check(None, "op")
                .unwrap_err()
                .message()
                .contains("no caller namespace")
        );
        assert!(
            policy
                .with_unidentified_callers(true)
                .check(None, "op")
                .is_ok()
        );
    }
}
