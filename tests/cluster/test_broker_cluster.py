"""The broker is three nodes and every durable consumer queue is replicated to all of them."""

import asyncio

import pytest

pytestmark = [pytest.mark.cluster, pytest.mark.asyncio(loop_scope="session")]


async def test_every_quorum_queue_has_a_member_on_each_of_the_three_nodes(cluster):
    nodes = {node.name for node in cluster.rabbit.nodes}
    assert set(await asyncio.to_thread(cluster.rabbit.running_nodes)) == nodes

    queues = await asyncio.to_thread(cluster.rabbit.queues)
    quorum = {q["name"]: q for q in queues if q["type"] == "quorum"}
    # Every service declared its consumer queues (and their parking queues) on start.
    for queue in ("ledger.transactions", "audit.all", "ledger.transactions.parked"):
        assert queue in quorum, sorted(quorum)
    for name, queue in quorum.items():
        assert set(queue["members"]) == nodes, f"{name} lives on {queue['members']}"
        assert set(queue["online"]) == nodes, f"{name} is online on {queue['online']}"
    # Both replicas of each service connected, through the balancer, to more than one node.
    assert sum(1 for count in cluster.broker.connections.values() if count) == len(nodes)
