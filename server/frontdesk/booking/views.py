"""STUB — to be implemented: /b/<token>, /b/<token>.ics and /calendar/<secret>.ics."""

from flask import Blueprint

bp = Blueprint("booking", __name__)
