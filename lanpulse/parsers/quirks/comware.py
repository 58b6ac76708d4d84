"""HH3C-STACK-MIB (Comware IRF): one `stack_member` row per member of the fabric.

hh3cStackDeviceConfigTable gives each member's id and priority, indexed by the member's
chassis entPhysicalIndex. The role is not in that table: it is the role of the member's
main processing unit in hh3cStackBoardConfigTable, indexed by the *board's*
entPhysicalIndex and pointing back at its member with hh3cStackBoardBelongtoMember, so
the two tables are joined here by member id.

hh3cStackBoardRole: 1 slave (a standby MPU: the member is a subordinate, "standby" in IRF
terms), 2 master, 3 loading (a standby MPU loading the image from the master: the member
is joining), 4 other. A chassis member with two MPUs has two boards; master wins over
loading, loading over standby. A member leaving the fabric leaves the device table (its
series stops), so `health` says only whether a present member is still loading.
"""

from __future__ import annotations

from lanpulse.parsers.rows import Row, RowContext
from lanpulse.parsers.values import as_text

BOARD_ROLE = "1.3.6.1.4.1.25506.2.91.3.1.1"  # hh3cStackBoardRole
BOARD_MEMBER = "1.3.6.1.4.1.25506.2.91.3.1.2"  # hh3cStackBoardBelongtoMember
ROLES = {1: "standby", 2: "master", 3: "loading", 4: "member"}
RANK = {"master": 3, "loading": 2, "standby": 1, "member": 0}


def irf_members(rows: list[Row], ctx: RowContext) -> list[Row]:
    """Member id from the `member` extra; role and health from the member's boards."""
    roles: dict[str, str] = {}
    board_member = ctx.column(BOARD_MEMBER)
    for board, code in ctx.column(BOARD_ROLE).items():
        role = ROLES.get(code) if isinstance(code, int) else None
        member = board_member.get(board)
        if role is None or member is None:
            continue
        key = as_text(member) if isinstance(member, bytes) else str(member)
        if RANK[role] > RANK.get(roles.get(key, ""), -1):
            roles[key] = role
    out: list[Row] = []
    for row in rows:
        member = row.extra.get("member")
        if member is None:
            continue
        row.tags["member"] = as_text(member) if isinstance(member, bytes) else str(member)
        role = roles.get(row.tags["member"])
        if role is not None:
            row.tags["role"] = role
            row.fields["health"] = 1 if role == "loading" else 0
        out.append(row)
    return out
