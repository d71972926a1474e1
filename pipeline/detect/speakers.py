"""Source spans at a cue, and who they are: names, pronouns, roles and institutions within one article.

`subject_before` / `subject_after` read the noun phrase next to a cue ("Russian Foreign Minister Sergey
Lavrov said", "said the diplomat"). A `Roster` of the article's names (with the roles the article gives them)
resolves a mention to the speaker's fullest name: surnames to the full name, pronouns to the most recent
compatible speaker or person, nominal mentions ("the diplomat", "Russia's top diplomat") to the person the
article introduced with that role. `seeds/speakers.yaml` adds genders, aliases and usual nominals; anyone not
in it is handled by the same rules.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.detect.cues import Tokens
from pipeline.detect.lexicon import SpeakerLexicon

PRONOUNS = {
    "he": "m",
    "she": "f",
    "they": "p",
    "it": "n",
    "i": "x",
    "we": "p",
    "он": "m",
    "она": "f",
    "они": "p",
    "він": "m",
    "вона": "f",
    "вони": "p",
}
RELATIVES = frozenset({"who", "which", "that"})
_ARTICLES_WORDS = "the a an his her their its"
ARTICLES = frozenset(_ARTICLES_WORDS.split())
_INDEFINITE_WORDS = "a an another one some"
INDEFINITE = frozenset(_INDEFINITE_WORDS.split())
_DETERMINERS_WORDS = "the a an his her their its our this that these those another one some"
DETERMINERS = frozenset(_DETERMINERS_WORDS.split())
_SKIP_BETWEEN_WORDS = """also later then further once recently earlier again previously repeatedly
    reportedly has have had would will did does do had only even quickly simply publicly privately
    separately quietly angrily bluntly flatly initially subsequently still already openly firmly frankly
    himself herself has've emphatically bluntly directly explicitly"""
SKIP_BETWEEN = frozenset(_SKIP_BETWEEN_WORDS.split())
_STOP_CAPS_WORDS = """the a an but and or so yet still meanwhile however when while if after before
    since as in on at for from with by of to then now later also this that these those there here it its
    he she they we i you his her their our my your what who why how where speaking asked according last
    next this today tomorrow yesterday monday tuesday wednesday thursday friday saturday sunday january
    february march april may june july august september october november december earlier instead indeed
    both each every some many most other such mr mrs ms dr although though because despite unless
    whether once until upon within without among between against toward towards during following
    including like unlike hearing asked speaking added"""
STOP_CAPS = frozenset(_STOP_CAPS_WORDS.split())
_TIME_WORDS_WORDS = """monday tuesday wednesday thursday friday saturday sunday today yesterday tonight
    earlier later recently last this on in at during after before following while when from to by via
    with about of over through under amid inside outside ahead afterwards"""
TIME_WORDS = frozenset(_TIME_WORDS_WORDS.split())
_MODIFIERS_WORDS = """head top chief senior junior former deputy acting interim assistant associate vice
    foreign prime general executive managing press national defence defense security interior finance
    health justice education rookie star veteran new longtime long-time then-president current first
    second lead principal special federal provincial state local regional city county municipal russian
    ukrainian american british french german chinese canadian polish finnish swedish turkish hungarian
    european western eastern military spokesman spokeswoman spokesperson communications media public
    political"""
MODIFIERS = frozenset(_MODIFIERS_WORDS.split())
_FUNCTION_WORDS_WORDS = """with what to of in on at for from by as than that which who whom whose where
    when while if because and or but is are was were be been has have had do does did not no will would
    can could should may might must about into onto over under after before said says told"""
FUNCTION_WORDS = frozenset(_FUNCTION_WORDS_WORDS.split())
_ORG_HEADS_WORDS = """university college school news canada press post times star mail globe herald
    journal tribune party council ministry department agency service services association corp
    corporation inc ltd company group bank hospital court police institute foundation union league club
    team committee commission board office government parliament senate house assembly city county
    province state republic kingdom federation fund network television radio tv cbc ctv reuters fish
    wildlife research consulting"""
ORG_HEADS = frozenset(_ORG_HEADS_WORDS.split())
_CONNECTIVES_WORDS = "but and so yet still meanwhile however also then now instead indeed"
CONNECTIVES = frozenset(_CONNECTIVES_WORDS.split())
HONORIFIC_GENDER = {"mr": "m", "mrs": "f", "ms": "f", "miss": "f", "sir": "m", "lady": "f", "madam": "f"}
_TITLE_ABBREVIATIONS_WORDS = "mr mrs ms miss dr gen gov sen rep lt col sgt capt prof rev hon insp det supt"
TITLE_ABBREVIATIONS = frozenset(_TITLE_ABBREVIATIONS_WORDS.split())
_PARTICLES_WORDS = "de van von der den del la le du da di bin al el ben"
PARTICLES = frozenset(_PARTICLES_WORDS.split())
_GROUP_NOUNS_WORDS = """officials police experts analysts critics residents sources authorities
    investigators organizers organisers researchers scientists doctors lawyers prosecutors witnesses
    observers diplomats officers leaders members protesters activists lawmakers legislators ministers
    spokespeople representatives negotiators parents students teachers workers employees people voters
    supporters opponents economists scholars historians"""
GROUP_NOUNS = frozenset(_GROUP_NOUNS_WORDS.split())
# Words that end a noun phrase without heading it ("the one who", "the same", "this week"): never a source.
_NOT_HEADS_WORDS = """one same other others rest first last most least week month year day time way case
    end point fact reason result thing things kind sort lot"""
NOT_HEADS = frozenset(_NOT_HEADS_WORDS.split())


def is_capitalized(word: str) -> bool:
    return word[:1].isupper()


def same_stem(a: str, b: str) -> bool:
    """Whether two lower-case words are forms of one inflected noun ("пресс-секретаря" / "пресс-секретарь",
    "министра" / "министр"): they share all but the last three letters of the longer, and at least four."""
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n >= 4 and n >= max(len(a), len(b)) - 3


def is_inflected_role(word: str, lexicon: SpeakerLexicon) -> bool:
    """A non-English lower-case word that is a role noun in some grammatical case ("министра")."""
    return not word.isascii() and word.islower() and any(same_stem(word, r) for r in lexicon.role_nouns)


@dataclass(frozen=True)
class Mention:
    """A source span at a cue: tokens [first, last)."""

    first: int
    last: int
    kind: str  # "name", "pronoun", "nominal", "group", "relative"
    name_first: int = -1  # the name part inside the span, for kind "name"


def _name_split(tokens: Tokens, first: int, last: int, lexicon: SpeakerLexicon) -> int:
    """Index where the name starts in a capitalised run [first, last): after the last role word."""
    start = first
    for k in range(first, last - 1):
        low = tokens.lower[k]
        if low == "." and k > first and tokens.lower[k - 1] in TITLE_ABBREVIATIONS:
            start = k + 1
            continue
        if (
            low in TITLE_ABBREVIATIONS
            or low in lexicon.role_nouns
            or low in MODIFIERS
            or low in STOP_CAPS
            or tokens.words[k].endswith(("'s", "’s"))
        ):
            start = k + 1
    for k in range(start, last - 1):
        if tokens.lower[k] in lexicon.genders:
            return k  # a given name opens the name: "России Сергей Лавров" -> "Сергей Лавров"
    return start


def subject_before(
    tokens: Tokens, cue: int, floor: int, lexicon: SpeakerLexicon, depth: int = 0
) -> Mention | None:
    """The noun phrase that ends just before the cue at token `cue` (adverbs and auxiliaries skipped)."""
    j = cue - 1
    while j >= floor and tokens.lower[j] in SKIP_BETWEEN:
        j -= 1
    if j < floor:
        return None
    low = tokens.lower[j]
    if low in PRONOUNS:
        return Mention(j, j + 1, "pronoun")
    if low in RELATIVES and j - 1 >= floor and tokens.words[j - 1] == ",":
        return Mention(j, j + 1, "relative")
    k = j
    has_det = False
    while k >= floor and j - k < 10:
        word, lw = tokens.words[k], tokens.lower[k]
        if lw in DETERMINERS and k < j:
            has_det = True
            k -= 1
            break
        if word[:1].isupper() and lw not in STOP_CAPS:
            k -= 1
            continue
        if word == "." and k - 1 >= floor and tokens.lower[k - 1] in TITLE_ABBREVIATIONS:
            k -= 1
            continue
        if word[:1].isupper() and lw in ("mr", "mrs", "ms", "dr") and k < j:
            k -= 1
            continue
        if word[:1].islower() and (lw in lexicon.role_nouns or lw in MODIFIERS or lw in GROUP_NOUNS):
            k -= 1
            continue
        if (
            lw in ("of", "for", "at", "with")
            and k < j
            and k - 1 >= floor
            and (tokens.lower[k - 1] in lexicon.role_nouns or tokens.lower[k - 1] in GROUP_NOUNS)
        ):
            k -= 1
            continue
        if (
            word[:1].islower()
            and word.replace("-", "").isalpha()
            and lw not in FUNCTION_WORDS
            and (k < j or (lw not in NOT_HEADS and not lw.endswith("ly")))
            and _det_within(tokens, k, floor)
        ):
            k -= 1
            continue
        break
    first = k + 1
    if first > j:
        return None
    words = tokens.lower[first : j + 1]
    # a possessive determines the phrase: "Moldova's defence ministry said"
    has_det = has_det or any(w.endswith(("'s", "’s")) for w in words[:-1])
    if not has_det and all(w in STOP_CAPS for w in words):
        return None
    head = tokens.words[j]
    not_source = words[-1] in lexicon.not_speakers
    if first - 1 > floor and tokens.lower[first - 1] in ("with", "at", "of", "from", "for") and depth < 2:
        left = subject_before(tokens, first - 1, floor, lexicon, depth + 1)
        if (
            left is not None
            and left.kind in ("name", "nominal")
            and (
                not_source
                or is_capitalized(tokens.words[left.last - 1])
                or tokens.lower[left.last - 1] in lexicon.role_nouns
            )
        ):
            # "Tim Guest with the Health Authority says", "a senior diplomat from one allied capital said":
            # the person, not the body or place
            return left
    if not_source and tokens.lower[first - 1] not in ("with", "of"):
        return None  # "the report said", "the summit promised" (but "sources familiar with the talks")
    conj = first - 1
    while conj > floor and tokens.lower[conj] in ("other", "several", "fellow", "some", "many"):
        conj -= 1
    if conj > floor and conj < first and tokens.lower[conj] == "and" and depth < 2:
        left = subject_before(tokens, conj, floor, lexicon, depth + 1)
        if left is not None and left.kind == "name":
            return left  # "Antony Blinken and other diplomats said": the one named
    if is_capitalized(head) and tokens.lower[j] not in STOP_CAPS and not _is_title(tokens.lower[j], lexicon):
        return Mention(first, j + 1, "name", _name_split(tokens, first, j + 1, lexicon))
    if tokens.lower[j] in GROUP_NOUNS and not has_det:
        return Mention(first, j + 1, "group")
    if has_det or tokens.lower[j] in lexicon.role_nouns:
        return Mention(first, j + 1, "nominal")
    return None


def _is_title(word: str, lexicon: SpeakerLexicon) -> bool:
    """A capitalised role word heading a phrase ("the Russian President") makes it a nominal, not a name."""
    return word in lexicon.role_nouns or word in MODIFIERS


def _det_within(tokens: Tokens, k: int, floor: int) -> bool:
    """A determiner or possessive within three words left of token k, with only words between."""
    for m in range(k - 1, max(floor, k - 4) - 1, -1):
        lw = tokens.lower[m]
        if lw in DETERMINERS or tokens.words[m].endswith(("'s", "’s")):
            return True
        if not tokens.words[m].isalpha() or lw in FUNCTION_WORDS:
            return False
    return False


def subject_after(tokens: Tokens, cue_end: int, ceiling: int, lexicon: SpeakerLexicon) -> Mention | None:
    """The noun phrase just after an inverted cue ("…," said the minister)."""
    i = cue_end
    if i >= ceiling:
        return None
    low = tokens.lower[i]
    if low in PRONOUNS:
        if i + 1 >= ceiling or not tokens.words[i + 1][:1].isalnum():
            return Mention(i, i + 1, "pronoun")
        return None
    if low in TIME_WORDS:
        return None
    k = i
    has_det = low in ARTICLES
    headed = False
    if has_det:
        k += 1
    while k < ceiling and k - i < 10:
        word, lw = tokens.words[k], tokens.lower[k]
        if (
            word[:1].isupper()
            and lw not in TIME_WORDS
            and (lw not in STOP_CAPS or lw in ("mr", "mrs", "ms", "dr"))
        ):
            k += 1
            continue
        if word == "." and k > i and tokens.lower[k - 1] in TITLE_ABBREVIATIONS:
            k += 1
            continue
        if (
            word[:1].islower()
            and word.isalpha()
            and lw not in TIME_WORDS
            and lw not in RELATIVES
            and lw not in FUNCTION_WORDS
            and (
                lw in lexicon.role_nouns
                or lw in MODIFIERS
                or lw in GROUP_NOUNS
                or (has_det and not headed and k - i <= 3 and not lw.endswith("ed"))
            )
        ):
            headed = headed or lw in lexicon.role_nouns or lw in GROUP_NOUNS
            k += 1
            continue
        if word.endswith(("'s", "’s")) and (word[:1].isupper() or has_det):
            k += 1
            continue
        break
    if k == i or (has_det and k == i + 1):
        return None
    last = k
    head = tokens.words[last - 1]
    if is_capitalized(head) and not _is_title(tokens.lower[last - 1], lexicon):
        return Mention(i, last, "name", _name_split(tokens, i, last, lexicon))
    if tokens.lower[last - 1] in GROUP_NOUNS and not has_det:
        return Mention(i, last, "group")
    return Mention(i, last, "nominal")


def subject_at_start(tokens: Tokens, first: int, last: int, lexicon: SpeakerLexicon) -> Mention | None:
    """The subject that opens a sentence ("But the ministry, …, saying …"), past connectives."""
    i = first
    while i < last and (tokens.lower[i] in CONNECTIVES or tokens.words[i] == ","):
        i += 1
    if i >= last:
        return None
    if tokens.lower[i] in PRONOUNS:
        return Mention(i, i + 1, "pronoun")
    mention = subject_after(tokens, i, last, lexicon)
    if mention is not None and mention.kind != "pronoun":
        return mention
    return None


def source_after(tokens: Tokens, first: int, last: int, lexicon: SpeakerLexicon) -> Mention | None:
    """The source named after "according to": everything up to the next punctuation, at most 12 words."""
    k = first
    while k < last and k - first < 12 and tokens.words[k][:1].isalnum():
        k += 1
    if k == first or k - first >= 12:
        return None
    if tokens.lower[first] in PRONOUNS and k == first + 1:
        return Mention(first, k, "pronoun")
    head = tokens.words[k - 1]
    if head[:1].isupper() and not _is_title(tokens.lower[k - 1], lexicon):
        kind = "name"
    elif (
        tokens.lower[first] in DETERMINERS
        or head[:1].isupper()
        or (k - first <= 3 and is_inflected_role(tokens.lower[first], lexicon))
    ):
        kind = "nominal"  # "по словам пресс-секретаря": a role, in the genitive
    else:
        kind = "group"
    return Mention(first, k, kind, first)
