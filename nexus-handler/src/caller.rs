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

use std::collections::{BTreeMap, HashMap};

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
    pub(crate) fn from_links(links: &[Link]) -> Option<Self> {
        links.iter().find_map(|link| Self::from_url(&link.url))
    }

    /// The first workflow-event link of the request's `Nexus-Link` headers
    /// (`<url>; type="…"`, comma-separated), where the server leaves links it has not
    /// parsed into the request itself (a cancel's, for one).
    pub(crate) fn from_link_headers(headers: &HashMap<String, String>) -> Option<Self> {
        headers
            .iter()
            .filter(|(name, _)| name.eq_ignore_ascii_case("nexus-link"))
            .flat_map(|(_, value)| value.split(','))
            .filter_map(|link| {
                let url = link.trim().strip_prefix('<')?;
                url.split_once('>').map(|(url, _params)| url)
            })
            .find_map(Self::from_url)
    }

    /// Parses `temporal:///namespaces/{ns}/workflows/{wid}/{rid}/history[?…]`.
    pub(crate) fn from_url(url: &str) -> Option<Self> {
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

/// Which callers a Nexus worker serves: namespaces allowed for every service, and
/// per service where that service says otherwise.
///
/// What it guarantees: a well-behaved caller (a workflow whose server attached its
/// link) from a namespace not on the list is refused, on start and on cancel alike.
/// What it does not: the link is not signed, so on a server without an authorizer
/// anyone who can reach the frontend's Nexus HTTP API can claim any namespace. The
/// enforcement that holds is the server's: the endpoint's allowed caller namespaces on
/// Temporal Cloud, an authorizer (mTLS or JWT claims) on a self-hosted cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallerPolicy {
    allowed_namespaces: Vec<String>,
    per_service: BTreeMap<String, Vec<String>>,
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
            per_service: BTreeMap::new(),
            allow_unidentified: false,
        }
    }

    /// Serves `service` to workflows in these namespaces instead of the default ones.
    #[must_use]
    pub fn for_service<I, S>(mut self, service: impl Into<String>, namespaces: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.per_service.insert(
            service.into(),
            namespaces.into_iter().map(Into::into).collect(),
        );
        self
    }

    /// Also serves requests that carry no caller link (e.g. from a client outside any
    /// workflow). Off by default: an unidentified caller cannot be checked.
    #[must_use]
    pub fn with_unidentified_callers(mut self, allow: bool) -> Self {
        self.allow_unidentified = allow;
        self
    }

    /// The namespaces allowed to call `service`.
    pub fn allowed_namespaces(&self, service: &str) -> &[String] {
        self.per_service
            .get(service)
            .unwrap_or(&self.allowed_namespaces)
    }

    /// Admits or refuses a caller of `service/operation`. The refusal names the caller
    /// and the operation, and not who else may call it.
    pub(crate) fn check(
        &self,
        caller: Option<&CallerInfo>,
        service: &str,
        operation: &str,
    ) -> Result<(), HandlerError> {
        match caller {
            Some(caller) if self.allowed_namespaces(service).contains(&caller.namespace) => Ok(()),
            Some(caller) => Err(HandlerError::unauthorized(format!(
                "caller namespace {:?} is not allowed to call {service}/{operation}",
                caller.namespace,
            ))),
            None if self.allow_unidentified => Ok(()),
            None => Err(HandlerError::unauthorized(format!(
                "request for {service}/{operation} carries no caller namespace (no workflow link)"
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
                .check(Some(&gtm), "marketing.abm.v1", "checkAbmProgram")
                .is_ok()
        );

        let other = CallerInfo {
            namespace: "default".into(),
            ..gtm
        };
        let refused = policy
            .check(Some(&other), "marketing.abm.v1", "checkAbmProgram")
            .unwrap_err();
        assert!(!refused.is_retryable());
        // Who may call it is not the refused caller's business.
        assert_eq!(
            refused.message(),
            "caller namespace \"default\" is not allowed to call marketing.abm.v1/checkAbmProgram"
        );

        assert!(
            policy
                .check(None, "svc", "op")
                .unwrap_err()
                .message()
                .contains("no caller namespace")
        );
        assert!(
            policy
                .with_unidentified_callers(true)
                .check(None, "svc", "op")
                .is_ok()
        );
    }

    #[test]
    fn reads_the_caller_from_a_link_header() {
        let headers = HashMap::from([(
            "Nexus-Link".to_owned(),
            format!(
                "<https://example.com/x>; type=\"other\", <{URL}>; type=\"temporal.api.common.v1.Link.WorkflowEvent\""
            ),
        )]);
        assert_eq!(
            CallerInfo::from_link_headers(&headers).unwrap().namespace,
            "gtm"
        );
        assert_eq!(CallerInfo::from_link_headers(&HashMap::new()), None);
    }

    #[test]
    fn a_service_can_have_its_own_allowlist() {
        let policy = CallerPolicy::allow_namespaces(["gtm", "marketing"])
            .for_service("cs.health.v1", ["gtm"]);
        let caller = |namespace: &str| CallerInfo {
            namespace: namespace.into(),
            workflow_id: "w".into(),
            run_id: "r".into(),
        };
        assert!(
            policy
                .check(Some(&caller("marketing")), "other.v1", "op")
                .is_ok()
        );
        assert!(
            policy
                .check(Some(&caller("marketing")), "cs.health.v1", "op")
                .is_err()
        );
        assert!(
            policy
                .check(Some(&caller("gtm")), "cs.health.v1", "op")
                .is_ok()
        );
        assert_eq!(policy.allowed_namespaces("cs.health.v1"), ["gtm"]);
    }
}
