"""Scale-out: worker processes on one machine, poller groups across machines.

partition.py  rendezvous hashing of topology roots onto members (pure)
worker.py     one worker process: the daemon's pipeline with a shard of the inventory
supervisor.py N workers under one process that owns signals, logs and the HTTP endpoint
zk.py         poller groups on ZooKeeper (kazoo): membership, shards, session fencing
state.py      the small alert state a device keeps when it moves to another member
"""
