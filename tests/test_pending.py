"""pending: the one merge of the writer's unstored rows with stored ones."""
from types import SimpleNamespace

from soporte.relay import pending


def row(message_id, conversacion="ana", de="ana"):
    """An unstored row as the writer holds it (only what the merge reads)."""
    return {"id": message_id, "conversacion": conversacion, "de_usuario": de}


def test_matching_filters_by_conversation_ids_and_author():
    rows = [row(1), row(2, de="admin"), row(3), row(4, conversacion="bea")]
    assert pending.matching(rows, "ana", after=1, before=4) == [row(2, de="admin"), row(3)]
    assert pending.matching(rows, author=lambda de: de != "ana") == [row(2, de="admin")]


def test_merge_keeps_the_stored_message_of_an_id_found_twice():
    found = pending.merge({2: "stored"}, [row(2), row(5)], lambda r: f"unstored {r['id']}")
    assert found == {2: "stored", 5: "unstored 5"}


def test_in_id_order_takes_the_oldest_or_the_newest():
    found = {3: "c", 1: "a", 2: "b"}
    assert pending.in_id_order(found) == ["a", "b", "c"]
    assert pending.in_id_order(found, 2) == ["a", "b"]
    assert pending.in_id_order(found, 2, newest=True) == ["b", "c"]


def test_newest_ids_per_conversation():
    assert pending.newest_ids([row(4), row(2), row(3, conversacion="bea")]) == {"ana": 4, "bea": 3}


def test_interleave_puts_each_id_once_in_order():
    stored = [SimpleNamespace(id=i) for i in (2, 4, 6)]
    merged = pending.interleave(stored, [row(7), row(1), row(4), row(5)])
    assert [m.id if isinstance(m, SimpleNamespace) else ("unstored", m["id"]) for m in merged] == [
        ("unstored", 1), 2, 4, ("unstored", 5), 6, ("unstored", 7)]
