{{ config(meta={'dagster': {'ref': {'name': 'issue_labels_daily'}}}) }}
-- Every label on every issue event is counted once.
{{ reconciliation_gaps(
    ref('issue_labels_daily'),
    [
        "sum(issue_events)",
    ],
    ref('stg_gharchive__issues_events'),
    [
        "sum(array_length(labels))",
    ],
) }}
