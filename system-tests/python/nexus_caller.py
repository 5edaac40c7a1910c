"""A Python-SDK workflow that calls this project's Nexus services, as a team writing
Python would: by endpoint, service and operation name, with JSON input.

    python3 nexus_caller.py ADDRESS NAMESPACE CALLS

CALLS is a JSON list of {"endpoint", "service", "operation", "input"}. Each call runs
as its own workflow in NAMESPACE; the script prints one JSON line per call, in order:
{"outcome": "completed", "output": ...} or {"outcome": "failed", "handler_error":
"BAD_REQUEST" | null, "retryable": ..., "message": the innermost cause's message}.
"""

import asyncio
import json
import os
import sys
import uuid
from datetime import timedelta
from typing import Any

import nexusrpc
from temporalio import workflow
from temporalio.client import Client
from temporalio.exceptions import FailureError, NexusOperationError
from temporalio.worker import Worker


@workflow.defn
class PythonNexusCaller:
    @workflow.run
    async def run(self, call: dict[str, Any]) -> dict[str, Any]:
        nexus = workflow.create_nexus_client(
            service=call["service"], endpoint=call["endpoint"]
        )
        try:
            output = await nexus.execute_operation(
                call["operation"],
                call["input"],
                schedule_to_close_timeout=timedelta(seconds=120),
            )
        except NexusOperationError as err:
            return describe(err)
        return {"outcome": "completed", "output": output}


def describe(err: NexusOperationError) -> dict[str, Any]:
    """The failure as a caller reads it: the handler error's type, if the handler
    refused, and the most specific message in the chain."""
    handler_error = None
    retryable = None
    cause: BaseException | None = err.cause
    message = str(err)
    while cause is not None:
        if isinstance(cause, nexusrpc.HandlerError):
            handler_error = cause.type.name
            retryable = cause.retryable
        message = cause.message if isinstance(cause, (FailureError, nexusrpc.HandlerError)) else str(cause)
        cause = cause.__cause__
    return {
        "outcome": "failed",
        "handler_error": handler_error,
        "retryable": retryable,
        "message": message,
    }


async def main(address: str, namespace: str, calls: list[dict[str, Any]]) -> None:
    client = await Client.connect(address, namespace=namespace)
    task_queue = f"python-nexus-caller-{uuid.uuid4()}"
    async with Worker(client, task_queue=task_queue, workflows=[PythonNexusCaller]):
        for call in calls:
            result = await client.execute_workflow(
                PythonNexusCaller.run,
                call,
                id=f"python-nexus-caller-{uuid.uuid4()}",
                task_queue=task_queue,
            )
            print(json.dumps(result), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], json.loads(sys.argv[3])))
    sys.stdout.flush()
    # The SDK's Rust core keeps threads that can outlive the interpreter's teardown,
    # which then aborts the process (temporalio/sdk-python#300): every answer is
    # printed, so leave without the teardown.
    os._exit(0)
