"""Report pages and exports."""

import json

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for

from ..exports import csv_response
from ..live.models import VERDICTS
from ..planner.access import facilitator_required
from . import service, transfer
from .charts import report_charts

bp = Blueprint("reports", __name__)


def _render(workshop, shared: bool):
    report = service.build_report(workshop)
    return render_template("reports/report.html", workshop=workshop, report=report,
                           charts=report_charts(report), shared=shared)


@bp.route("/planner/<slug>/report")
@facilitator_required
def report(workshop):
    """The after-session report, with sharing, exports and the retention button."""
    return _render(workshop, shared=False)


@bp.route("/report/<token>")
def shared(token):
    """The report at its secret link: aggregates only, no login."""
    workshop = service.workshop_by_report_token(token)
    if workshop is None:
        abort(404, description="This report link is not valid (it may have been withdrawn).")
    response = Response(_render(workshop, shared=True))
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@bp.route("/planner/<slug>/report/share", methods=["POST"])
@facilitator_required
def share(workshop):
    """Publish the report at a new secret link, or withdraw it."""
    if request.form.get("action") == "unshare":
        service.unshare_report(workshop)
        flash("The shared link no longer works.", "success")
    else:
        service.share_report(workshop)
        flash("The report is shared at a new secret link (any older link stops working).", "success")
    return redirect(url_for("reports.report", slug=workshop.slug))


@bp.route("/planner/<slug>/report/purge", methods=["POST"])
@facilitator_required
def purge(workshop):
    """Erase personal data after the event; the aggregates stay."""
    if request.form.get("confirm") != "yes":
        flash("Tick the box to confirm: erasing personal data cannot be undone.", "error")
    else:
        done = service.purge_personal_data(workshop)
        flash(f"Personal data erased from {done['registrations']} registrations and {done['questions']} questions. "
              "The figures below are unchanged.", "success")
    return redirect(url_for("reports.report", slug=workshop.slug))


@bp.route("/planner/<slug>/report/votes.csv")
@facilitator_required
def votes_csv(workshop):
    """Votes aggregated per poll, run, stance and answer (stance groups under the minimum are hidden)."""
    header = ["poll", "prompt", "kind", "round", "stance", "item", "answer", "votes"]
    return csv_response(f"{workshop.slug}-votes.csv", header, _vote_rows(service.polls_report(workshop)))


def _vote_rows(polls):
    for poll in polls:
        if poll["kind"] == "text":
            yield from _word_rows(poll)
            continue
        items = poll["options"] if poll["kind"] == "classic" else [""]
        for run in poll["rounds"]:
            groups = [{"stance": "All", "counts": run["counts"]}, *run["by_stance"]]
            for group in groups:
                base = [poll["position"] + 1, poll["prompt"], poll["kind"], run["round"], group["stance"]]
                if group.get("hidden"):
                    yield [*base, "", f"(hidden so no one's vote can be worked out: groups under {run['min_group']} votes)", ""]
                    continue
                for i, item in enumerate(items):
                    counts = group["counts"][i] if poll["kind"] == "classic" else group["counts"]
                    for key, n in counts.items():
                        yield [*base, item, poll["labels"].get(key, key), n]


def _word_rows(poll):
    """An open-text poll: per run, every word (people who gave it, overall and per shown stance) and held answers;
    ``item`` says when a facilitator hid the word."""
    for run in poll["rounds"]:
        base = [poll["position"] + 1, poll["prompt"], poll["kind"], run["round"]]
        for word in run["all"]:
            mark = "hidden by a facilitator" if word["hidden"] else ""
            yield [*base, "All", mark, word["key"], word["n"]]
            for stance, n in word["by_stance"].items():
                yield [*base, stance, mark, word["key"], n]
            if word["other"]:
                yield [*base, f"(groups under {run['min_group']} people)", mark, word["key"], word["other"]]
        for status in ("held", "rejected"):
            for answer in run[status]:
                yield [*base, "", "held, never approved" if status == "held" else "rejected", answer["text"], ""]


@bp.route("/planner/<slug>/report/predictions.csv")
@facilitator_required
def predictions_csv(workshop):
    """The perception gap per predicted poll, run and side (live/perception.py: hidden groups left out)."""
    header = ["poll", "prompt", "round", "side", "votes", "chose", "chose_pct", "snog_pct", "marry_pct", "avoid_pct",
              "predicted_by", "predictions", "predicted", "predicted_pct", "predicted_snog_pct", "predicted_marry_pct",
              "predicted_avoid_pct", "gap"]
    return csv_response(f"{workshop.slug}-predictions.csv", header, _prediction_rows(service.polls_report(workshop)))


def _prediction_rows(polls):
    for poll in polls:
        for run in poll["rounds"]:
            if not run.get("perception"):
                continue
            base = [poll["position"] + 1, poll["prompt"], run["round"]]
            for side in run["perception"]["sides"]:
                if side.get("hidden"):
                    yield [*base, side["stance"], "", "(hidden so no one's vote or prediction can be worked out)",
                           *[""] * 14]
                    continue
                guess = side["predicted"] or {"answer": "", "pct": "", "n": 0, "shares": dict.fromkeys(VERDICTS, "")}
                yield [*base, side["stance"], side["votes"], side["chose"]["answer"], side["chose"]["pct"],
                       *(side["shares"][v] for v in VERDICTS), side["by"] or "", guess["n"], guess["answer"],
                       guess["pct"], *(guess["shares"][v] for v in VERDICTS),
                       side["line"] or "(too few predictions to show)"]


@bp.route("/planner/<slug>/report/reactions.csv")
@facilitator_required
def reactions_csv(workshop):
    """Reactions per segment (everyone) and per stance over the session (hidden groups as in the report)."""
    header = ["segment", "stance", "people", "reaction", "name", "count"]
    return csv_response(f"{workshop.slug}-reactions.csv", header, _reaction_rows(service.reactions_report(workshop)))


def _reaction_rows(reactions):
    if not reactions:
        return
    for row in reactions["segments"]:
        for r in reactions["reactions"]:
            yield [row["title"], "All", "", r["emoji"], r["name"], row["counts"][r["key"]]]
    for group in reactions["by_stance"]:
        if group.get("hidden"):
            note = f"(hidden so no one's reactions can be worked out: groups under {reactions['min_group']} people)"
            yield ["Whole session", group["stance"], "", "", note, ""]
            continue
        for r in reactions["reactions"]:
            yield ["Whole session", group["stance"], group["people"], r["emoji"], r["name"], group["counts"][r["key"]]]


@bp.route("/planner/<slug>/report/workshop.json")
@facilitator_required
def workshop_json(workshop):
    """The whole workshop as one JSON file (docs/export-format.md); loads back with import-workshop."""
    body = json.dumps(transfer.export_workshop(workshop), indent=2, ensure_ascii=False)
    return Response(body, mimetype="application/json",
                    headers={"Content-Disposition": f"attachment; filename={workshop.slug}.json"})
