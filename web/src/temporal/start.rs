//! Starting workflows: coordinator runs in `gtm`, campaign launches in `marketing`.
//!
//! This stays on the raw `StartWorkflowExecution` call: the SDK's `start_workflow`
//! makes a fresh request id per call, and the dashboard needs one derived from the
//! workflow id, so that a resent request finds the same run instead of failing.

use std::collections::HashMap;

use chrono::Utc;
use serde::Serialize;
use shared_contracts::campaign::CampaignLaunchInput;
use shared_contracts::coordinator::CoordinatorInput;
use shared_contracts::names::{search_attributes, workflow_types};
use temporalio_client::tonic::Request;
use temporalio_common::protos::coresdk::AsJsonPayloadExt;
use temporalio_common::protos::temporal::api::common::v1::{
    Payload, Payloads, SearchAttributes, WorkflowType,
};
use temporalio_common::protos::temporal::api::enums::v1::WorkflowIdConflictPolicy;
use temporalio_common::protos::temporal::api::taskqueue::v1::TaskQueue;
use temporalio_common::protos::temporal::api::workflowservice::v1::StartWorkflowExecutionRequest;

use super::call::timed;
use super::error::TemporalError;
use super::gateway::TemporalGateway;

impl TemporalGateway {
    /// Starts a coordinator run; the workflow id follows `drew-<account>-<millis>`.
    pub async fn start_run(
        &self,
        input: &CoordinatorInput,
    ) -> Result<(String, String), TemporalError> {
        let workflow_id = format!(
            "drew-{}-{}",
            input.account_id,
            Utc::now().timestamp_millis()
        );
        // Set at start, so the run can be found by account before a worker has even
        // picked it up (the workflow sets it again, to the same value).
        let account = encode(&input.account_id.as_str())?;
        let mut search = HashMap::from([(search_attributes::ACCOUNT_ID.to_owned(), account)]);
        if let Some(requested_by) = &input.requested_by {
            search.insert(
                search_attributes::REQUESTED_BY.to_owned(),
                encode(requested_by)?,
            );
        }
        let run_id = self
            .start(StartRequest::once(
                &self.placement.gtm_namespace,
                &self.placement.gtm_task_queue,
                workflow_types::DREW_COORDINATOR,
                &workflow_id,
                encode(input)?,
                search,
            ))
            .await?;
        Ok((workflow_id, run_id))
    }

    /// Starts a campaign launch in Marketing's namespace, as `launch-<campaign>-<millis>`.
    pub async fn start_launch(&self, input: &CampaignLaunchInput) -> Result<String, TemporalError> {
        let workflow_id = format!(
            "launch-{}-{}",
            input.campaign_id,
            Utc::now().timestamp_millis()
        );
        self.start(StartRequest::once(
            &self.placement.marketing_namespace,
            &self.placement.marketing_task_queue,
            workflow_types::CAMPAIGN_LAUNCH,
            &workflow_id,
            encode(input)?,
            HashMap::new(),
        ))
        .await?;
        Ok(workflow_id)
    }

    pub(super) async fn start(&self, start: StartRequest<'_>) -> Result<String, TemporalError> {
        let connection = self.connection().await?;
        let request = StartWorkflowExecutionRequest {
            namespace: start.namespace.to_owned(),
            workflow_id: start.workflow_id.to_owned(),
            workflow_type: Some(WorkflowType {
                name: start.workflow_type.to_owned(),
            }),
            task_queue: Some(TaskQueue {
                name: start.task_queue.to_owned(),
                ..Default::default()
            }),
            input: Some(Payloads {
                payloads: vec![start.input],
            }),
            identity: self.settings.connection.identity.clone(),
            request_id: start.request_id,
            workflow_id_conflict_policy: start.if_running.into(),
            search_attributes: (!start.search.is_empty()).then_some(SearchAttributes {
                indexed_fields: start.search,
            }),
            // The run continues this request's trace.
            header: service_kit::trace::tracer_data_header(),
            ..Default::default()
        };
        let response = timed(
            "starting a workflow",
            connection
                .workflow_service()
                .start_workflow_execution(Request::new(request)),
        )
        .await?;
        Ok(response.run_id)
    }
}

/// One `StartWorkflowExecution`.
pub(super) struct StartRequest<'a> {
    pub namespace: &'a str,
    pub task_queue: &'a str,
    pub workflow_type: &'a str,
    pub workflow_id: &'a str,
    pub input: Payload,
    pub search: HashMap<String, Payload>,
    /// The server returns the run this request id already started instead of starting
    /// another.
    pub request_id: String,
    /// What a start does when a run with the id is already running.
    pub if_running: WorkflowIdConflictPolicy,
}

impl<'a> StartRequest<'a> {
    /// One start per workflow id: the request id is derived from it, so a resent
    /// request finds the same run, and a second run with the id is refused.
    fn once(
        namespace: &'a str,
        task_queue: &'a str,
        workflow_type: &'a str,
        workflow_id: &'a str,
        input: Payload,
        search: HashMap<String, Payload>,
    ) -> Self {
        Self {
            namespace,
            task_queue,
            workflow_type,
            workflow_id,
            input,
            search,
            request_id: format!("{workflow_id}-start"),
            if_running: WorkflowIdConflictPolicy::Fail,
        }
    }
}

pub(super) fn encode(value: &impl Serialize) -> Result<Payload, TemporalError> {
    value
        .as_json_payload()
        .map_err(|err| TemporalError::Unreachable(format!("encoding a payload: {err}")))
}
