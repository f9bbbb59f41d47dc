"""Reactions with two real app processes behind nginx (PostgreSQL, Redis): taps on both processes are counted
once, and projectors on either process get one coalesced stream whose ticks add up to the stored totals."""

import time

from tests.cluster.conftest import phone, projector

TICK = 0.1  # TALLY_INTERVAL in the server processes


def test_taps_on_both_processes_reach_projectors_on_both_once(cluster, seed):
    workshop = seed.workshop(reactions_on=True)
    screens = [projector(cluster.app_url(i), workshop["code"]) for i in (0, 1)]
    for screen in screens:  # Screen records state and tallies; reactions too, from here on
        screen.sio.on("reaction_tally", screen._recorder("reaction_tally"), namespace="/live")
    phones = [phone(cluster.app_url(i % 2), workshop["code"]) for i in range(8)]
    try:
        acks = [
            p.sio.call("react", {"reaction": "clap" if n < 6 else "wow"}, namespace="/live", timeout=10)
            for n, p in enumerate(phones)
        ]
        assert all(ack["ok"] for ack in acks), acks
        # Acknowledged means stored: the database holds every tap, counted, not one row each.
        stored = seed.scalar("SELECT SUM(count) FROM reaction_count WHERE workshop_id = :w", w=workshop["id"])
        assert stored == 8
        assert seed.scalar("SELECT COUNT(*) FROM reaction_count WHERE workshop_id = :w", w=workshop["id"]) == 2
        want = {"clap": 6, "wow": 2}
        for screen in screens:
            screen.wait_for(lambda s=screen: [t for t in s.events("reaction_tally") if t["totals"] == want], timeout=5)
        time.sleep(3 * TICK)
        for screen in screens:
            ticks = screen.events("reaction_tally")
            # One stream (the leader's): the ticks add up to the totals, never counted twice by two processes.
            assert {k: sum(t["tick"].get(k, 0) for t in ticks) for k in want} == want, ticks
        assert screens[0].events("reaction_tally") == screens[1].events("reaction_tally")
    finally:
        for client in phones + screens:
            client.close()
