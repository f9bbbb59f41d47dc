"""Seed the benchmark workshop into the app's database (run in its own process: `python -m bench.seed`)."""

import json
import os
from datetime import datetime, timedelta

VERDICT_PROMPT = "An NHS Trust and a patient campaign group co-run a social marketing campaign."  # demo.py's first
OPTIONS = 48  # a phone's k-th vote in a run picks answer k, so every vote (or change) adds exactly 1 to sum(k * n_k)


def main() -> None:
    """Create a facilitator, a workshop, a live-results multiple-choice poll, the demo's first verdict poll
    (live results: the room, phones included, sees the split by stance while it votes) and an open-text poll."""
    from workshop import create_app
    from workshop.accounts.service import save_facilitator
    from workshop.live.service import create_poll
    from workshop.planner.service import create_workshop, set_reactions_on

    app = create_app()
    with app.app_context():
        user = save_facilitator(os.environ["BENCH_EMAIL"], os.environ["BENCH_PASSWORD"], "Bench")
        start = datetime.now().replace(microsecond=0) + timedelta(days=1)
        workshop = create_workshop({"title": "Benchmark room", "slug": "bench-room", "join_code": "BENCH",
                                    "capacity": 10_000, "starts_at": start, "ends_at": start + timedelta(hours=2)}, user)
        poll = create_poll(workshop, "choice", "Which answer?", [f"Answer {n}" for n in range(OPTIONS)], show_live=True)
        set_reactions_on(workshop, True)  # as the demo: phones show the bar; the reaction phase storms it
        verdict = create_poll(workshop, "verdict", VERDICT_PROMPT, [], show_live=True)
        text = create_poll(workshop, "text", "One word for the room?", [], show_live=True,
                           settings={"per_person": 1, "max_length": 40})
        print(json.dumps({"code": workshop.join_code, "poll_id": poll.id, "text_poll_id": text.id,
                          "verdict_poll_id": verdict.id,
                          "stances": list(workshop.stances)}))


if __name__ == "__main__":
    main()
