"""Bulgarian Cyrillic in Latin letters, by the Transliteration Act (Закон за транслитерацията, 2009),
and a search key that lets a name typed in either alphabet find the other.

The Act's table: щ → sht, ъ → a, ь → y, ю → yu, я → ya, ж → zh, ц → ts, ч → ch, ш → sh, х → h,
й → y; and "ия" at the end of a word → "ia" (България → Bulgaria, София → Sofia). A capital
keeps its case on the first letter (Щ → Sht), or on all when the whole word is in capitals
(ЩЕРЕВ → SHTEREV), as identity documents print it. The name of the state is the Act's one
exception: България → Bulgaria.
"""

from __future__ import annotations

import re
import unicodedata

TABLE = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ж": "zh", "з": "z", "и": "i", "й": "y",
    "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u",
    "ф": "f", "х": "h", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "sht", "ъ": "a", "ь": "y", "ю": "yu", "я": "ya",
}
WORD = re.compile(r"[\w-]+", re.UNICODE)


EXCEPTIONS = {"българия": "bulgaria"}


def _word(word: str) -> str:
    upper = word.isupper() and len(word) > 1
    if word.lower() in EXCEPTIONS:
        latin = EXCEPTIONS[word.lower()]
        return latin.upper() if upper else latin.capitalize() if word[:1].isupper() else latin
    out = []
    lower = word.lower()
    for index, char in enumerate(lower):
        if char == "я" and index > 0 and lower[index - 1] == "и" and index == len(lower) - 1:
            latin = "a"
        else:
            latin = TABLE.get(char, char)
        if word[index] != char:  # a capital
            latin = latin.upper() if upper else latin[:1].upper() + latin[1:]
        out.append(latin)
    return "".join(out)


def to_latin(text: str) -> str:
    """Иван Петров → Ivan Petrov; БЪЛГАРИЯ → BULGARIA; София → Sofia."""
    return WORD.sub(lambda m: _word(m.group(0)), text)


def search_key(text: str) -> str:
    """The form names are compared in: Latin, lower case, letters and single spaces only, so that
    "Иванов", "IVANOV" and "ivanov" meet."""
    latin = unicodedata.normalize("NFKD", to_latin(text)).encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^a-z]+", " ", latin.lower()).split())


# Latin back to Cyrillic for names read from an identity card's zone: the Act's table reversed,
# the longest letter group first. Not exact ("a" may have been "ъ"), so the result is offered for
# the operator to check, never saved unseen.
_REVERSE = [
    ("sht", "щ"), ("zh", "ж"), ("ts", "ц"), ("ch", "ч"), ("sh", "ш"), ("yu", "ю"), ("ya", "я"),
] + [(latin, cyr) for cyr, latin in TABLE.items() if len(latin) == 1 and cyr not in "ъь"]


def to_cyrillic(text: str) -> str:
    def word(match: re.Match) -> str:
        latin = match.group(0)
        lower = latin.lower()
        out, index = [], 0
        while index < len(lower):
            if lower.endswith("ia") and index == len(lower) - 2:
                out.append("ия")
                break
            for group, cyr in _REVERSE:
                if lower.startswith(group, index):
                    out.append(cyr)
                    index += len(group)
                    break
            else:
                out.append(lower[index])
                index += 1
        result = "".join(out)
        if latin.isupper() and len(latin) > 1:
            return result.capitalize()
        return result[:1].upper() + result[1:] if latin[:1].isupper() else result

    return re.sub(r"[A-Za-z]+", word, text)
