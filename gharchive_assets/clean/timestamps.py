"""Archive timestamps → microseconds since the epoch, UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_MICROSECOND = timedelta(microseconds=1)
_CACHE: dict[str, int] = {}
_CACHE_LIMIT = 200_000


def timestamp_micros(text) -> int | None:
    """The instant of an ISO-8601 timestamp (any offset; none means UTC), or None.

    Cached: an hour's events share a few thousand distinct seconds.
    """
    if type(text) is not str:
        return None
    micros = _CACHE.get(text)
    if micros is None:
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            try:
                moment = datetime.strptime(text, "%Y/%m/%d %H:%M:%S %z")
            except ValueError:
                return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        micros = (moment - EPOCH) // ONE_MICROSECOND
        if len(_CACHE) >= _CACHE_LIMIT:
            _CACHE.clear()
        _CACHE[text] = micros
    return micros


def iso(micros: int | None) -> str | None:
    return None if micros is None else (EPOCH + micros * ONE_MICROSECOND).isoformat()
