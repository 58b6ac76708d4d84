"""Scale-out: worker processes on one machine, poller groups across machines (docs/scaling.md).

partition.py  rendezvous hashing of topology roots onto members (pure)
capacity.py   polls/s and cores an estate needs; the default number of workers
launch.py     `lanpulse run`: one process, a supervisor with workers, or a group member
worker.py     one worker process: the daemon's pipeline with a shard of the inventory
supervisor.py N workers under one process that owns signals, logs and the HTTP endpoint
calls.py      the supervisor's requests to its workers over their stdin/stdout pipes
status.py     the supervisor's status page: its workers' state, asked for and merged
silences.py   the supervisor's silences and acks, pushed to every worker
zk.py         poller groups on ZooKeeper (kazoo): versioned views, shards, hand-over barrier
fence.py      the two leases (answered request, every server refusing) that allow polling
zk_client.py  the kazoo client: TLS and digest auth, granted timeout, TLS check at start
state.py      the small alert state a device keeps when it moves to another member
"""
