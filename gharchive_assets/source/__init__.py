"""Where hours come from: ``resource`` is GH Archive over HTTP(S) or a
``file://`` mirror, as the Dagster resource the raw asset and the sensor use,
with the errors a source answers and the checks of what it serves."""
