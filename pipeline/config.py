"""The feed list (`seeds/feeds.yaml`) and where the package's data folders are.

The feed list is a YAML mapping with one key, `feeds`, holding a list of feeds::

    feeds:
      - name: BBC News — World          # unique (case-insensitively) within the file
        url: https://feeds.bbci.co.uk/news/world/rss.xml   # http or https; unique after canonicalisation
        outlet: BBC News                # who publishes it; several feeds may share an outlet
        language: en                    # ISO 639-1
        country: GB                     # ISO 3166-1 alpha-2, "XK" (Kosovo) or "INT" for international bodies

Every value is read as the text written (so `language: no` is Norwegian, not false). Any problem raises
`ConfigError` naming the file, the line and the field; unknown fields are rejected so that a typo is not
silently ignored. A `{base}` placeholder in URLs (the demo feed list) is replaced before validation when
`load_feeds(..., base_url=...)` is given one.
"""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from pipeline.errors import ConfigError
from pipeline.records import FeedSource
from pipeline.seedfile import compose, entries, line, read_text
from pipeline.urls import canonicalize_url

logger = logging.getLogger(__name__)

FEED_FIELDS = ("name", "url", "outlet", "language", "country")

_ISO_639_1_CODES = (
    "aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy da de "
    "dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id "
    "ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo lt lu "
    "lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu "
    "rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr "
    "ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu"
)
ISO_639_1 = frozenset(_ISO_639_1_CODES.split())

_ISO_3166_1_ALPHA_2_CODES = (
    "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT "
    "BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH "
    "ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT "
    "HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS "
    "LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI "
    "NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG "
    "SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG "
    "UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW"
)
ISO_3166_1_ALPHA_2 = frozenset(_ISO_3166_1_ALPHA_2_CODES.split())
EXTRA_COUNTRIES = frozenset({"INT", "XK"})  # international bodies; Kosovo's widely used user-assigned code

_PACKAGE = Path(__file__).resolve().parent


def seeds_dir() -> Path:
    """The `seeds/` folder, from a checkout or from an installed wheel (`pipeline/_data/seeds`)."""
    return _data_dir("seeds")


def sql_dir() -> Path:
    """The `sql/` folder, from a checkout or from an installed wheel (`pipeline/_data/sql`)."""
    return _data_dir("sql")


def _data_dir(name: str) -> Path:
    checkout = _PACKAGE.parent
    candidates = [_PACKAGE / "_data" / name]
    if (checkout / "pyproject.toml").is_file():  # a source checkout: prefer the real folder to the symlink
        candidates.insert(0, checkout / name)
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    raise ConfigError(
        f"the package's {name}/ folder is missing (looked in {', '.join(map(str, candidates))})",
        path=str(candidates[-1]),
    )


def load_feeds(path: Path, *, base_url: str | None = None) -> list[FeedSource]:
    """The feeds listed in the YAML file at `path`, validated.

    With `base_url`, every `{base}` in the file is replaced by it first (for the demo feed list, whose URLs
    point at a local server whose address is known only at run time).
    """
    text = read_text(path, what="feed list")
    if base_url is not None:
        text = text.replace("{base}", base_url.rstrip("/"))
    return parse_feeds(text, path=str(path))


def parse_feeds(text: str, *, path: str) -> list[FeedSource]:
    """The feeds in a feed list's YAML `text`; `path` names the source in error messages."""
    root = compose(text, path=path)
    if root is None:
        raise ConfigError("the feed list is empty; expected a mapping with a `feeds` list", path=path)
    top = entries(root, path=path, what="the file", allowed=("feeds",))
    if "feeds" not in top:
        raise ConfigError("missing the `feeds` list", path=path, line=line(root), field="feeds")
    feeds_key, feeds_node = top["feeds"]
    if not isinstance(feeds_node, yaml.SequenceNode):
        raise ConfigError("must be a list of feeds", path=path, line=line(feeds_node), field="feeds")
    if not feeds_node.value:
        raise ConfigError("the list holds no feeds", path=path, line=line(feeds_key), field="feeds")

    feeds: list[FeedSource] = []
    names: dict[str, int] = {}
    urls: dict[str, int] = {}
    for node in feeds_node.value:
        feed = _parse_feed(node, path=path)
        where = line(node)
        name_key = feed.name.casefold()
        if name_key in names:
            raise ConfigError(
                f"duplicate name {feed.name!r} (first used on line {names[name_key]})",
                path=path,
                line=_field_line(node, "name"),
                field="name",
            )
        url_key = canonicalize_url(feed.url)
        if url_key in urls:
            raise ConfigError(
                f"duplicate URL {feed.url!r} (first listed on line {urls[url_key]})",
                path=path,
                line=_field_line(node, "url"),
                field="url",
            )
        names[name_key] = _field_line(node, "name") or where
        urls[url_key] = _field_line(node, "url") or where
        feeds.append(feed)
    logger.debug("loaded %d feeds from %s", len(feeds), path)
    return feeds


def _parse_feed(node: yaml.Node, *, path: str) -> FeedSource:
    entry = entries(node, path=path, what="a feed", allowed=FEED_FIELDS)
    values: dict[str, str] = {}
    for field in FEED_FIELDS:
        if field not in entry:
            raise ConfigError("missing required field", path=path, line=line(node), field=field)
        _, value_node = entry[field]
        if not isinstance(value_node, yaml.ScalarNode) or not str(value_node.value).strip():
            raise ConfigError("must be a non-empty text value", path=path, line=line(value_node), field=field)
        values[field] = str(value_node.value).strip()

    url = values["url"]
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or any(c.isspace() for c in url):
        raise ConfigError(
            f"{url!r} is not an http or https URL", path=path, line=line(entry["url"][1]), field="url"
        )
    language = values["language"].lower()
    if language not in ISO_639_1:
        raise ConfigError(
            f"{values['language']!r} is not an ISO 639-1 language code (e.g. en, ru, uk)",
            path=path,
            line=line(entry["language"][1]),
            field="language",
        )
    country = values["country"].upper()
    if country not in ISO_3166_1_ALPHA_2 and country not in EXTRA_COUNTRIES:
        raise ConfigError(
            f"{values['country']!r} is not an ISO 3166-1 alpha-2 country code (e.g. GB, UA) or INT",
            path=path,
            line=line(entry["country"][1]),
            field="country",
        )
    return FeedSource(
        name=values["name"], url=url, outlet=values["outlet"], language=language, country=country
    )


def _field_line(node: yaml.Node, field: str) -> int | None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == field:
                return line(value_node)
    return None
