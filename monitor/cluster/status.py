"""What the cluster is doing: workers alive, queue depth, sources in flight, per-worker rate."""

from __future__ import annotations

import time
from typing import Any

from crawler.config import Config
from crawler.queue.keys import Keys


def _text(value: Any, default: str = "") -> str:
    return str(value) if value is not None else default


def cluster_status(cfg: Config, *, now: float | None = None) -> dict[str, Any]:
    """A JSON-ready snapshot; raises ``redis.RedisError`` when Redis cannot be reached."""
    import redis

    now = time.time() if now is None else now
    keys = Keys(cfg.cluster.namespace)
    client = redis.Redis.from_url(cfg.cluster.queue_url, socket_timeout=10, decode_responses=True)
    try:
        workers = []
        for key in sorted(client.scan_iter(match=keys.workers_pattern, count=500)):
            data: dict[str, Any] = {str(k): v for k, v in client.hgetall(key).items()}
            if not data:
                continue  # expired between the scan and the read
            started = float(_text(data.get("started"), "0"))
            last_seen = float(_text(data.get("last_seen"), "0"))
            done = int(_text(data.get("sources_done"), "0"))
            minutes = max((now - started) / 60, 1 / 60)
            workers.append(
                {
                    "id": str(key).rsplit(":", 1)[-1],
                    "host": _text(data.get("host")),
                    "pid": int(_text(data.get("pid"), "0")),
                    "seconds_since_heartbeat": round(now - last_seen, 1),
                    "sources_in_flight": int(_text(data.get("inflight"), "0")),
                    "sources_done": done,
                    "sources_per_minute": round(done / minutes, 2),
                    "cycle": _text(data.get("cycle")),
                }
            )
        cycle_id = _text(client.get(keys.current_cycle)) or None
        cycle = None
        if cycle_id:
            cycle = {
                "id": cycle_id,
                "sources": int(_text(client.get(keys.total(cycle_id)), "0")),
                "done": int(client.hlen(keys.done(cycle_id))),
                "closed": bool(client.exists(keys.closed(cycle_id))),
            }
        return {
            "queue": keys.queue,
            "workers_alive": len(workers),
            "queue_depth": int(client.llen(keys.queue)),
            "retries_waiting": int(client.hlen(keys.delay_queue)),
            "sources_in_flight": sum(w["sources_in_flight"] for w in workers),
            "workers": workers,
            "cycle": cycle,
        }
    finally:
        client.close()
