""".dockerignore reading and matching as Docker does it.

Expectations come from Docker's documentation (docs.docker.com/build/concepts/context/ "Dockerignore
files", and the older Dockerfile reference section it replaced), from moby/patternmatcher's own test
tables (patternmatcher_test.go, ignorefile/ignorefile_test.go), and, when a Go toolchain and Debian's
Go sources of moby/patternmatcher and BuildKit are installed, from those real Go packages driven the
way tonistiigi/fsutil walks a build context.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from mcplint.models.dockerignore import (
    IgnoreMatcher,
    IgnorePattern,
    IgnorePatternError,
    _go_regexp_source,
    _Kind,
    parse_dockerignore,
    pattern_error,
)
from tests.go_oracle import ask, build_program, requires_go

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def excluded(ignore_file: str, path: str) -> bool:
    return IgnoreMatcher(parse_dockerignore(ignore_file)).is_excluded(path)


# ------------------------------------------------------------ Docker's documentation

DOCS_TEMP = "# comment\n*/temp*\n*/*/temp*\ntemp?\n"
DOCS_README_LAST_EXCLUDES = "*.md\n!README*.md\nREADME-secret.md\n"
DOCS_README_LAST_INCLUDES = "*.md\nREADME-secret.md\n!README*.md\n"


@pytest.mark.parametrize(
    ("ignore_file", "path", "is_excluded"),
    [
        # context.md "Matching": `*/temp*` excludes "the plain file /somedir/temporary.txt ... as
        # is the directory /somedir/temp"; a directory's contents go with it.
        (DOCS_TEMP, "somedir/temporary.txt", True),
        (DOCS_TEMP, "somedir/temp", True),
        (DOCS_TEMP, "somedir/temp/inside.txt", True),
        # ... "in any immediate subdirectory of the root": not the root itself.
        (DOCS_TEMP, "temporary.txt", False),
        # `*/*/temp*`: "/somedir/subdir/temporary.txt is excluded".
        (DOCS_TEMP, "somedir/subdir/temporary.txt", True),
        (DOCS_TEMP, "a/b/c/temporary.txt", False),
        # `temp?`: "/tempa and /tempb are excluded" (a one-character extension of temp).
        (DOCS_TEMP, "tempa", True),
        (DOCS_TEMP, "tempb", True),
        (DOCS_TEMP, "temp", False),
        (DOCS_TEMP, "tempab", False),
        (DOCS_TEMP, "a/b/c/tempa", False),  # temp? is for the root only
        # "`**/*.go` excludes all files that end with .go found anywhere in the build context",
        # the root included ("matches any number of directories (including zero)").
        ("**/*.go", "main.go", True),
        ("**/*.go", "cmd/app/main.go", True),
        ("**/*.go", "main.gone", False),
        # "Negating matches": "*.md / !README.md": "All markdown files right under the context
        # directory except README.md are excluded ... markdown files under subdirectories are
        # still included."
        ("*.md\n!README.md\n", "CHANGELOG.md", True),
        ("*.md\n!README.md\n", "README.md", False),
        ("*.md\n!README.md\n", "docs/guide.md", False),
        # "No markdown files are included in the context except README files other than
        # README-secret.md."
        (DOCS_README_LAST_EXCLUDES, "README-secret.md", True),
        (DOCS_README_LAST_EXCLUDES, "README.md", False),
        (DOCS_README_LAST_EXCLUDES, "README-public.md", False),
        (DOCS_README_LAST_EXCLUDES, "CHANGELOG.md", True),
        # "All of the README files are included. The middle line has no effect because
        # !README*.md matches README-secret.md and comes last."
        (DOCS_README_LAST_INCLUDES, "README-secret.md", False),
        (DOCS_README_LAST_INCLUDES, "README.md", False),
        (DOCS_README_LAST_INCLUDES, "notes.md", True),
        # "Syntax": /foo/bar/, /foo/bar, foo/bar/ and foo/bar "all exclude a file or directory
        # named bar in the subdirectory foo under the root of the build context".
        ("/foo/bar/", "foo/bar", True),
        ("/foo/bar", "foo/bar", True),
        ("foo/bar/", "foo/bar", True),
        ("foo/bar", "foo/bar", True),
        ("foo/bar", "bar", False),
        ("foo/bar", "foo", False),
        ("foo/bar", "x/foo/bar", False),
        # "For historical reasons, the pattern . is ignored."
        (".", "a", False),
        (".", "a/b", False),
        # Dockerfile reference (.dockerignore section): "to specify which files to include in the
        # context, rather than which to exclude ... specify * as the first pattern, followed by
        # one or more ! exception patterns".
        ("*\n!src\n", "src/app.py", False),
        ("*\n!src\n", "src", False),
        ("*\n!src\n", "README.md", True),
        ("*\n!src/main\n", "src/main/app.py", False),
        ("*\n!src/main\n", "src/other/app.py", True),
        # "leading and trailing whitespace" is trimmed, "." and ".." removed (filepath.Clean).
        ("  ./docs/../build/  \n", "build/out.bin", True),
    ],
)
def test_documented_examples(ignore_file: str, path: str, is_excluded: bool) -> None:
    assert excluded(ignore_file, path) is is_excluded


def test_documented_comments() -> None:
    # "If a line in .dockerignore file starts with # in column 1, then this line is considered as a
    # comment": only in column 1 (ReadAll tests "#" before trimming).
    assert parse_dockerignore("# comment\n#/this/is/a/comment\n") == ()
    (indented,) = parse_dockerignore("  # not a comment")
    assert indented.text == "# not a comment"


# --------------------------------------------------- moby/patternmatcher's test tables


def test_ignorefile_read_all_facts() -> None:
    # ignorefile/ignorefile_test.go TestReadAll: ReadAll gives test1, test2, a/file/here, lastfile,
    # !inverted/abs/path, !, ! ("/foo/bar should be treated as foo/bar").
    content = "test1\n/test2\n/a/file/here\n\nlastfile\n# this is a comment\n! /inverted/abs/path\n!\n! "
    patterns = parse_dockerignore(content)
    assert [(p.text, p.exclusion) for p in patterns] == [
        ("test1", False),
        ("test2", False),
        ("a/file/here", False),
        ("lastfile", False),
        ("inverted/abs/path", True),
        ("", True),
        ("", True),
    ]
    assert [p.line for p in patterns] == [1, 2, 3, 5, 7, 8, 9]
    # patternmatcher.New refuses a lone "!": TestSingleExclamationError.
    assert pattern_error(patterns[5]) == 'illegal exclusion pattern: "!"'
    assert [pattern_error(p) for p in patterns[:5]] == [None] * 5
    with pytest.raises(IgnorePatternError) as refused:
        IgnoreMatcher(patterns)
    assert refused.value.pattern == patterns[5]
    assert refused.value.docker_fails


# patternmatcher_test.go TestMatches `tests` (non-Windows additions included). Expected as in its
# MatchesUsingParentResults subtest: excluded unless `fail`. Texts with a trailing "/" are cleaned
# as a walked path would be; the root ("/") is never evaluated by the walk and is left out.
MOBY_MATCHES = [
    ("**", "file", True),
    ("**", "file/", True),
    ("**/", "file", True),
    ("**/", "file/", True),
    ("**", "dir/file", True),
    ("**/", "dir/file", True),
    ("**", "dir/file/", True),
    ("**/", "dir/file/", True),
    ("**/**", "dir/file", True),
    ("**/**", "dir/file/", True),
    ("dir/**", "dir/file", True),
    ("dir/**", "dir/file/", True),
    ("dir/**", "dir/dir2/file", True),
    ("dir/**", "dir/dir2/file/", True),
    ("**/dir", "dir", True),
    ("**/dir", "dir/file", True),
    ("**/dir2/*", "dir/dir2/file", True),
    ("**/dir2/*", "dir/dir2/file/", True),
    ("**/dir2/**", "dir/dir2/dir3/file", True),
    ("**/dir2/**", "dir/dir2/dir3/file/", True),
    ("**file", "file", True),
    ("**file", "dir/file", True),
    ("**/file", "dir/file", True),
    ("**file", "dir/dir/file", True),
    ("**/file", "dir/dir/file", True),
    ("**/file*", "dir/dir/file", True),
    ("**/file*", "dir/dir/file.txt", True),
    ("**/file*txt", "dir/dir/file.txt", True),
    ("**/file*.txt", "dir/dir/file.txt", True),
    ("**/file*.txt*", "dir/dir/file.txt", True),
    ("**/**/*.txt", "dir/dir/file.txt", True),
    ("**/**/*.txt2", "dir/dir/file.txt", False),
    ("**/*.txt", "file.txt", True),
    ("**/**/*.txt", "file.txt", True),
    ("a**/*.txt", "a/file.txt", True),
    ("a**/*.txt", "a/dir/file.txt", True),
    ("a**/*.txt", "a/dir/dir/file.txt", True),
    ("a/*.txt", "a/dir/file.txt", False),
    ("a/*.txt", "a/file.txt", True),
    ("a/*.txt**", "a/file.txt", True),
    ("a[b-d]e", "ae", False),
    ("a[b-d]e", "ace", True),
    ("a[b-d]e", "aae", False),
    ("a[^b-d]e", "aze", True),
    (".*", ".foo", True),
    (".*", "foo", False),
    ("abc.def", "abcdef", False),
    ("abc.def", "abc.def", True),
    ("abc.def", "abcZdef", False),
    ("abc?def", "abcZdef", True),
    ("abc?def", "abcdef", False),
    ("**/foo/bar", "foo/bar", True),
    ("**/foo/bar", "dir/foo/bar", True),
    ("**/foo/bar", "dir/dir2/foo/bar", True),
    ("abc/**", "abc", False),
    ("abc/**", "abc/def", True),
    ("abc/**", "abc/def/ghi", True),
    ("**/.foo", ".foo", True),
    ("**/.foo", "bar.foo", False),
    ("a(b)c/def", "a(b)c/def", True),
    ("a(b)c/def", "a(b)c/xyz", False),
    ("a.|)$(}+{bc", "a.|)$(}+{bc", True),
    (
        "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
        "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
        True,
    ),
    ("dist/*.whl", "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", True),
    ("a\\\\", "a\\", True),
    ("a\\*b", "a*b", True),
]


@pytest.mark.parametrize(("pattern", "path", "is_excluded"), MOBY_MATCHES)
def test_patternmatcher_matches_table(pattern: str, path: str, is_excluded: bool) -> None:
    assert excluded(pattern, path) is is_excluded


@pytest.mark.parametrize(
    ("patterns", "path", "is_excluded"),
    [
        # patternmatcher_test.go multiPatternTests.
        (["**", "!util/docker/web"], "util/docker/web/foo", False),
        (["**", "!util/docker/web", "util/docker/web/foo"], "util/docker/web/foo", True),
        (
            ["**", "!dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl"],
            "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
            False,
        ),
        (["**", "!dist/*.whl"], "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", False),
        # TestWildcardMatches, TestPatternMatches.
        (["*"], "fileutils.go", True),
        (["*.go"], "fileutils.go", True),
        # TestExclusionPatternMatchesPatternBefore / ...After.
        (["!fileutils.go", "*.go"], "fileutils.go", True),
        (["*.go", "!fileutils.go"], "fileutils.go", False),
        # TestPatternMatchesFolderExclusions, ...WithSlashExclusions, ...WildcardExclusions.
        (["docs", "!docs/README.md"], "docs/README.md", False),
        (["docs/", "!docs/README.md"], "docs/README.md", False),
        (["docs/*", "!docs/README.md"], "docs/README.md", False),
        # TestCleanPatternsLeadingSpaceTrimmed / TrailingSpaceTrimmed: still exceptions.
        (["docs", "  !docs/README.md"], "docs/README.md", False),
        (["docs", "!docs/README.md  "], "docs/README.md", False),
        # TestMatchesWithNoPatterns.
        ([], "any/path/there", False),
    ],
)
def test_patternmatcher_multi_pattern_facts(patterns: list[str], path: str, is_excluded: bool) -> None:
    assert excluded("\n".join(patterns), path) is is_excluded


# patternmatcher_test.go TestMatch (Go's filepath.Match table through Matches): excluded, or an error.
MOBY_MATCH = [
    ("abc", "abc", True),
    ("*", "abc", True),
    ("*c", "abc", True),
    ("a*", "a", True),
    ("a*", "abc", True),
    ("a*", "ab/c", True),
    ("a*/b", "abc/b", True),
    ("a*/b", "a/c/b", False),
    ("a*b*c*d*e*/f", "axbxcxdxe/f", True),
    ("a*b*c*d*e*/f", "axbxcxdxexxx/f", True),
    ("a*b*c*d*e*/f", "axbxcxdxe/xxx/f", False),
    ("a*b*c*d*e*/f", "axbxcxdxexxx/fff", False),
    ("a*b?c*x", "abxbbxdbxebxczzx", True),
    ("a*b?c*x", "abxbbxdbxebxczzy", False),
    ("ab[c]", "abc", True),
    ("ab[b-d]", "abc", True),
    ("ab[e-g]", "abc", False),
    ("ab[^c]", "abc", False),
    ("ab[^b-d]", "abc", False),
    ("ab[^e-g]", "abc", True),
    ("a\\*b", "a*b", True),
    ("a\\*b", "ab", False),
    ("a?b", "a☺b", True),
    ("a[^a]b", "a☺b", True),
    ("a???b", "a☺b", False),
    ("a[^a][^a][^a]b", "a☺b", False),
    ("[a-ζ]*", "α", True),  # noqa: RUF001 (Greek on purpose)
    ("*[a-ζ]", "A", False),
    ("a?b", "a/b", False),
    ("a*b", "a/b", False),
    ("[\\]a]", "]", True),
    ("[\\-]", "-", True),
    ("[x\\-]", "x", True),
    ("[x\\-]", "-", True),
    ("[x\\-]", "z", False),
    ("[\\-x]", "x", True),
    ("[\\-x]", "-", True),
    ("[\\-x]", "a", False),
    ("[]a]", "]", None),
    ("[-]", "-", None),
    ("[x-]", "x", None),
    ("[x-]", "-", None),
    ("[x-]", "z", None),
    ("[-x]", "x", None),
    ("[-x]", "-", None),
    ("[-x]", "a", None),
    ("\\", "a", None),
    ("[a-b-c]", "a", None),
    ("[", "a", None),
    ("[^", "a", None),
    ("[^bc", "a", None),
    ("a[", "a", None),
    ("a[", "ab", None),
    ("*x", "xxx", True),
]


@pytest.mark.parametrize(("pattern", "path", "is_excluded"), MOBY_MATCH)
def test_patternmatcher_filepath_table(pattern: str, path: str, is_excluded: bool | None) -> None:
    if is_excluded is None:
        with pytest.raises(IgnorePatternError) as refused:
            excluded(pattern, path)
        assert refused.value.docker_fails
    else:
        assert excluded(pattern, path) is is_excluded


@pytest.mark.parametrize(
    ("pattern", "kind", "go_regexp"),
    [
        # patternmatcher_test.go compileTests (the "/" separator column).
        ("*", _Kind.REGEX, "^[^/]*$"),
        ("file*", _Kind.REGEX, "^file[^/]*$"),
        ("*file", _Kind.REGEX, "^[^/]*file$"),
        ("a*/b", _Kind.REGEX, "^a[^/]*/b$"),
        ("**", _Kind.SUFFIX, None),
        ("**/**", _Kind.REGEX, "^(.*/)?.*$"),
        ("dir/**", _Kind.PREFIX, None),
        ("**/dir", _Kind.SUFFIX, None),
        ("**/dir2/*", _Kind.REGEX, "^(.*/)?dir2/[^/]*$"),
        ("**/dir2/**", _Kind.REGEX, "^(.*/)?dir2/.*$"),
        ("**file", _Kind.SUFFIX, None),
        ("**/file*txt", _Kind.REGEX, "^(.*/)?file[^/]*txt$"),
        ("**/**/*.txt", _Kind.REGEX, "^(.*/)?(.*/)?[^/]*\\.txt$"),
        ("a[b-d]e", _Kind.REGEX, "^a[b-d]e$"),
        (".*", _Kind.REGEX, "^\\.[^/]*$"),
        ("abc.def", _Kind.EXACT, None),
        ("abc?def", _Kind.REGEX, "^abc[^/]def$"),
        ("**/foo/bar", _Kind.SUFFIX, None),
        ("a(b)c/def", _Kind.EXACT, None),
        ("a.|)$(}+{bc", _Kind.EXACT, None),
        ("dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", _Kind.EXACT, None),
    ],
)
def test_patternmatcher_compile_table(pattern: str, kind: _Kind, go_regexp: str | None) -> None:
    built_kind, built_regexp = _go_regexp_source(pattern)
    assert built_kind is kind
    if go_regexp is not None:
        assert built_regexp == go_regexp


def test_malformed_regexp_fails_only_when_reached() -> None:
    # patternmatcher_test.go, regression test for moby/moby#52203: "[Local-Only]/" passes New
    # (filepath.Match accepts it) but matching fails with ErrBadPattern, every time.
    matcher = IgnoreMatcher(parse_dockerignore("[Local-Only]/"))
    (broken,) = matcher.broken_patterns
    assert broken.docker_fails and broken.pattern.text == "[Local-Only]"
    for _ in range(2):
        with pytest.raises(IgnorePatternError):
            matcher.is_excluded("x")
    # An exception is never evaluated while nothing is excluded, so it never breaks the walk.
    quiet = IgnoreMatcher(parse_dockerignore("!x[z-a]"))
    assert len(quiet.broken_patterns) == 1
    assert not quiet.is_excluded("x")


# ------------------------------------------------------------ reading details


def test_reading_details() -> None:
    text = "\ufeffnode_modules\r\n\t !  ./build/ \n\n./!odd\n/\n!/..\n"
    patterns = parse_dockerignore(text)
    assert [(p.text, p.exclusion, p.line) for p in patterns] == [
        ("node_modules", False, 1),  # BOM skipped, CR dropped
        ("build", True, 2),
        ("odd", True, 4),  # Clean turns "./!odd" into "!odd", which patternmatcher reads as "!"
        ("/", False, 5),  # "/" keeps its slash and matches no walked path
        ("", True, 6),  # "!/.." cleans to "!/" and then to a lone "!"
    ]
    assert text[patterns[1].start : patterns[1].end] == "!  ./build/"
    assert text[patterns[0].start : patterns[0].end] == "node_modules"
    assert pattern_error(patterns[4]) is not None
    # Go's TrimSpace trims Unicode spaces (NBSP, ideographic space) but not U+001C..U+001F.
    (nbsp,) = parse_dockerignore("\u00a0\u3000x\u00a0")
    assert nbsp.text == "x"
    (separator,) = parse_dockerignore("\x1cx")
    assert separator.text == "\x1cx"


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["", " ", "\t", "\u00a0"]),
            st.sampled_from(["", "!", "! "]),
            st.text(st.sampled_from("ab/*.#"), min_size=1, max_size=6),
            st.sampled_from(["", " ", "\r"]),
        ),
        max_size=6,
    )
)
@settings(max_examples=200, deadline=None)
def test_positions_point_at_the_written_pattern(lines: list[tuple[str, str, str, str]]) -> None:
    text = "\n".join(lead + bang + body + tail for lead, bang, body, tail in lines)
    patterns = parse_dockerignore(text)
    written = [
        (number, (bang + body).strip(" \t\u00a0\r"))
        for number, (lead, bang, body, tail) in enumerate(lines, start=1)
        if not (lead + bang + body).startswith("#") and (bang + body).strip(" \t\u00a0")
    ]
    assert [(p.line, text[p.start : p.end]) for p in patterns] == written


@pytest.mark.parametrize(
    ("pattern", "path", "is_excluded"),
    [
        # Go regexp semantics of the compiled pattern (regexp/syntax): POSIX and Perl classes,
        # escapes that mean something to Go, \Q...\E quoting swallowing the end anchor.
        ("[[:alpha:]]", "a", True),
        ("[[:alpha:]]", "1", False),
        ("[[:^digit:]]x", "ax", True),
        ("a\\d", "a7", True),
        ("a\\d", "ad", False),
        ("a\\x41", "aA", True),
        ("\\Qa", "a", False),  # "^\\Qa$": the "$" is quoted, a literal "a$" is required...
        ("\\Qa", "a$bc", True),  # ... and nothing anchors the end any more
        ("a*\\", "ab$c", True),  # a trailing "\\" escapes the "$" anchor the same way
        ("x[*]", "x]", True),  # "[*]" becomes "[[^/]*]": the class {[ ^ /}, a star, then "]"
        ("x[*]", "x[/]", True),
        ("x[*]", "x[a]", False),
        ("é?", "éx", True),
        # patternmatcher escapes only ". + ( ) $": "|" and "{n,m}" keep their Go regexp meaning.
        ("a|b*", "a/long/path", True),  # "^a|b[^/]*$": either alternative, each half-anchored
        ("a|b*", "x/y/cb", True),
        ("a|b*", "x/c", False),
        ("a|b", "a|b", True),  # no wildcard: compared literally
        ("a|b", "a", False),
        ("?{2}", "ab", True),
        ("?{2}", "abc", False),
        ("x?{01}", "xy{01}", True),  # a leading zero makes "{" a literal
        ("\\x{263a}", "☺", True),
        ("{2}?", "a", True),  # "^{2}": Go lets an anchor be repeated
    ],
)
def test_go_regexp_semantics(pattern: str, path: str, is_excluded: bool) -> None:
    assert excluded(pattern, path) is is_excluded


@pytest.mark.parametrize(
    ("pattern", "docker_fails"),
    [
        ("a[z-a]", True),  # Go: invalid character class range
        ("[[:nope:]]", True),
        ("a\\é", True),  # Go rejects escaping a non-ASCII character
        ("a\\q", True),
        ("a\\8", True),
        ("a\\C", True),
        ("*{2}", True),  # "[^/]*{2}": invalid nested repetition operator
        ("x?{1001}", True),  # invalid repeat count
        ("x|{2}?", True),  # missing argument to repetition operator
        ("\\pL", False),  # valid Go, but Python's re has no Unicode classes
    ],
)
def test_patterns_that_cannot_be_compiled(pattern: str, docker_fails: bool) -> None:
    matcher = IgnoreMatcher(parse_dockerignore(pattern))
    with pytest.raises(IgnorePatternError) as refused:
        matcher.is_excluded("anything")
    assert refused.value.docker_fails is docker_fails


def test_paths_are_cleaned_and_must_stay_inside() -> None:
    matcher = IgnoreMatcher(parse_dockerignore("build\n"))
    assert matcher.is_excluded("./build/x/")
    assert matcher.is_excluded("/build")
    assert not matcher.is_excluded(".")
    assert not matcher.is_excluded("")
    with pytest.raises(ValueError, match="outside"):
        matcher.is_excluded("../build")


def test_deciding_pattern_is_the_line_that_excludes() -> None:
    patterns = parse_dockerignore("node_modules\n*.log\n!keep.log\n**/node_modules\n")
    matcher = IgnoreMatcher(patterns)
    # A plain pattern is not evaluated for a path that is already excluded: the first line decides.
    assert matcher.deciding_pattern("node_modules/x/y") == patterns[0]
    assert matcher.deciding_pattern("a/node_modules/z") == patterns[3]
    assert matcher.deciding_pattern("err.log") == patterns[1]
    assert matcher.deciding_pattern("keep.log") is None
    assert matcher.deciding_pattern("src/app.py") is None


def test_deep_paths() -> None:
    deep = "/".join(["d"] * 3000)
    matcher = IgnoreMatcher(parse_dockerignore("d/d\n"))
    assert matcher.is_excluded(deep)


# ------------------------------------------------------------ properties

_COMPONENT = st.sampled_from(["a", "b", "ab", "a.md", "x"])
_PATHS = st.lists(st.lists(_COMPONENT, min_size=1, max_size=4).map("/".join), min_size=1, max_size=12)
_PATTERN_PIECES = st.sampled_from(["a", "b", "*", "**", "?", "/", "[ab]", "[^a]", ".md", "x", "..", "."])
_PATTERN = st.lists(_PATTERN_PIECES, min_size=1, max_size=5).map("".join)


def _all_paths(files: list[str]) -> list[str]:
    paths: set[str] = set()
    for file in files:
        parts = file.split("/")
        paths.update("/".join(parts[: index + 1]) for index in range(len(parts)))
    return sorted(paths)


def _usable(lines: list[str]) -> IgnoreMatcher | None:
    try:
        matcher = IgnoreMatcher(parse_dockerignore("\n".join(lines)))
    except IgnorePatternError:
        return None
    return None if matcher.broken_patterns else matcher


@given(_PATTERN, _PATHS)
@settings(max_examples=200, deadline=None)
def test_repeating_a_pattern_changes_nothing(pattern: str, files: list[str]) -> None:
    once, twice = _usable([pattern]), _usable([pattern, pattern])
    assume(once is not None and twice is not None)
    assert once is not None and twice is not None
    for path in _all_paths(files):
        assert once.is_excluded(path) == twice.is_excluded(path)


@given(_PATTERN, _PATHS)
@settings(max_examples=200, deadline=None)
def test_an_exception_equal_to_the_pattern_re_includes_all_it_excluded(
    pattern: str, files: list[str]
) -> None:
    matcher = _usable([pattern, "!" + pattern])
    assume(matcher is not None and not pattern.startswith("!"))
    assert matcher is not None
    assert not any(matcher.is_excluded(path) for path in _all_paths(files))


@given(st.lists(st.one_of(_PATTERN, _PATTERN.map(lambda p: "!" + p)), max_size=4), _PATTERN, _PATHS)
@settings(max_examples=200, deadline=None)
def test_a_last_pattern_only_adds_and_a_last_exception_only_removes(
    lines: list[str], pattern: str, files: list[str]
) -> None:
    before, more, fewer = _usable(lines), _usable([*lines, pattern]), _usable([*lines, "!" + pattern])
    assume(before is not None and more is not None and fewer is not None)
    assert before is not None and more is not None and fewer is not None
    for path in _all_paths(files):
        if before.is_excluded(path):
            assert more.is_excluded(path)
        else:
            assert not fewer.is_excluded(path)


@given(
    st.lists(_COMPONENT, min_size=1, max_size=3).map("/".join),
    _PATHS,
    st.sampled_from(["{}", "{}/", "/{}", "./{}"]),
)
@settings(max_examples=200, deadline=None)
def test_a_directory_pattern_excludes_every_descendant(
    directory: str, files: list[str], spelling: str
) -> None:
    matcher = IgnoreMatcher(parse_dockerignore(spelling.format(directory)))
    inside = IgnoreMatcher(parse_dockerignore(directory + "/**"))
    for path in _all_paths([f"{directory}/{file}" for file in files] + files):
        below = path.startswith(directory + "/")
        assert matcher.is_excluded(path) is (below or path == directory)
        assert inside.is_excluded(path) is below  # "dir/**" is the prefix "dir/": not dir itself


# ----------------------------------------------------------------- Docker's Go code as the oracle

_GO_SOURCES = Path("/usr/share/gocode/src/github.com")
# Debian packages golang-github-moby-patternmatcher-dev and golang-github-docker-docker-dev (which
# carries BuildKit's dockerignore.ReadAll).
_PATTERNMATCHER_SOURCE = _GO_SOURCES / "moby/patternmatcher"
_READ_ALL_SOURCE = _GO_SOURCES / "moby/buildkit/frontend/dockerfile/dockerignore/dockerignore.go"

_GO_ORACLE = r"""
package main

import (
	"encoding/json"
	"os"
	"strings"

	"github.com/moby/patternmatcher"
	"oracle/dockerignore"
)

type entry struct {
	Path string
	Dir  bool
}
type request struct {
	Ignore  string
	Entries []entry
}
type pattern struct {
	Text      string
	Exclusion bool
}
type response struct {
	Patterns []pattern
	NewError bool
	Sent     []bool
	ErrorAt  int
}

func withoutTrailingGlob(p *patternmatcher.Pattern) string {
	return strings.TrimSuffix(strings.TrimSuffix(p.String(), "/**"), "/*")
}

// walk follows tonistiigi/fsutil filterFS.Walk for exclude patterns over entries given
// depth-first in lexical order: MatchesUsingParentResults with the parent directory's MatchInfo,
// and the SkipDir shortcut taken when every exception is a plain prefix.
func walk(pm *patternmatcher.PatternMatcher, entries []entry, res *response) {
	onlyPrefix := true
	for _, p := range pm.Patterns() {
		if p.Exclusion() && strings.ContainsAny(withoutTrailingGlob(p), "*[]?^\\") {
			onlyPrefix = false
		}
	}
	type visited struct {
		withSep string
		info    patternmatcher.MatchInfo
	}
	var parents []visited
	skipped := ""
	res.Sent = make([]bool, len(entries))
	for i, e := range entries {
		if skipped != "" && strings.HasPrefix(e.Path, skipped) {
			continue
		}
		skipped = ""
		for len(parents) > 0 && !strings.HasPrefix(e.Path, parents[len(parents)-1].withSep) {
			parents = parents[:len(parents)-1]
		}
		var parentInfo patternmatcher.MatchInfo
		if len(parents) > 0 {
			parentInfo = parents[len(parents)-1].info
		}
		m, info, err := pm.MatchesUsingParentResults(e.Path, parentInfo)
		if err != nil {
			res.ErrorAt = i
			return
		}
		if m && e.Dir && onlyPrefix {
			keep := false
			if pm.Exclusions() {
				for _, p := range pm.Patterns() {
					if p.Exclusion() && strings.HasPrefix(withoutTrailingGlob(p)+"/", e.Path+"/") {
						keep = true
					}
				}
			}
			if !keep {
				skipped = e.Path + "/"
				continue
			}
		}
		if e.Dir {
			parents = append(parents, visited{e.Path + "/", info})
		}
		res.Sent[i] = !m
	}
}

func main() {
	var reqs []request
	if err := json.NewDecoder(os.Stdin).Decode(&reqs); err != nil {
		panic(err)
	}
	out := make([]response, len(reqs))
	for i, r := range reqs {
		out[i].ErrorAt = -1
		lines, err := dockerignore.ReadAll(strings.NewReader(r.Ignore))
		if err != nil {
			panic(err)
		}
		pm, err := patternmatcher.New(lines)
		if err != nil {
			out[i].NewError = true
			continue
		}
		for _, p := range pm.Patterns() {
			out[i].Patterns = append(out[i].Patterns, pattern{p.String(), p.Exclusion()})
		}
		walk(pm, r.Entries, &out[i])
	}
	json.NewEncoder(os.Stdout).Encode(out)
}
"""


_NEEDS_DOCKER_GO_CODE = requires_go(
    "Docker's own matcher is the oracle here: needs a Go toolchain (`go` on PATH or MCPLINT_GO) and "
    "Debian's golang-github-moby-patternmatcher-dev and golang-github-docker-docker-dev sources",
    _PATTERNMATCHER_SOURCE,
    _READ_ALL_SOURCE,
)


@pytest.fixture(scope="module")
def docker_oracle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_program(
        tmp_path_factory.mktemp("go-dockerignore-oracle"),
        _GO_ORACLE,
        go_mod=(
            "\nrequire github.com/moby/patternmatcher v0.5.0\n\n"
            f"replace github.com/moby/patternmatcher => {_PATTERNMATCHER_SOURCE}\n"
        ),
        files={"dockerignore/dockerignore.go": _READ_ALL_SOURCE},
    )


def _walk_order(files: list[str]) -> list[tuple[str, bool]]:
    """Every path of the tree, depth-first, each directory's entries in byte order (like WalkDir)."""
    children: dict[str, set[tuple[str, bool]]] = {}
    all_paths = _all_paths(files)
    directories = {path.rpartition("/")[0] for path in all_paths} - {""}
    for path in all_paths:
        parent, _, name = path.rpartition("/")
        children.setdefault(parent, set()).add((name, path in directories))
    order: list[tuple[str, bool]] = []

    def visit(prefix: str) -> None:
        for name, is_dir in sorted(children.get(prefix, ())):
            path = f"{prefix}/{name}" if prefix else name
            order.append((path, is_dir))
            if is_dir:
                visit(path)

    visit("")
    return order


def _compare_with_docker(oracle: Path, cases: list[tuple[str, list[str]]]) -> int:
    """Check each (ignore file, files) against Docker's code; returns how many paths were compared."""
    walks = [_walk_order(files) for _, files in cases]
    request = [
        {"Ignore": text, "Entries": [{"Path": path, "Dir": is_dir} for path, is_dir in walk]}
        for (text, _), walk in zip(cases, walks, strict=True)
    ]
    compared = 0
    for (text, _), walk, answer in zip(cases, walks, ask(oracle, request), strict=True):
        patterns = parse_dockerignore(text)
        if answer["NewError"]:
            with pytest.raises(IgnorePatternError):
                IgnoreMatcher(patterns)
            continue
        ours = [{"Text": p.text, "Exclusion": p.exclusion} for p in patterns]
        assert ours == (answer["Patterns"] or []), text
        matcher = IgnoreMatcher(patterns)
        stop = answer["ErrorAt"] if answer["ErrorAt"] >= 0 else len(walk)
        for (path, _), sent in zip(walk[:stop], answer["Sent"][:stop], strict=True):
            assert matcher.is_excluded(path) is not sent, (text, path)
            compared += 1
        if stop < len(walk):
            with pytest.raises(IgnorePatternError) as failed:
                matcher.is_excluded(walk[stop][0])
            assert failed.value.docker_fails, (text, walk[stop][0])
    return compared


_ORACLE_LINE = st.lists(
    st.sampled_from(
        ["a", "b", "ab", "*", "**", "?", "/", "[ab]", "[^a]", "[b-a]", "[:", ":]", "[[:alpha:]]", ".md",
         "x", "..", ".", "!", " ", "\\", "\\*", "\\d", "\\b", "\\Q", "#", "(", "$", "^", "{", "}", "|",
         "{2}", "{1,}", "{01}", "é"]
    ),
    min_size=1,
    max_size=5,
).map("".join)


@_NEEDS_DOCKER_GO_CODE
def test_documented_examples_agree_with_docker(docker_oracle: Path) -> None:
    files = ["somedir/temporary.txt", "somedir/temp/x", "somedir/subdir/temporary.txt", "tempa", "temp",
             "main.go", "cmd/app/main.go", "README.md", "README-secret.md", "CHANGELOG.md", "docs/guide.md",
             "foo/bar/baz", "src/main/app.py", "src/other/app.py", "util/docker/web/foo"]
    texts = [DOCS_TEMP, "**/*.go", "*.md\n!README.md\n", DOCS_README_LAST_EXCLUDES, DOCS_README_LAST_INCLUDES,
             "/foo/bar/", "*\n!src\n", "*\n!src/main\n", "docs\n!docs/README.md\n", "**\n!util/docker/web\n",
             "[Local-Only]/\n", "!\n", "a/b\n!a\n"]
    assert _compare_with_docker(docker_oracle, [(text, files) for text in texts]) > 100


_ORACLE_FILE = st.lists(_ORACLE_LINE, max_size=5).map("\n".join)


@_NEEDS_DOCKER_GO_CODE
@given(st.lists(st.tuples(_ORACLE_FILE, _PATHS), min_size=1, max_size=30))
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_generated_ignore_files_agree_with_docker(
    docker_oracle: Path, cases: list[tuple[str, list[str]]]
) -> None:
    _compare_with_docker(docker_oracle, cases)


# ------------------------------------------------------------------------------ corpus


def corpus_ignore_files() -> list[tuple[Path, list[str]]]:
    """Each corpus .dockerignore with the files of its directory in the real repository."""
    if not CORPUS.is_dir():
        return []
    found: list[tuple[Path, list[str]]] = []
    for ignore_file in sorted(CORPUS.rglob(".dockerignore")):
        listing = ignore_file.parent / "FILES.txt"
        if listing.is_file():
            files = listing.read_text().split()
        else:
            project = ignore_file.relative_to(CORPUS).parts[0]
            prefix = "/".join(ignore_file.parent.relative_to(CORPUS / project).parts)
            tree = json.loads((CORPUS / "_meta" / f"{project}.json").read_text())["tree"]
            files = [path.removeprefix(prefix + "/") if prefix else path
                     for path in tree if not prefix or path.startswith(prefix + "/")]
        found.append((ignore_file, files))
    return found


def _corpus_matcher(relative: str) -> tuple[IgnoreMatcher, tuple[IgnorePattern, ...]]:
    patterns = parse_dockerignore((CORPUS / relative).read_text())
    return IgnoreMatcher(patterns), patterns


@pytest.mark.corpus
def test_every_corpus_ignore_file_applies_cleanly() -> None:
    cases = corpus_ignore_files()
    if not cases:
        pytest.skip(f"corpus not found at {CORPUS}: the real .dockerignore files are needed")
    assert len(cases) == 9  # corpus README: 9 .dockerignore files
    checked = 0
    for ignore_file, files in cases:
        matcher = IgnoreMatcher(parse_dockerignore(ignore_file.read_text()))
        assert matcher.broken_patterns == ()
        for path in _all_paths(files):
            matcher.is_excluded(path)
            checked += 1
    assert checked > 400

    nginx, nginx_patterns = _corpus_matcher("docker__awesome-compose/react-nginx/.dockerignore")
    assert nginx.deciding_pattern("node_modules/x/y") is not None  # "node_modules" (and **/node_modules)
    assert nginx.deciding_pattern("src/lib/node_modules/z") == nginx_patterns[6]  # "**/node_modules"
    assert nginx.is_excluded(".dockerignore") and nginx.is_excluded("build/static/app.js")
    assert not nginx.is_excluded("src/App.js") and not nginx.is_excluded("public/index.html")

    voting, _ = _corpus_matcher("dockersamples__example-voting-app/result/.dockerignore")
    assert voting.is_excluded("node_modules/x/y")  # "node_modules/"
    assert not voting.is_excluded("server.js") and not voting.is_excluded("views/app.js")

    hadolint, hadolint_patterns = _corpus_matcher("hadolint__hadolint/.dockerignore")
    docker_line = hadolint.deciding_pattern("docker/Dockerfile")
    assert docker_line is not None and (docker_line.text, docker_line.line) == ("docker", 3)  # "./docker"
    assert hadolint.is_excluded("README.md") and not hadolint.is_excluded("src/Hadolint.hs")
    assert hadolint.deciding_pattern("travis_wait_42.log") == hadolint_patterns[-1]
    assert len(hadolint_patterns) == 7  # the blank line and the comment are not patterns


@pytest.mark.corpus
@_NEEDS_DOCKER_GO_CODE
def test_corpus_ignore_files_agree_with_docker(docker_oracle: Path) -> None:
    cases = corpus_ignore_files()
    if not cases:
        pytest.skip(f"corpus not found at {CORPUS}: the real .dockerignore files are needed")
    extra = ["node_modules/x/y", "src/node_modules/z", "build/x", "target/debug/app", "docs/a.md"]
    compared = _compare_with_docker(docker_oracle, [(f.read_text(), files + extra) for f, files in cases])
    assert compared > 400
