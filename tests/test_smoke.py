def test_book_and_conflict(spaces):
    assert spaces("resource", "add", "Room 1", "--kind", "room").code == 0
    booked = spaces("book", "Room 1", "2026-12-01T10:00", "12:00", "--title", "Band call", "--json")
    assert booked.code == 0, booked.err
    assert booked.json["status"] == "confirmed"
    clash = spaces("book", "Room 1", "2026-12-01T11:00", "13:00", "--title", "Other", "--json")
    assert clash.code == 3
    assert [c["id"] for c in clash.json["conflicts"]] == [booked.json["id"]]
