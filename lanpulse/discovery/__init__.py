"""Discovery: subnet sweeps, LLDP/CDP crawls and imports -> inventory files; the endpoint table.

scope.py        the subnets discovery may send to (every send asks it first)
records.py      FoundDevice: what discovery learnt of one device
imports.py      CSV and NetBox exports -> FoundDevice (pure parsing)
inventory_file.py  merge found devices into an inventory YAML (hand edits kept), --diff
sweep.py        subnet sweep: credential sets in order, paced by rate and concurrency
identify.py     identity GET results -> FoundDevice (profile, class, site, duplicates)
tables.yaml     the LLDP/CDP/BRIDGE/IP-MIB columns discovery walks (data, not code)
topology.py     LLDP/CDP rows -> neighbours; crawl.py walks them from seeds
endpoints.py    FDB/ARP rows -> MAC -> IP -> switch port, first/last seen; `where`
service.py      scheduled discovery for the daemon
"""
