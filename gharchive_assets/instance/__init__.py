"""What a Dagster instance loads by name from deploy/*.yaml: the local event log
and run launcher, the local instance's setup, the pools' slot keeper, and the
production instance's compute log manager."""
