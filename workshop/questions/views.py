"""Question wall pages."""

from flask import Blueprint

bp = Blueprint("questions", __name__)
