"""Poller groups on ZooKeeper (placeholder replaced below)."""


async def run_member(config_path: str) -> int:
    """Join the configured poller group and poll this member's shard until stopped."""
    raise NotImplementedError(config_path)
