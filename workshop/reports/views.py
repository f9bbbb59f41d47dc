"""Report pages and exports."""

from flask import Blueprint

bp = Blueprint("reports", __name__)
