"""Approval workflows on BPMN 2.0 and DMN, run by SpiffWorkflow: definitions, instances, the approval inbox."""
