"""Names of the cluster's own Redis keys (Dramatiq keeps its queue under the same namespace)."""

from __future__ import annotations

from dataclasses import dataclass

QUEUE = "crawl"  # the Dramatiq queue of crawl batches
ACTOR = "crawl_batch"
CYCLE_TTL = 7 * 24 * 3600  # seconds a finished cycle's bookkeeping stays readable


@dataclass(frozen=True)
class Keys:
    namespace: str

    def done(self, cycle_id: str) -> str:
        """Hash: source id → JSON result, written once the fetch is stored."""
        return f"{self.namespace}:cycle:{cycle_id}:done"

    def closed(self, cycle_id: str) -> str:
        """Set when the scheduler stopped waiting: later messages of the cycle are dropped."""
        return f"{self.namespace}:cycle:{cycle_id}:closed"

    def total(self, cycle_id: str) -> str:
        return f"{self.namespace}:cycle:{cycle_id}:total"

    @property
    def current_cycle(self) -> str:
        return f"{self.namespace}:cycle:current"

    def worker(self, worker_id: str) -> str:
        """Hash: what one worker is doing (expires when it stops sending heartbeats)."""
        return f"{self.namespace}:worker:{worker_id}"

    @property
    def workers_pattern(self) -> str:
        return f"{self.namespace}:worker:*"

    def host(self, netloc: str) -> str:
        """The lease on one site: held during a download, then kept for the politeness delay."""
        return f"{self.namespace}:host:{netloc}"

    @property
    def queue(self) -> str:
        """Dramatiq's list of waiting message ids (see its brokers/redis/dispatch.lua)."""
        return f"{self.namespace}:{QUEUE}"

    @property
    def delay_queue(self) -> str:
        """Dramatiq's delayed messages (retries waiting for their backoff)."""
        return f"{self.namespace}:{QUEUE}.DQ.msgs"
