"""The statement detector: quotes and reported speech in an article, each with its speaker, role and topics.

    from pipeline.detect import detect_statements
    for statement in detect_statements(article_text, "en"):
        print(statement.speaker, statement.quote)

Stages, each a module: `segment` (paragraphs, sentences), `quotes` (quote marks), `cues` (tokens and verbs of
saying), `frames` (where the reported words are around a cue), `speakers` (source spans and the article's
names), `coref` (who a mention names), `statements` (assembly), `lexicon` (the seed files), `jsonl` (the
command-line contract). Topic tagging is `topics`.
"""

from pipeline.detect.statements import DETECTOR_VERSION, Statement, detect_statements

__all__ = ["DETECTOR_VERSION", "Statement", "detect_statements"]
