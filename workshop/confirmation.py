"""One confirmation step before a destructive POST (WCAG 2.2 SC 3.3.4), with or without JavaScript.

A form that deletes or cancels carries ``data-confirm``: with JavaScript, static/js/confirm.js asks in a
dialog and submits with ``confirmed=yes``. Without it the POST arrives unconfirmed and the view answers
with an "Are you sure?" page whose button posts the same action again, confirmed.
"""

from flask import render_template, request


def confirm_first(title: str, body: str, button: str, back_url: str, back_label: str = "No, go back"):
    """None when this POST is confirmed; else the "Are you sure?" page to answer with instead."""
    if request.form.get("confirmed") == "yes":
        return None
    action = request.full_path.rstrip("?")
    return render_template(
        "confirm.html", title=title, body=body, button=button, action=action,
        back_url=back_url, back_label=back_label,
    )
