"""Read a strategy document and show (--dry-run) or save (--plan) its tree of goals and measures.

    manage.py import_plan FILE --dry-run [--json]
    manage.py import_plan FILE --plan PLAN_ID --user USERNAME

With --json, stdout carries only the JSON list of nodes ({"level", "number", "title"}) so that it
can be piped; skipped lines and warnings go to stderr.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from socplan.plans.importing import ImportFileError, ParseResult, parse_file, result_to_json


class Command(BaseCommand):
    help = (
        "Parse a strategy document (DOCX, DOC, ODT, PDF, TXT) into priorities, goals, measures, activities."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="the document to import")
        parser.add_argument("--dry-run", action="store_true", help="only show what was recognised")
        parser.add_argument("--json", action="store_true", help="print the nodes as JSON on stdout")
        parser.add_argument(
            "--plan", type=int, metavar="PLAN_ID", help="the plan whose draft receives the tree"
        )
        parser.add_argument(
            "--user", metavar="USERNAME", help="who makes the change (for permissions and history)"
        )

    def handle(self, *args, **options) -> None:
        path: Path = options["file"]
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Файлът не може да бъде прочетен / Cannot read the file: {exc}") from exc
        try:
            result = parse_file(data, path.name)
        except ImportFileError as exc:
            raise CommandError(str(exc)) from exc

        if options["dry_run"]:
            self._report(result, as_json=options["json"])
            return
        if options["plan"] is None:
            raise CommandError("Saving needs --plan PLAN_ID and --user USERNAME; use --dry-run to only look.")
        if not options["user"]:
            raise CommandError("Saving needs --user USERNAME: the change is checked and recorded as theirs.")
        version = self._apply(result, plan_id=options["plan"], username=options["user"])
        if options["json"]:
            self._report(result, as_json=True)
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"{len(result.nodes)} elements imported into plan {options['plan']} ({version})."
                )
            )

    def _apply(self, result: ParseResult, *, plan_id: int, username: str):
        # Imported here: the models and services need the app loaded, the dry run does not.
        from django.contrib.auth import get_user_model
        from django.core.exceptions import PermissionDenied, ValidationError

        from socplan.core.exceptions import ApplicationError
        from socplan.plans.models import Plan
        from socplan.plans.services import plan_import_apply

        try:
            plan = Plan.objects.get(pk=plan_id)
        except Plan.DoesNotExist:
            raise CommandError(f"No plan with id {plan_id}.") from None
        try:
            user = get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"No user {username!r}.") from None
        try:
            return plan_import_apply(plan=plan, result=result, user=user)
        except PermissionDenied:
            raise CommandError(f"{username} may not change plan {plan_id}.") from None
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        except ApplicationError as exc:
            raise CommandError(str(exc.message)) from exc

    def _report(self, result: ParseResult, *, as_json: bool) -> None:
        for line in result.skipped:
            self.stderr.write(f"skipped: {line}")
        for warning in result.warnings:
            self.stderr.write(f"warning: {warning}")
        if as_json:
            self.stdout.write(json.dumps(result_to_json(result), ensure_ascii=False, indent=1))
            return
        depth: list[int] = []
        for node in result.nodes:
            level = 0 if node.parent is None else depth[node.parent] + 1
            depth.append(level)
            number = f" {node.number}" if node.number else ""
            self.stdout.write(
                f"{'  ' * level}{node.label}{number}. {node.title}  [{node.level}, line {node.line}]"
            )
        self.stdout.write(f"— {len(result.nodes)} elements, {len(result.skipped)} lines skipped")
