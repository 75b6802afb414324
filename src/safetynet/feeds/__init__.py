"""Monthly department feeds: specs, readers, validation, quarantine and the Parquet lake.

See docs/feeds.md. The pure parts (:mod:`.specs`) import no framework; :mod:`.service` ties
reading, validation, the lake and the database together.
"""

from safetynet.feeds.specs import SOURCES, SPECS, FeedRefused, FeedSpec, Field, get_spec

__all__ = ["SOURCES", "SPECS", "FeedRefused", "FeedSpec", "Field", "get_spec"]
