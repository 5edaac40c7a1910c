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
use temporalio_common::protos::temporal::api::taskqueue::v1::TaskQueue;
use temporalio_common::protos::temporal::api::workflowservice::v1::StartWorkflowExecutionRequest;

use super::error::TemporalError;
use super::gateway::{TemporalGateway, timed};

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
        let search = HashMap::from([(search_attributes::ACCOUNT_ID.to_owned(), account)]);
        let run_id = self
            .start(
                &self.placement.gtm_namespace,
                &self.placement.gtm_task_queue,
                workflow_types::DREW_COORDINATOR,
                &workflow_id,
                encode(input)?,
                search,
            )
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
        self.start(
            &self.placement.marketing_namespace,
            &self.placement.marketing_task_queue,
            workflow_types::CAMPAIGN_LAUNCH,
            &workflow_id,
            encode(input)?,
            HashMap::new(),
        )
        .await?;
        Ok(workflow_id)
    }

    async fn start(
        &self,
        namespace: &str,
        task_queue: &str,
        workflow_type: &str,
        workflow_id: &str,
        input: Payload,
        search: HashMap<String, Payload>,
    ) -> Result<String, TemporalError> {
        let connection = self.connection().await?;
        let request = StartWorkflowExecutionRequest {
            namespace: namespace.to_owned(),
            workflow_id: workflow_id.to_owned(),
            workflow_type: Some(WorkflowType {
                name: workflow_type.to_owned(),
            }),
            task_queue: Some(TaskQueue {
                name: task_queue.to_owned(),
                ..Default::default()
            }),
            input: Some(Payloads {
                payloads: vec![input],
            }),
            identity: self.settings.connection.identity.clone(),
            // One start per workflow id: a resent request finds the same run.
            request_id: format!("{workflow_id}-start"),
            search_attributes: (!search.is_empty()).then_some(SearchAttributes {
                indexed_fields: search,
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

fn encode(value: &impl Serialize) -> Result<Payload, TemporalError> {
    value
        .as_json_payload()
        .map_err(|err| TemporalError::Unreachable(format!("encoding a payload: {err}")))
}
