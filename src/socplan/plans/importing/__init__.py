"""Import of strategy documents: file → text blocks → a tree of priorities, goals, measures, activities.

Pure Python, no database: the views show the parsed tree as a preview, and
socplan.plans.services.plan_import_apply saves it into a plan.
"""

from .extract import MAX_IMPORT_BYTES, Block, ImportFileError, extract_blocks
from .parser import LEVELS, ParsedNode, ParseResult, parse_blocks, parse_file, result_to_json

__all__ = [
    "LEVELS",
    "MAX_IMPORT_BYTES",
    "Block",
    "ImportFileError",
    "ParseResult",
    "ParsedNode",
    "extract_blocks",
    "parse_blocks",
    "parse_file",
    "result_to_json",
]
