"""The shell parser both RUN analysis and health checks stand on, checked against bash itself.

bash is the oracle where it can be one: `bash -n` says whether a script is syntax, and
`printf '%s\\0' WORDS` prints each word after quote removal. Where bash cannot say (offsets, the tree's
shape), the expected values are written out by hand from the grammar.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from mcplint.models import shell
from mcplint.models.shell import Case, Group, If, Loop, ShellSyntaxError, Simple, parse, simple_commands

BASH = shutil.which("bash")
needs_bash = pytest.mark.skipif(BASH is None, reason="bash is not on this machine: it is the oracle")
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"

# Words without expansions, so bash's output is quote removal and nothing else.
QUOTED_WORDS = [
    "plain",
    "'single quoted'",
    '"double quoted"',
    r"back\ slash",
    r'"in \"double\" quotes"',
    r"'no \escape in single'",
    "mixed'a b'\"c d\"e",
    r'"\a \b keep their backslash"',
    r"\'",
    '""',
    "''",
    r'"\\"',
    "a'$HOME'b",
    r'"\$HOME"',
    r"\$HOME",
    "--opt='x y'",
    '-H"Host: a"',
]


@needs_bash
@pytest.mark.parametrize("word", QUOTED_WORDS)
def test_quote_removal_matches_bash(word: str) -> None:
    script = f"printf '%s\\0' {word}"
    expected = subprocess.run([BASH, "-c", script], capture_output=True, text=True, check=True).stdout
    (command,) = simple_commands(parse(script))
    assert command.words[-1].unquoted + "\0" == expected


SYNTAX_CASES = [
    "a && b || c; d | e &",
    "if true; then echo a; elif false; then echo b; else echo c; fi",
    "for x in 1 2 3; do echo $x; done",
    "for ((i=0; i<3; i++)); do echo $i; done",
    "while read -r line; do echo \"$line\"; done < file",
    "case $x in a|b) echo ab ;; *) echo other ;; esac",
    "f() { echo hi; }; f",
    "function g { echo hi; }",
    "( cd /tmp && ls ) > out 2>&1",
    "[[ -f /x && ! -d /y ]] && echo yes",
    "(( x = 1 + 2 ))",
    "cat <<EOF\nif this were code it would not parse (\nEOF\necho done",
    "cat <<-'END' | sort\n\tb\n\ta\n\tEND\n",
    "diff <(ls a) <(ls b)",
    "echo $'a\\'b' \"$(echo \"nested\")\" `echo old`",
    "apt-get update \\\n  && apt-get install -y curl \\\n  && rm -rf /var/lib/apt/lists/*",
    "x=1 y=2 env | grep x",
    "! grep -q foo bar",
    "echo a |& cat",
    "# only a comment",
    "",
    # and what bash rejects
    "echo 'unclosed",
    'echo "unclosed',
    "if true; then echo a",
    "echo a )",
    "for x in a; echo $x; done",
    "case x in a) echo ;;",
    "&& echo a",
    "echo $(unclosed",
    "echo `unclosed",
    "{ echo a",
    "a |",
]


def _bash_accepts(script: str) -> bool:
    return subprocess.run([BASH, "-n"], input=script, capture_output=True, text=True).returncode == 0


def _parses(script: str) -> bool:
    try:
        parse(script)
    except ShellSyntaxError:
        return False
    return True


@needs_bash
@pytest.mark.parametrize("script", SYNTAX_CASES)
def test_parse_accepts_what_bash_accepts(script: str) -> None:
    assert _parses(script) == _bash_accepts(script)


def test_the_tree_has_the_shape_the_grammar_gives() -> None:
    tree = parse("a && b || c; d | e &\nf")
    shapes = [
        ([len(pipeline.commands) for pipeline in and_or.pipelines], [op.text for op in and_or.operators], separator)
        for and_or, separator in tree.items
    ]
    assert [(counts, ops, sep.text if sep else None) for counts, ops, sep in shapes] == [
        ([1, 1, 1], ["&&", "||"], ";"),
        ([2], [], "&"),
        ([1], [], None),
    ]


def test_compound_commands_become_their_nodes() -> None:
    tree = parse("if a; then b; fi; for x in 1; do c; done; case y in z) d;; esac; { e; }; (f)")
    kinds = [type(and_or.pipelines[0].commands[0]) for and_or, _ in tree.items]
    assert kinds == [If, Loop, Case, Group, Group]
    assert [command.words[0].raw for command in simple_commands(tree)] == ["a", "b", "c", "d", "e", "f"]


def test_heredoc_body_is_not_read_as_commands_and_its_span_is_kept() -> None:
    script = "cat <<EOF >out\nrm -rf /\nEOF\necho after"
    tree = parse(script)
    names = [command.words[0].raw for command in simple_commands(tree)]
    assert names == ["cat", "echo"]
    (heredoc,) = [r for r in next(simple_commands(tree)).redirects if r.heredoc_body]
    start, end = heredoc.heredoc_body
    assert script[start:end] == "rm -rf /\n"
    assert heredoc.delimiter == "EOF"


# A heredoc's delimiter as written, and the line that ends its body: the word after quote removal.
HEREDOC_DELIMITERS = [
    ("EOF", "EOF"),
    ("\"E'O\"F", "E'OF"),
    ("\\EOF", "EOF"),
    ('E\\"OF', 'E"OF'),
    ("'E\"OF'", 'E"OF'),
    ('"E\\$F"', "E$F"),
    ("E\\\\OF", "E\\OF"),
    ("'E\\OF'", "E\\OF"),
]


@needs_bash
@pytest.mark.parametrize(("written", "delimiter"), HEREDOC_DELIMITERS)
def test_a_heredoc_ends_at_its_delimiter_after_quote_removal_as_in_bash(written: str, delimiter: str) -> None:
    script = f"cat <<{written}\nbody\n{delimiter}\necho after\n"
    assert subprocess.run([BASH, "-c", script], capture_output=True, text=True, check=True).stdout == "body\nafter\n"
    tree = parse(script)
    assert [command.words[0].raw for command in simple_commands(tree)] == ["cat", "echo"]
    (heredoc,) = next(simple_commands(tree)).redirects
    assert heredoc.delimiter == delimiter
    start, end = heredoc.heredoc_body
    assert script[start:end] == "body\n"


def test_assignments_and_redirections_are_kept_apart_from_words() -> None:
    (command,) = simple_commands(parse("A=1 B='x y' cmd arg 2>&1 >/dev/null"))
    assert [word.raw for word in command.assigns] == ["A=1", "B='x y'"]
    assert [word.raw for word in command.words] == ["cmd", "arg"]
    assert [(r.operator, r.target.raw if r.target else None) for r in command.redirects] == [
        (">&", "1"),
        (">", "/dev/null"),
    ]


def test_blanks_decide_whether_a_carriage_return_separates_words() -> None:
    (default,) = simple_commands(parse("echo a\rb"))
    (strict,) = simple_commands(parse("echo a\rb", blanks=" \t"))
    assert [word.raw for word in default.words] == ["echo", "a", "b"]
    assert [word.raw for word in strict.words] == ["echo", "a\rb"]


def _every_word(tree: shell.CommandList):
    for command in simple_commands(tree):
        yield from command.assigns
        yield from command.words
        yield from (redirect.target for redirect in command.redirects if redirect.target is not None)


def _corpus_run_scripts() -> list[tuple[str, str]]:
    if not CORPUS.is_dir():
        return []
    from mcplint.models.dockerfile import parse_dockerfile
    from mcplint.source import SourceFile

    scripts = []
    for path in sorted(CORPUS.rglob("*")):
        if not path.is_file() or "ockerfile" not in path.name:
            continue
        source = SourceFile.from_bytes(path, path.read_bytes())
        if not isinstance(source, SourceFile):
            continue
        dockerfile = parse_dockerfile(source)
        for instruction in dockerfile.instructions:
            if instruction.keyword == "RUN" and not instruction.json_form and not instruction.heredocs:
                if instruction.rest is not None:
                    scripts.append((f"{path.relative_to(CORPUS)}:{instruction.start_line}", instruction.rest.value))
    return scripts


@needs_bash
def test_every_corpus_run_script_bash_accepts_parses_with_offsets_that_point_at_each_word() -> None:
    scripts = _corpus_run_scripts()
    if not scripts:
        pytest.skip(f"{CORPUS} is absent: the corpus README says how to get it")
    disagreements = []
    for where, script in scripts:
        accepted = _bash_accepts(script)
        try:
            tree = parse(script)
        except ShellSyntaxError as error:
            if accepted:
                disagreements.append(f"{where}: bash accepts, parser says {error}")
            continue
        for word in _every_word(tree):
            assert script[word.start : word.end] == word.raw, where
    assert disagreements == []
