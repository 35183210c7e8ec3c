"""Script steps template the values that differ from run to run (identities handed out by provider
states) and nothing else: a value met under several names is taken from the answer that names it
like the request does; amounts and short constants stay literal."""

from __future__ import annotations

from orderproof.engine.script import _dumps_template, _Known, _template_json


def known_from(*answers) -> _Known:
    known = _Known()
    for n, answer in enumerate(answers, start=1):
        known.add_answer(n, answer)
    return known


def test_a_shared_number_is_taken_from_the_answer_that_names_it():
    known = known_from({"userId": "user-4f2a9c", "sessionToken": "tok-0123456789"},
                       {"event_id": 5, "markets": [{"market_id": 5, "selections": [{"bet_id": 5, "name": "1"}]}]})
    body = {"eventId": "5", "marketId": "5", "selectionId": "5", "marketTypeId": "1", "userId": "user-4f2a9c",
            "sessionToken": "tok-0123456789", "stake": 5}
    templated = _template_json(body, known)
    assert templated["eventId"] == "{{answer:2:event_id:s}}"
    assert templated["marketId"] == "{{answer:2:markets.0.market_id:s}}"
    assert templated["selectionId"] == "{{answer:2:markets.0.selections.0.bet_id:s}}"
    assert templated["userId"] == "{{answer:1:userId:s}}" and templated["sessionToken"] == "{{answer:1:sessionToken:s}}"
    assert templated["marketTypeId"] == "1" and templated["stake"] == 5          # constants and amounts stay


def test_an_integer_id_is_written_bare_and_amounts_are_never_identities():
    known = known_from({"memberid": 100014, "balance": "1000000.00"},
                       {"orders": [{"balance_after": "0.00", "ticketId": "1950539296441509659"}]})
    text = _dumps_template(_template_json({"memberid": 100014, "amount": "1000000.00", "balance": "0.00"}, known))
    assert text == '{"memberid": {{answer:1:memberid:i}}, "amount": "1000000.00", "balance": "0.00"}'


def test_a_long_identity_inside_a_string_is_replaced():
    known = known_from({"sessionToken": "abcdefgh-1234"})
    assert known.in_text("Bearer abcdefgh-1234") == "Bearer {{answer:1:sessionToken:s}}"


def test_an_id_answered_as_digits_and_sent_as_a_number_is_filled_as_an_integer(tmp_path):
    from orderproof.report.fill import render

    known = known_from({"memberid": "100014"})
    text = _dumps_template(_template_json({"memberid": 100014}, known))
    assert text == '{"memberid": {{answer:1:memberid:i}}}'
    (tmp_path / "1.answer").write_text('{"memberid": "100021"}')
    (tmp_path / "salt").write_text("7")
    assert render(text, tmp_path, {}, "0") == '{"memberid": 100021}'


def test_a_field_named_after_the_entity_takes_its_id_and_an_unrelated_number_stays():
    known = known_from({"event_id": 29, "markets": [{"selections": [{"bet_id": 85}]}]})
    text = _dumps_template(_template_json({"event": 29, "bets": [85], "price": 85, "stake": 29}, known))
    assert text == ('{"event": {{answer:1:event_id:i}}, "bets": [{{answer:1:markets.0.selections.0.bet_id:i}}], '
                    '"price": 85, "stake": 29}')


def test_a_body_clock_reading_is_sent_anew_and_an_old_time_or_another_field_stays(tmp_path):
    import time

    from orderproof.report.fill import render

    now_ms = int(time.time() * 1000)
    body = {"timestamp": str(now_ms), "qTime": now_ms, "createdTime": "1640995200000", "ticketId": now_ms}
    text = _dumps_template(_template_json(body, _Known()))
    assert text == ('{"timestamp": "{{now_ms}}", "qTime": {{now_ms}}, "createdTime": "1640995200000", '
                    f'"ticketId": {now_ms}}}')
    (tmp_path / "salt").write_text("7")
    assert render(text, tmp_path, {}, "1900000000").startswith('{"timestamp": "1900000000000", "qTime": 1900000000000,')


def test_a_key_that_is_not_a_uuid_carries_a_fresh_value_a_replay_salts_anew():
    known = _Known()
    known.add_fresh([("big", 9007199254740993)])
    assert known.in_text("not-a-uuid-9007199254740993") == "not-a-uuid-{{fresh:0:s}}"


def test_every_step_of_a_script_takes_the_one_clock_reading_of_its_run(tmp_path, monkeypatch):
    """A repeat (the same key and body, sent twice) stays the same request across a second boundary."""
    import json
    import time

    from orderproof.report import fill

    steps, work = tmp_path / "steps", tmp_path / "work"
    steps.mkdir()
    work.mkdir()
    (steps / "meta.json").write_text(json.dumps({"fresh": []}))
    for number in ("1", "2"):
        (steps / f"{number}.json").write_text(json.dumps({
            "method": "POST", "url": "http://127.0.0.1:9/bets", "headers": {}, "body": '{"timestamp": "{{now_ms}}"}'}))
    (work / "salt").write_text("7")
    (work / "now").write_text("1900000000\n")
    for number, clock in (("1", 1900000000.9), ("2", 1900000001.2)):
        monkeypatch.setattr(time, "time", lambda clock=clock: clock)
        assert fill.main(str(steps), str(work), number) == 0
    assert (work / "1.body").read_bytes() == (work / "2.body").read_bytes() == b'{"timestamp": "1900000000000"}'
