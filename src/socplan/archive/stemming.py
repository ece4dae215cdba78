"""A light Bulgarian stemmer for the embedded (SQLite) full-text search.

PostgreSQL reduces words to their dictionary form with Debian's Hunspell dictionary; SQLite has no
such thing, so the text of every page is stored in the FTS5 index as stems made here, and the
query goes through the same function. A stem is not a real word: it only has to be the same for
the forms of a word that people search with, and different enough for different words.

Why our own and not a package: the one on PyPI, `bulstem` (BulStem, Nakov 2003; last release 2020),
gives "заявлени" for "заявление" but "заявлен"/"заявл" for "заявления", and "докла" for "доклада" but
"доклад" for "доклад" — it misses the very word families the archive is searched by. Lucene's
light stemmer (Savoy 2007) has the same trouble with nouns in -ие/-ия. The rules below are
those of a light stemmer (strip the article, the plural, the gender ending), tuned and tested on
the words of social-assistance documents (tests/test_search.py):

- nouns in -ие: заявление, заявлението, заявления, заявленията → заявлн (решение, обезщетение …);
- definite articles -ът/-ят/-а/-я, -та/-то/-те, -ия/-ият: докладът, доклада, социалния, социалният;
- plurals -и/-ове/-ища/-ии and their definite forms -ите/-овете/-ищата/-иите;
- adjectives: социален, социална, социално, социални, социалната, социалните → социалн
  (the fleeting е of -ен: социален/социална; the fleeting ъ: център/центрове, Петър/Петра);
- k/ц and г/з at the end of a stem are one letter (работник/работници, психолог/психолози);
- surnames: Иванов, Иванова, Иванови → иванов.

Verbs are left mostly alone (their endings are too many for a light stemmer and rarely searched).
"""

from __future__ import annotations

import re
from functools import lru_cache

# Words as the search sees them: letters and digits; a hyphenated word is two words (as in
# PostgreSQL's parser, which also indexes the parts of "социално-икономически").
WORD = re.compile(r"[^\W_]+", re.UNICODE)

VOWELS = set("аъоуеиюяaeiouy")

# Endings, longest first; one is stripped per round, as long as a stem of MIN_STEM letters with a
# vowel remains. Rounds repeat because the article comes on top of the plural or gender ending:
# детето → дете → дет, полетата → полета → поле → пол.
ENDINGS = sorted(
    (
        # plural + article, and the -ие/-ия nouns with their articles
        "овете евете ищата ията ието иите ите ата ята ото ият "
        # plurals
        "ове еве ища ище ии "
        # articles and -ие/-ия
        "ия ие ът ят та то те "
        # gender and number
        "а я о е и й у ю"
    ).split(),
    key=len,
    reverse=True,
)
MIN_STEM = 3


def _has_vowel(text: str) -> bool:
    return any(ch in VOWELS for ch in text)


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The stem of one word (lower case); words of up to three letters and numbers stay as they are."""
    word = word.lower().replace("ѝ", "и").replace("ё", "е")
    if len(word) <= MIN_STEM or not word.isalpha():
        return word
    while True:
        for ending in ENDINGS:
            if word.endswith(ending):
                rest = word[: -len(ending)]
                if len(rest) >= MIN_STEM and _has_vowel(rest):
                    word = rest
                    break
        else:
            break
    # The fleeting vowel: социален/социална, заявлен(ие)/заявлн; център/центрове, Петър/Петра.
    if len(word) >= 5 and word.endswith("ен") and word[-3] not in VOWELS:
        word = word[:-2] + "н"
    elif len(word) >= 5 and word[-2] == "ъ" and word[-1] not in VOWELS:
        word = word[:-2] + word[-1]
    # The plural softens к→ц and г→з (работник/работници, психолог/психолози): one letter for both.
    if len(word) >= 4 and word[-1] in "цз":
        word = word[:-1] + ("к" if word[-1] == "ц" else "г")
    return word


def words(text: str) -> list[str]:
    return WORD.findall(text or "")


def stem_text(text: str) -> str:
    """The text as a line of stems, as it is stored in the FTS5 index."""
    return " ".join(stem(w) for w in words(text))
