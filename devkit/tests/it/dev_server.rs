use devkit::dev_server::DevServer;
use devkit::nexus_endpoints::{self, EndpointAction};
use shared_contracts::names::{namespaces, search_attributes};
use temporalio_client::tonic::Request;
use temporalio_common::protos::temporal::api::enums::v1::IndexedValueType;
use temporalio_common::protos::temporal::api::operatorservice::v1::ListSearchAttributesRequest;

#[tokio::test]
async fn dev_server_has_namespaces_search_attributes_and_idempotent_endpoints() {
    let server = DevServer::start_for_tests().await.unwrap();
    let connection = server.connect("devkit-test").await.unwrap();

    // Custom search attributes are registered on the gtm namespace as Keywords.
    let attributes = connection
        .operator_service()
        .list_search_attributes(Request::new(ListSearchAttributesRequest {
            namespace: namespaces::GTM.to_owned(),
        }))
        .await
        .unwrap()
        .into_inner()
        .custom_attributes;
    for (name, _) in search_attributes::ALL {
        assert_eq!(
            attributes.get(name).copied(),
            Some(IndexedValueType::Keyword as i32),
            "search attribute {name} in {attributes:?}"
        );
    }

    // First run creates every endpoint, the second finds them and changes nothing.
    let first = nexus_endpoints::ensure(&connection, &shared_contracts::teams::endpoint_specs())
        .await
        .unwrap();
    assert_eq!(
        first,
        [
            ("marketing-abm", EndpointAction::Created),
            ("gtm-coordinator", EndpointAction::Created),
            ("cs-health", EndpointAction::Created)
        ]
    );
    let second = nexus_endpoints::ensure(&connection, &shared_contracts::teams::endpoint_specs())
        .await
        .unwrap();
    assert!(
        second
            .iter()
            .all(|(_, a)| *a == EndpointAction::AlreadyPresent),
        "{second:?}"
    );

    for spec in shared_contracts::teams::endpoint_specs() {
        let endpoint = nexus_endpoints::find(&connection, spec.name)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            nexus_endpoints::worker_target(&endpoint),
            Some((spec.target_namespace, spec.target_task_queue))
        );
    }
    server.stop().await.unwrap();
}

#[tokio::test]
async fn the_cli_lists_the_endpoints_as_a_user_would_see_them() {
    let server = DevServer::start_for_tests().await.unwrap();
    let connection = server.connect("devkit-test").await.unwrap();
    nexus_endpoints::ensure(&connection, &shared_contracts::teams::endpoint_specs())
        .await
        .unwrap();
    let output = std::process::Command::new(devkit::temporal_cli::installed().unwrap())
        .args([
            "operator",
            "nexus",
            "endpoint",
            "list",
            "--address",
            &server.address(),
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let listing = String::from_utf8_lossy(&output.stdout);
    for spec in shared_contracts::teams::endpoint_specs() {
        assert!(listing.contains(spec.name), "{listing}");
        assert!(listing.contains(spec.target_task_queue), "{listing}");
    }
}
