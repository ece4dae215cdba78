"""Blocks → the tree of a strategy: priorities, general goals, specific goals, measures, activities.

Bulgarian strategies for social services mark every element of the plan with a word and a number
at the start of a paragraph ("Мярка 4.2.1. Изграждане на капацитет …"). The same words also occur in
running prose ("… определено като Приоритетно направление 5 в Областната стратегия …"), in tables of
contents and in overviews that list the goals before they are written out. The rules, in the order
they are applied to each line:

1. Table-of-contents lines (TOC paragraph styles, dot leaders, a tab before a page number after a
   heading) and page furniture ("страница 13/15", "стр. 5", "- 12 -", a lone page number, a PDF
   header or footer: the same line at the same place of at least three pages) are removed and
   listed in `skipped`.
2. A bullet at the start ("•", "-", "–", "*", "o", "") is removed and remembered; the line is
   written back as "• …" in the description.
3. A label counts only at the start of the line and only when a number or a Roman numeral follows
   (or ":" / "–" for an unnumbered one, e.g. "Поддейност:"); a number followed by a comma
   ("Мярка 1.1, 1.2 и …") or by a verb or preposition ("… 5 в Областната …", "… 1.1 е …") is prose.
4. Table rows written as text ("Мярка 1.1 | текст") are split into cells. A heading without a title
   (a cell "Мярка 1.1" with the title in the next cell) takes the next short paragraph as title.
5. PDF lines are joined back into paragraphs where a line continues the previous one (see
   `_continues`), and a label broken from its number by a narrow column ("Мярка" / "1.1.1") is
   put together again.
6. Everything else is description of the nearest preceding node, or preamble before the first one.
   Nothing is dropped except what is listed in `skipped`.

Merging: an element listed in an overview and written out later (same level, same number) is one
node, kept at its first position. The longer title wins, on the ground that an overview is a
summary and the detailed heading is the full wording; when the two are equally long the later one
wins. If the other title has words the kept one lacks, it is added to the description (and a
warning says so), so that no wording is lost. Multi-part numbers ("4.2.1") identify a node across
the document; single numbers and Roman numerals often restart in each priority, so they merge only
under the same parent.

Parents: a number such as "4.2.1" names its parent ("4.2"); that node is preferred when it exists,
otherwise the nearest preceding node of a higher level. The nearest preceding node is kept instead
when it lies inside the named parent and its own number does not contradict (measures numbered per
priority, "Мярка 1.2", under "Специфична цел 1.1"). Levels may be skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .extract import Block, extract_blocks

__all__ = ["LEVELS", "ParseResult", "ParsedNode", "parse_blocks", "parse_file", "result_to_json"]

LEVELS = ("priority", "general_goal", "specific_goal", "measure", "activity")
_RANK = {level: rank for rank, level in enumerate(LEVELS)}

# The words that mark an element, lower case, words separated by one space.
_LABELS: dict[str, str] = {
    "приоритетно направление": "priority",
    "приоритет": "priority",
    "направление": "priority",
    "обща цел": "general_goal",
    "стратегическа цел": "general_goal",
    "специфична цел": "specific_goal",
    "оперативна цел": "specific_goal",
    "мярка": "measure",
    "поддейност": "activity",
    "дейност": "activity",
}
_SUB_ACTIVITY = "поддейност"

# Longest first, so that "Приоритетно направление" is not read as "Приоритет" + "но …".
_LABEL_ALT = "|".join(r"\s+".join(label.split()) for label in sorted(_LABELS, key=len, reverse=True))
_LABEL_PATTERNS = [(label, re.compile(r"\s+".join(label.split()), re.IGNORECASE)) for label in _LABELS]
# At most three digits a part: "Приоритет 2011" is a year, not priority 2011. Atomic, so that
# "Мярка 1.1а" does not back off to "1" and read ".1а" as the title.
_NUMBER = r"(?>[0-9]{1,3}(?:\.[0-9]{1,3})*)"
# Latin and the Cyrillic look-alikes (І, Х) that Bulgarian typists use for Roman numerals; upper
# case only, so that a word cannot be read as one. I–XXXIX is more than any plan has.
_ROMAN_CHARS = "IVXІХ"
_ROMAN_VALID = re.compile(r"X{0,3}(?:IX|IV|V?I{0,3})")
_ROMAN_LATIN = str.maketrans("ІХ", "IX")

_NUMBERED_RE = re.compile(
    rf"(?P<label>(?i:{_LABEL_ALT}))(?!\w)[ \t]*(?:№[ \t]*)?"
    rf"(?:(?P<num>{_NUMBER})|(?P<roman>[{_ROMAN_CHARS}]+))(?!\w)(?P<rest>.*)",
    re.DOTALL,
)
_UNNUMBERED_RE = re.compile(
    rf"(?:(?P<pre>{_NUMBER})\.?[ \t]+)?(?P<label>(?i:{_LABEL_ALT}))(?!\w)[ \t]*(?:[:–—]|-(?=\s))(?P<rest>.*)",
    re.DOTALL,
)
_LABEL_ONLY_RE = re.compile(rf"(?i:{_LABEL_ALT})(?:[ \t]*№)?")
_NUMBER_START_RE = re.compile(rf"(?:{_NUMBER}|[{_ROMAN_CHARS}]+)(?!\w)")
_LEAD_RE = re.compile(r"[\s.:;,–—\-)]*")
_FIRST_WORD_RE = re.compile(r"\w+")
_LETTER_RE = re.compile(r"[^\W\d_]")
# Words that follow a label in a sentence but never begin a title ("Мярка 1.1 е насочена …").
_PROSE_WORDS = frozenset(
    {
        "е", "са", "ще", "се", "и", "или", "в", "във", "на", "от", "както", "който", "която", "което",
        "които", "включва", "включват", "предвижда", "предвиждат", "има", "имат", "бе", "беше", "бил",
        "била", "било",
    }
)  # fmt: skip

_BULLET_RE = re.compile(
    r"[ \t]*(?:[•●○◦▪▫■□►▸‣⁃∙·\uf0b7\uf0a7\uf0d8\uf076\uf0fc\uf0e0\uf0a8\uf02d]|[-–—*o](?=\s))[ \t]*"
)

# "TOC 1", "toc 2", "TOC1" (a style id where styles.xml is missing), "TOC Heading", "Съдържание 1".
_TOC_STYLE_RE = re.compile(r"\s*(?:toc|съдържание|оглавление|table of contents)(?![^\W\d_])", re.IGNORECASE)
_TOC_LEADER_RE = re.compile(r"(?:(?:\.[ \t]*){4,}|(?:…[ \t]*){2,}|(?:[_·][ \t]*){4,})[0-9]{1,4}$")
_TOC_TAB_RE = re.compile(r"\t[ \t]*[0-9]{1,4}$")
_SECTION_START_RE = re.compile(rf"(?:{_NUMBER}\.?\s|(?i:{_LABEL_ALT})(?!\w))")

_PAGE_RE = re.compile(r"(?i:стр(?:аница)?|page)\.?\s*[0-9]{1,4}(?:\s*(?:/|от|из|of)\s*[0-9]{1,4})?")
_DASHED_PAGE_RE = re.compile(r"[-–—]\s*[0-9]{1,4}\s*[-–—]")
_NUMBER_ONLY_RE = re.compile(r"[0-9]{1,3}")
_EDGE_PAGE_RE = re.compile(r"[0-9]{1,4}(?:\s*(?:/|от|из|of)\s*[0-9]{1,4})?")
_EDGE_LINES = 2  # lines at the top and at the bottom of a PDF page where headers and footers sit
_REPEAT_PAGES = 3  # a top/bottom line on this many pages (and a tenth of them) is a header or footer

_SENTENCE_END = (".", "!", "?", ":", ";")
_FULL_LINE = 0.8  # a PDF line this close to the longest line of its page was wrapped at the margin
_WORD_RE = re.compile(r"\w+")
_DIGITS_RE = re.compile(r"[0-9]+")
_TITLE_FROM_NEXT_MAX = 300  # a heading alone on its line takes the next short paragraph as title


@dataclass
class ParsedNode:
    level: str  # one of LEVELS
    number: str | None  # "4.2.1.3", "II"; no trailing dot
    title: str
    description: str  # following paragraphs, "\n"-joined; bullets as "• …" lines
    parent: int | None  # index in ParseResult.nodes
    label: str  # as written: "Дейност", "МЯРКА", "Стратегическа цел"
    line: int  # 1-based index of the block it came from


@dataclass
class ParseResult:
    nodes: list[ParsedNode] = field(default_factory=list)
    preamble: str = ""
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Heading:
    level: str
    label: str
    number: str | None
    title: str
    line: int
    absorb: bool = True  # may take the next paragraph as its title if it has none


@dataclass
class _Text:
    text: str
    line: int
    bullet: bool


def parse_file(data: bytes, filename: str) -> ParseResult:
    """Extract and parse; raises ImportFileError for files that are not readable documents."""
    return parse_blocks(extract_blocks(data, filename))


def result_to_json(result: ParseResult) -> list[dict]:
    """The nodes in document order as [{"level", "number", "title"}], e.g. for --json output."""
    return [{"level": n.level, "number": n.number, "title": n.title} for n in result.nodes]


def parse_blocks(blocks: list[Block]) -> ParseResult:
    """The tree of the document; never raises on any text (the tests check that with hypothesis)."""
    result = ParseResult()
    lines_by_block = [block.text.splitlines() if block.text else [] for block in blocks]
    furniture = _paged_furniture(blocks, lines_by_block)
    items = _classify(blocks, lines_by_block, furniture, result.skipped)
    _titles_from_next(items)
    _TreeBuilder(result).build(items)
    _page_warnings(blocks, result.warnings)
    if not result.nodes:
        result.warnings.append(
            "Не са открити приоритети, цели, мерки или дейности. / "
            "No priorities, goals, measures or activities were found."
        )
    return result


# --- line classification -----------------------------------------------------------------------


def _classify(
    blocks: list[Block], lines_by_block: list[list[str]], furniture: set[tuple[int, int]], skipped: list[str]
) -> list[_Heading | _Text]:
    items: list[_Heading | _Text] = []
    widths = _page_widths(blocks, lines_by_block)
    wrap_page: int | None = None  # page of the last item, if a following PDF line may continue it
    last_length = 0  # length of the last visual line of that item
    for index, (block, lines) in enumerate(zip(blocks, lines_by_block, strict=True)):
        line_no = index + 1
        toc_style = bool(block.style) and bool(_TOC_STYLE_RE.match(block.style))
        for sub, raw in enumerate(lines):
            line = raw.strip()
            if not line:
                continue
            if toc_style or (index, sub) in furniture or _is_toc_line(line) or _is_furniture(line, block):
                skipped.append(line)
                continue
            bullet = _BULLET_RE.match(line)
            body = line[bullet.end() :] if bullet else line
            if not body:
                continue  # a bullet glyph alone: PDF renderers draw list markers apart from the items
            is_bullet = bool(bullet) or block.list_item
            if block.page is not None and items and _completes_label(items[-1], body):
                # A narrow table column breaks "Мярка 1.1.1" into "Мярка" / "1.1.1" in a PDF. (In a
                # DOCX a cell "Мярка" before a cell "1" is a table header above a row number.)
                heading = _heading(f"{items[-1].text} {body}", items[-1].line)
                if heading is not None:
                    items[-1] = heading
                    wrap_page, last_length = block.page, len(line)
                    continue
            if (
                wrap_page is not None
                and block.page in (wrap_page, wrap_page + 1)  # headers/footers between are gone by now
                and not is_bullet
                and "|" not in body
                and _continues(items[-1], body, last_length / widths[wrap_page], line_no)
            ):
                _join(items[-1], body)
                wrap_page, last_length = block.page, len(line)
                continue
            if "|" in body and _row(body, line_no, items):
                wrap_page = None
                continue
            heading = _heading(body, line_no)
            items.append(heading if heading else _Text(body, line_no, is_bullet))
            wrap_page, last_length = block.page, len(line)
    return items


def _completes_label(item: _Heading | _Text, body: str) -> bool:
    return (
        isinstance(item, _Text)
        and not item.bullet
        and bool(_LABEL_ONLY_RE.fullmatch(item.text))
        and bool(_NUMBER_START_RE.match(body))
    )


def _page_widths(blocks: list[Block], lines_by_block: list[list[str]]) -> dict[int, int]:
    """The longest line of each page, in characters: the measure of a line that ran to the margin."""
    widths: dict[int, int] = {}
    for block, lines in zip(blocks, lines_by_block, strict=True):
        if block.page is not None:
            longest = max((len(line.strip()) for line in lines), default=0)
            widths[block.page] = max(widths.get(block.page, 1), longest)
    return widths


def _continues(item: _Heading | _Text, line: str, fullness: float, line_no: int) -> bool:
    """Whether a PDF line continues the previous one.

    A PDF knows lines, not paragraphs, and a heading cut at its wrap would lose the end of its
    title to the description ("Мярка 4.2.2. Адекватно ресурсно … ангажирани с" / "администрирането
    …"). A continuation follows a line without a sentence end and either starts in lower case (so
    that "… дейностите по" / "приоритетно направление 5: …" stays prose) or follows a line that
    ran to the right margin ("… в област Велико" / "Търново по отношение на:"), unless it is a
    heading itself or the label of one whose number follows on the next line.
    """
    previous = item.title if isinstance(item, _Heading) else item.text
    if not previous or previous.rstrip().endswith(_SENTENCE_END):
        return False
    if line[0].islower():
        return True
    return fullness >= _FULL_LINE and _heading(line, line_no) is None and not _LABEL_ONLY_RE.fullmatch(line)


def _join(item: _Heading | _Text, line: str) -> None:
    previous = item.title if isinstance(item, _Heading) else item.text
    if not previous:
        joined = line
    elif previous.endswith(("\xad", "/")) or (previous.endswith("-") and previous[-2:-1].isalpha()):
        joined = previous + line  # a hyphenated word, a compound split at its hyphen, "дизайн/развитие"
    else:
        joined = f"{previous} {line}"
    if isinstance(item, _Heading):
        item.title = _clean(joined)
    else:
        item.text = joined


def _is_toc_line(line: str) -> bool:
    if not line[-1].isdigit():
        return False
    if _TOC_LEADER_RE.search(line):
        return True
    return bool(_TOC_TAB_RE.search(line)) and bool(_SECTION_START_RE.match(line))


def _is_furniture(line: str, block: Block) -> bool:
    if _PAGE_RE.fullmatch(line) or _DASHED_PAGE_RE.fullmatch(line):
        return True
    # A lone number is a page number only in running text; in a table it is data, and on a PDF page
    # it counts only at the top or bottom (checked with the page edges).
    return block.page is None and not block.in_table and bool(_NUMBER_ONLY_RE.fullmatch(line))


def _paged_furniture(blocks: list[Block], lines_by_block: list[list[str]]) -> set[tuple[int, int]]:
    """(block, line) positions of page numbers and running headers/footers on PDF pages.

    A running header or footer is a line at the same place of the page (first or second from the
    top or from the bottom) with the same text, page numbers aside, on at least 3 pages and on a
    tenth of them. The place and the share matter: a strategy repeats its own wording ("Мярка" in a
    narrow table column, a sentence common to several measures), and such a line may well start a
    page now and then; dropping it would lose content, while a missed header only adds a line.
    """
    pages: dict[int, list[tuple[int, int, str]]] = {}
    for index, (block, lines) in enumerate(zip(blocks, lines_by_block, strict=True)):
        if block.page is None:
            continue
        for sub, raw in enumerate(lines):
            text = raw.strip()
            if _WORD_RE.search(text):
                pages.setdefault(block.page, []).append((index, sub, text))
    found: set[tuple[int, int]] = set()
    seen_on: dict[tuple[tuple[str, str], int], set[int]] = {}
    edges: list[tuple[tuple[tuple[str, str], int], int, int]] = []
    for page, entries in pages.items():
        count = len(entries)
        for position, (index, sub, text) in enumerate(entries):
            places = [p for p in (position, position - count) if -_EDGE_LINES <= p < _EDGE_LINES]
            if not places:
                continue
            if _EDGE_PAGE_RE.fullmatch(text):
                found.add((index, sub))
                continue
            if _LABEL_ONLY_RE.fullmatch(text):
                continue
            key = _repeat_key(text)
            for place in places:
                seen_on.setdefault((key, place), set()).add(page)
                edges.append(((key, place), index, sub))
    needed = max(_REPEAT_PAGES, len(pages) // 10)
    for key, index, sub in edges:
        if len(seen_on[key]) >= needed:
            found.add((index, sub))
    return found


def _repeat_key(text: str) -> tuple[str, str]:
    # "Стратегия … стр. 3" and "… стр. 4" are the same footer, but "Дейност 1.1.1" and
    # "Дейност 1.1.2" at the top of two pages are different content: headings compare exactly.
    bullet = _BULLET_RE.match(text)
    body = text[bullet.end() :] if bullet else text
    if _NUMBERED_RE.match(body):
        return ("exact", text)
    return ("digits", _DIGITS_RE.sub("#", " ".join(text.casefold().split())))


def _heading(text: str, line: int) -> _Heading | None:
    m = _NUMBERED_RE.match(text)
    if m:
        rest = m["rest"]
        lead = _LEAD_RE.match(rest)
        lead_text = lead.group() if lead else ""
        title = rest[len(lead_text) :]
        if "," in lead_text or ";" in lead_text:
            return None  # "Мярка 1.1, 1.2 и 1.3 …": a list of numbers in a sentence
        if not lead_text.strip():
            word = _FIRST_WORD_RE.match(title)
            if word and word.group() in _PROSE_WORDS:
                return None
        if m["num"] is not None:
            number = m["num"]
        else:
            number = m["roman"].translate(_ROMAN_LATIN)
            if not _ROMAN_VALID.fullmatch(number):
                return None
        return _Heading(_LABELS[_label_key(m["label"])], _clean(m["label"]), number, _clean(title), line)
    m = _UNNUMBERED_RE.match(text)
    if m:
        title = m["rest"][len(_LEAD_RE.match(m["rest"]).group()) :]
        pre = m["pre"]
        return _Heading(_LABELS[_label_key(m["label"])], _clean(m["label"]), pre, _clean(title), line)
    return None


def _row(body: str, line: int, items: list[_Heading | _Text]) -> bool:
    """A table row written as text ("Мярка 1.1 | Изграждане … | 2012"): if a cell starts with a
    label, the row becomes nodes; cells after a label cell are its title and description, cells
    before the first one go to its description so that the row stays together."""
    cells = [cell.strip() for cell in body.strip().strip("|").split("|")]
    cells = [cell for cell in cells if cell]
    groups: list[tuple[_Heading, list[str]]] = []
    before: list[str] = []
    for cell in cells:
        heading = _heading(cell, line)
        if heading:
            groups.append((heading, []))
        elif groups:
            groups[-1][1].append(cell)
        else:
            before.append(cell)
    if not groups:
        return False
    for position, (heading, after) in enumerate(groups):
        if not heading.title and after:
            heading.title = _clean(after.pop(0))
        heading.absorb = False
        items.append(heading)
        if position == 0 and before:
            items.append(_Text(" | ".join(before), line, False))
        if after:
            items.append(_Text(" | ".join(after), line, False))
    return True


def _label_key(label: str) -> str:
    """The canonical label ("мярка") of a matched label ("МЯРКА", "Обща  цел"). Matched again rather
    than lower-cased: case-insensitive matching also accepts letter variants that lower() keeps."""
    for key, pattern in _LABEL_PATTERNS:
        if pattern.fullmatch(label):
            return key
    return " ".join(label.lower().split())


def _clean(text: str) -> str:
    return " ".join(text.split())


def _titles_from_next(items: list[_Heading | _Text]) -> None:
    """A heading alone on its line ("Мярка 1.1" in a table cell or a PDF line) takes the next
    short, non-bullet paragraph with words (not a period or a sum) as its title."""
    for i, item in enumerate(items):
        if isinstance(item, _Heading) and not item.title and item.absorb and i + 1 < len(items):
            following = items[i + 1]
            if (
                isinstance(following, _Text)
                and not following.bullet
                and len(following.text) <= _TITLE_FROM_NEXT_MAX
                and _LETTER_RE.search(following.text)  # "2012–2015" in the next cell is a period
            ):
                item.title = _clean(following.text)
                following.text = ""


def _words(text: str) -> set[str]:
    return set(_WORD_RE.findall(text.casefold()))


def _title_weight(title: str) -> int:
    # A trailing full stop does not make a title fuller; on a tie the later (detailed) heading wins.
    return len(title.rstrip(" .:;"))


def _parts(number: str | None) -> list[str] | None:
    if number is None or not number[0].isdigit():
        return None
    return number.split(".")


# --- tree --------------------------------------------------------------------------------------


class _TreeBuilder:
    def __init__(self, result: ParseResult) -> None:
        self.result = result
        self.nodes = result.nodes
        self.descriptions: list[list[str]] = []
        self.preamble: list[str] = []
        self.active: list[int | None] = [None] * len(LEVELS)  # the current node at each level
        self.by_number: dict[str, list[int]] = {}
        self.merge_keys: dict[tuple, int] = {}
        self.current: int | None = None
        self.last_main_activity: int | None = None

    def build(self, items: list[_Heading | _Text]) -> None:
        for item in items:
            if isinstance(item, _Text):
                if item.text:
                    text = f"• {item.text}" if item.bullet else item.text
                    (self.descriptions[self.current] if self.current is not None else self.preamble).append(
                        text
                    )
            else:
                self._heading(item)
        self.result.preamble = "\n".join(self.preamble)
        for node, lines in zip(self.nodes, self.descriptions, strict=True):
            node.description = "\n".join(lines)
        for node in self.nodes:
            if not node.title:
                self.result.warnings.append(
                    f"{node.label} {node.number or ''} (ред {node.line}) няма заглавие. / "
                    f"{node.label} {node.number or ''} (line {node.line}) has no title."
                )

    def _heading(self, item: _Heading) -> None:
        rank = _RANK[item.level]
        parent = self._parent(item, rank)
        key = self._merge_key(item, parent)
        existing = self.merge_keys.get(key) if key is not None else None
        if existing is not None:
            self._merge(existing, item)
            index = existing
        else:
            index = len(self.nodes)
            self.nodes.append(
                ParsedNode(item.level, item.number, item.title, "", parent, item.label, item.line)
            )
            self.descriptions.append([])
            if key is not None:
                self.merge_keys[key] = index
            if item.number is not None:
                self.by_number.setdefault(item.number, []).append(index)
        if item.level == "activity" and _label_key(item.label) != _SUB_ACTIVITY:
            self.last_main_activity = index
        self.current = index
        self._activate(index)

    def _parent(self, item: _Heading, rank: int) -> int | None:
        context = next((self.active[r] for r in range(rank - 1, -1, -1) if self.active[r] is not None), None)
        parts = _parts(item.number)
        if parts is None or len(parts) < 2:
            return context
        named = self._named_parent(parts, rank)
        if (
            named is not None
            and named != context
            and not (self._inside(context, named) and not self._contradicts(context, parts))
        ):
            return named
        if context is not None and self._contradicts(context, parts):
            ctx = self.nodes[context]
            self.result.warnings.append(
                f"{item.label} {item.number} (ред {item.line}) е под {ctx.label} {ctx.number}, "
                "а номерът сочи друг родител. / "
                f"{item.label} {item.number} (line {item.line}) is under {ctx.label} {ctx.number}, "
                "but its number points to another parent."
            )
        return context

    def _named_parent(self, parts: list[str], rank: int) -> int | None:
        for length in range(len(parts) - 1, 0, -1):
            candidates = [
                i
                for i in self.by_number.get(".".join(parts[:length]), ())
                if _RANK[self.nodes[i].level] < rank
            ]
            if candidates:
                # Several levels may carry the same number ("Приоритет 4", "Обща цел 4"): the closest
                # level wins, then the latest one (numbering may restart).
                return max(candidates, key=lambda i: (_RANK[self.nodes[i].level], i))
        return None

    def _inside(self, index: int | None, ancestor: int) -> bool:
        while index is not None:
            index = self.nodes[index].parent
            if index == ancestor:
                return True
        return False

    def _contradicts(self, index: int, parts: list[str]) -> bool:
        """A parent numbered "4.3" cannot hold "4.2.6"; one numbered "1.1" can hold "1.2" (numbering
        per priority), and an unnumbered or Roman-numbered one can hold anything."""
        own = _parts(self.nodes[index].number)
        return own is not None and len(own) < len(parts) and parts[: len(own)] != own

    def _merge_key(self, item: _Heading, parent: int | None) -> tuple | None:
        if item.number is None:
            return None
        if _label_key(item.label) == _SUB_ACTIVITY:  # numbered within each activity
            return ("sub", item.number, parent, self.last_main_activity)
        if "." in item.number:
            return (item.level, item.number)
        return (item.level, item.number, parent)

    def _merge(self, index: int, item: _Heading) -> None:
        node = self.nodes[index]
        if _title_weight(item.title) >= _title_weight(node.title):
            kept_title, other_title = item.title, node.title
        else:
            kept_title, other_title = node.title, item.title
        same_label = _label_key(item.label) == _label_key(node.label)
        other = other_title if same_label else f"{item.label} {item.number}. {other_title}".strip()
        node.title = kept_title
        if not _words(other) <= _words(f"{node.label} {kept_title}"):
            self.descriptions[index].append(other)
            self.result.warnings.append(
                f"{node.label} {node.number} се среща два пъти (редове {node.line} и {item.line}) с различно "
                "заглавие; запазено е по-пълното, другото е добавено към описанието. / "
                f"{node.label} {node.number} appears twice (lines {node.line} and {item.line}) with "
                "different titles; the fuller one is kept, the other is added to the description."
            )

    def _activate(self, index: int) -> None:
        """Make `index` and its ancestors the current chain: later text and nodes attach there."""
        rank = _RANK[self.nodes[index].level]
        self.active = [None] * len(LEVELS)
        self.active[rank] = index
        ancestor = self.nodes[index].parent
        while ancestor is not None:
            self.active[_RANK[self.nodes[ancestor].level]] = ancestor
            ancestor = self.nodes[ancestor].parent


def _page_warnings(blocks: list[Block], warnings: list[str]) -> None:
    pages = {b.page for b in blocks if b.page is not None and b.text.strip()}
    if not pages:
        return
    missing = sorted(set(range(1, max(pages) + 1)) - pages)
    if missing:
        shown = ", ".join(map(str, missing[:20])) + (" …" if len(missing) > 20 else "")
        warnings.append(
            f"Страници без текст (сканирани?): {shown}. / Pages without text (scanned?): {shown}."
        )
