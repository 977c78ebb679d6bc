"""The scheduler side of a crawl cluster: put a cycle's sources on the queue, wait, report."""
