"""Dedupe: a page's transactions are new, changed or skipped against what was imported."""

from kasa_integrations.domain.dedupe import Known, content_of, fingerprint, plan_page
from kasa_integrations.plugins.demo import demo_transaction


def test_the_raw_record_does_not_change_the_fingerprint():
    tx = demo_transaction(1)
    assert fingerprint(tx) == fingerprint(tx.model_copy(update={"raw": {"fetched": "again"}}))
    assert fingerprint(tx) != fingerprint(tx.model_copy(update={"message": "other"}))
    assert "raw" not in content_of(tx)


def test_known_and_unchanged_is_skipped_new_is_new_changed_names_its_before():
    same, changed, new = demo_transaction(1), demo_transaction(2), demo_transaction(3)
    known = {
        same.external_id: Known(fingerprint(same), content_of(same)),
        changed.external_id: Known(fingerprint(changed), content_of(changed)),
    }
    corrected = changed.model_copy(update={"message": "corrected"})
    plan = plan_page([same, corrected, new], known)
    assert plan.counts == {"processed": 3, "created": 1, "updated": 1, "skipped": 1}
    [update] = plan.records_to_update()
    assert update.before["message"] == changed.message and update.content["message"] == "corrected"
    assert [n.tx.external_id for n in plan.records_to_insert()] == [new.external_id]


def test_re_reading_a_page_that_was_stored_changes_nothing():
    page = [demo_transaction(i) for i in range(5)]
    known = {t.external_id: Known(fingerprint(t), content_of(t)) for t in page}
    plan = plan_page(page, known)
    assert plan.counts == {"processed": 5, "created": 0, "updated": 0, "skipped": 5}
    assert plan.decisions == []


def test_an_id_new_and_changed_within_one_page_is_inserted_once_with_its_last_content():
    first = demo_transaction(4)
    later = first.model_copy(update={"message": "restated"})
    plan = plan_page([first, later, later], {})
    assert plan.counts == {"processed": 3, "created": 1, "updated": 1, "skipped": 1}
    [row] = plan.records_to_insert()
    assert row.content["message"] == "restated"
    assert plan.records_to_update() == [], "nothing was stored before this page"
    assert [type(d).__name__ for d in plan.decisions] == ["New", "Changed"], "import, then update"
