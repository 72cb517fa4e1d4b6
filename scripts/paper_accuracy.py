"""How well the paper importer reads our corpus: .venv/bin/python scripts/paper_accuracy.py

Parses every paper of tests/papers/corpus with discussions.papers.parse_paper and compares
it with the paper's truth (<stem>.expected.json; tests/papers/make_corpus.py defines it):

- title: exact match, whitespace collapsed (an untitled paper must get its file-name title);
- sections: precision and recall of the section titles, case and whitespace ignored;
- framing questions: precision and recall, whitespace ignored.

A table per paper, then the totals per field (micro-averaged: summed over the corpus) and
per format. -v lists each paper's differences; --json prints the figures as JSON.
"""

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

# The corpus' helpers live in the test package; they import no Django.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.papers import (  # noqa: E402
    CORPUS,
    Match,
    Score,
    load_json,
    paper_paths,
    parse_file,
    score,
    truth_path,
)


def ratio(value: float | None) -> str:
    return "   -" if value is None else f"{value:4.2f}"


def cell(found: Match) -> str:
    # matched/found gives the precision, matched/expected the recall.
    counts = f"{found.matched:>2}/{found.found:<2} of {found.expected:<2}"
    return f"{counts}  P {ratio(found.precision)}  R {ratio(found.recall)}"


def total(matches: list[Match]) -> Match:
    return Match(
        found=sum(m.found for m in matches),
        expected=sum(m.expected for m in matches),
        matched=sum(m.matched for m in matches),
        missing=(),
        extra=(),
    )


def differences(result: Score) -> list[str]:
    lines = []
    if not result.title_ok:
        lines.append(f"    title: expected {result.title_expected!r}")
        lines.append(f"           found    {result.title_found!r}")
    for field, found in (("section", result.sections), ("question", result.questions)):
        lines += [f"    missing {field}: {item!r}" for item in found.missing]
        lines += [f"    extra {field}:   {item!r}" for item in found.extra]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="list the differences")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)

    results: dict[str, Score] = {}
    for path in paper_paths(CORPUS):
        results[path.name] = score(parse_file(path), load_json(truth_path(path)), path.name)

    if args.json:
        print(json.dumps(summary(results), indent=2))
        return 0

    width = max(len(name) for name in results)
    print(f"{'paper':<{width}}  title  {'sections':<32}  framing questions")
    for name, result in results.items():
        mark = "ok" if result.title_ok else "--"
        print(f"{name:<{width}}  {mark:<5}  {cell(result.sections)}  {cell(result.questions)}")
        if args.verbose:
            print("\n".join(differences(result)))

    groups: dict[str, list[Score]] = defaultdict(list)
    for name, result in results.items():
        groups["all"].append(result)
        groups[Path(name).suffix].append(result)
    print()
    print(f"{'totals':<8}  {'title':<11}  {'sections':<32}  framing questions")
    for group, scores in groups.items():
        titles = sum(s.title_ok for s in scores)
        sections = total([s.sections for s in scores])
        questions = total([s.questions for s in scores])
        title_cell = f"{titles:>2}/{len(scores):<2} {titles / len(scores):4.2f}"
        print(f"{group:<8}  {title_cell:<11}  {cell(sections)}  {cell(questions)}")
    print("\ncounts are matched/found of expected; P = matched/found, R = matched/expected")
    return 0


def summary(results: dict[str, Score]) -> dict:
    def figures(found: Match) -> dict:
        return {
            "found": found.found,
            "expected": found.expected,
            "matched": found.matched,
            "precision": found.precision,
            "recall": found.recall,
        }

    scores = list(results.values())
    return {
        "papers": {
            name: {
                "title_ok": result.title_ok,
                "sections": figures(result.sections),
                "framing_questions": figures(result.questions),
            }
            for name, result in results.items()
        },
        "totals": {
            "title_accuracy": sum(s.title_ok for s in scores) / len(scores),
            "sections": figures(total([s.sections for s in scores])),
            "framing_questions": figures(total([s.questions for s in scores])),
        },
    }


if __name__ == "__main__":
    sys.exit(main())
