from kasa_ops.chain_anchors import CHECK_BATCH, check_anchors


async def test_anchors_are_sent_in_batches_and_every_failure_is_reported_in_chain_order():
    anchors = [{"workspace_id": "w", "seq": n, "hash": "h"} for n in range(CHECK_BATCH + 5, 0, -1)]
    batches = []

    async def post(body):
        batches.append(len(body["anchors"]))
        failed = [{**a, "status": "differs"} for a in body["anchors"] if a["seq"] % 500 == 0]
        return {"ok": not failed, "checked": len(body["anchors"]), "failed": failed}

    result = await check_anchors(anchors, post)

    assert batches == [CHECK_BATCH, 5]
    assert (result["ok"], result["read"], result["checked"]) == (False, 1005, 1005)
    assert [f["seq"] for f in result["failed"]] == [500, 1000]


async def test_no_anchors_to_check_is_not_a_failure():
    async def post(body):
        raise AssertionError("nothing to send")

    assert await check_anchors([], post) == {"ok": True, "read": 0, "checked": 0, "failed": []}
