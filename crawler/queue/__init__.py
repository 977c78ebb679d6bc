"""The worker side of a crawl cluster: a Dramatiq queue on Redis, one Scrapy crawl per message.

Why Dramatiq rather than scrapy-redis: scrapy-redis 0.9.1 pops requests destructively (LPOP,
LRANGE+LTRIM, ZREM) with no acknowledgement, so a worker killed with SIGKILL loses every request
it had taken; its spider still reads seeds through the deprecated ``start_requests``; and its
dupefilter is one set per spider for ever, not per cycle. Dramatiq's Redis broker moves a taken
message into the worker's acknowledgement set, acknowledges it only when the actor returns, and
puts the messages of a worker whose heartbeat stopped back on the queue.
"""
