"""The public site for the blog: coverage per state and payer, a map, charts and a feed.

``gate`` decides which changes are published and with what words; ``model`` reads the site's
content from the reports' queries; ``glossary`` holds every word readers see; ``usmap``,
``charts``, ``pages``, ``markdown`` and ``feed`` render; ``evidence`` exports the archive inert;
``writer`` rewrites only what changed; ``site`` ties them together.
"""

from monitor.publish.evidence import BaseUrlError
from monitor.publish.site import PublishResult, publish_site

__all__ = ["BaseUrlError", "PublishResult", "publish_site"]
