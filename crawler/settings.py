"""Scrapy settings for policywatch: polite by default.

The runner (crawler/runner.py) overrides a few values from policywatch.toml; everything a polite
production crawler needs is set here so that `scrapy crawl policies` behaves the same.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    VERSION = version("policywatch")
except PackageNotFoundError:  # running from a checkout that was not installed
    VERSION = "0.0.0"

BOT_NAME = "policywatch"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

CONTACT = "https://github.com/policywatch/policywatch"
USER_AGENT = f"policywatch/{VERSION} (+{CONTACT})"

# Politeness: robots.txt, one request at a time per site, adaptive delays.
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 1
DOWNLOAD_DELAY = 1.0
# LatencyThrottle (crawler/throttle.py) replaces Scrapy's AutoThrottle and reads the same
# AUTOTHROTTLE_* settings: the delay follows each site's latency on every answer, 304s included,
# never below DOWNLOAD_DELAY or the site's robots.txt Crawl-delay, and backs off on 429/503.
EXTENSIONS = {
    "scrapy.extensions.throttle.AutoThrottle": None,
    "crawler.throttle.LatencyThrottle": 0,
}
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 50 * 1024 * 1024
DOWNLOAD_WARNSIZE = 0

RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
POLICYWATCH_RETRY_BACKOFF = 2.0
POLICYWATCH_RETRY_BACKOFF_MAX = 120.0
DOWNLOADER_MIDDLEWARES = {
    # No spider sets allowed_domains or http_user: both would only cost a call per request.
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "scrapy.downloadermiddlewares.httpauth.HttpAuthMiddleware": None,
    # First: a redirect or link to an internal address is refused before anything is sent.
    "crawler.middlewares.AddressPolicyMiddleware": 50,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.BackoffRetryMiddleware": 550,
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.middlewares.SharedRobotsTxtMiddleware": 100,
    # After retries and robots.txt: adds the CMS Coverage API licence token to detail requests.
    "crawler.cms_auth.CmsAuthMiddleware": 590,
}
# Hosts (host or host:port) whose /v1/data/ endpoints need the licence token.
CMS_API_HOSTS = ["api.coverage.cms.gov"]
CMS_API_TOKEN_TTL = 55 * 60  # seconds; public clients refresh the token hourly

# Order matters: hash and compare first, extract only new versions, then write in batches.
ITEM_PIPELINES = {
    "crawler.pipelines.dedupe.DedupePipeline": 100,
    "crawler.pipelines.extract.ExtractPipeline": 200,
    "crawler.pipelines.store.StorePipeline": 300,
}

# The extraction pool (crawler/pipelines/pool.py) awaits asyncio futures: say which reactor.
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
# Responses held while their items are parsed and stored; above this Scrapy stops scheduling
# downloads. Scrapy's 5 MB would stall them behind one big PDF in the extraction pool.
SCRAPER_SLOT_MAX_ACTIVE_SIZE = 32 * 1024 * 1024
# Outputs of one response processed at once. The spider yields one outcome per response, and
# Scrapy (2.13+) starts this many asyncio tasks for every response whatever it yields: its
# default of 100 made those tasks the largest Python cost of an all-304 cycle.
CONCURRENT_ITEMS = 1

# Nothing listening that a crawler does not need.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
COOKIES_ENABLED = False
HTTPCACHE_ENABLED = False

LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"

# policywatch's own settings (the runner fills them from the config file).
POLICYWATCH_DB_URL = None  # None: $POLICYWATCH_DB or the default SQLite file
POLICYWATCH_SOURCE_FILES: list[str] = []  # empty: policywatch.toml's sources, else the shipped ones
POLICYWATCH_SOURCE_IDS: list[str] = []  # empty: every enabled source
POLICYWATCH_BATCH_SIZE = 200  # fetch records written per transaction
POLICYWATCH_EXTRACT = True  # run extraction on new versions
POLICYWATCH_EXTRACT_WORKERS = -1  # extraction processes; -1: one per core; 0: in the crawl process
POLICYWATCH_EXTRACTOR = "crawler.extract.extract"  # module.function run on each new version
# Seconds one document may take in the pool before its workers are killed and it is recorded as
# unparseable; 0: no limit. (Parsing in the crawl process, workers = 0, cannot be stopped.)
POLICYWATCH_EXTRACT_TIMEOUT = 300.0
POLICYWATCH_ALLOW_PRIVATE: list[str] = []  # [crawl] allow_private: internal hop targets allowed
POLICYWATCH_INTERNAL_NETWORKS: list[str] = []  # empty: every non-public range is internal
POLICYWATCH_BATCH_BYTES = 8 * 1024 * 1024  # bodies buffered before a write, at most
POLICYWATCH_CMS_MAX_PAGES = 200  # CMS Coverage API report pages followed per index
