"""Feedback into training: users' flags on wrong results, and the flagged sets as datasets."""

from .export import ExportFile
from .formats import ExportFormat
from .service import FeedbackService, Report

__all__ = ["ExportFile", "ExportFormat", "FeedbackService", "Report"]
