"""COPY/ADD source cleaning and wildcard matching as BuildKit does it.

Expectations come from: Go's documentation and test table for `path/filepath.Match`
(pkg.go.dev/path/filepath#Match; golang/go src/path/filepath/match_test.go `matchTests`), the
Dockerfile reference (COPY/ADD "Pattern matching" and "parent directory paths are stripped out
automatically"), tonistiigi/fsutil `copy.ResolveWildcards`, and, when a Go toolchain is present, Go's
own `filepath.Match` and `filepath.Walk` run as an oracle.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mcplint.models.contextglob import (
    BadPattern,
    clean_context_path,
    filepath_match,
    go_clean,
    has_wildcard,
    match_context,
    split_wildcard,
)
from mcplint.workspace import DirEntry, Workspace
from tests.go_oracle import ask, build_program, requires_go

# golang/go src/path/filepath/match_test.go `matchTests`: (pattern, name, matched, ErrBadPattern).
GO_MATCH_TESTS = [
    ("abc", "abc", True, False),
    ("*", "abc", True, False),
    ("*c", "abc", True, False),
    ("a*", "a", True, False),
    ("a*", "abc", True, False),
    ("a*", "ab/c", False, False),
    ("a*/b", "abc/b", True, False),
    ("a*/b", "a/c/b", False, False),
    ("a*b*c*d*e*/f", "axbxcxdxe/f", True, False),
    ("a*b*c*d*e*/f", "axbxcxdxexxx/f", True, False),
    ("a*b*c*d*e*/f", "axbxcxdxe/xxx/f", False, False),
    ("a*b*c*d*e*/f", "axbxcxdxexxx/fff", False, False),
    ("a*b?c*x", "abxbbxdbxebxczzx", True, False),
    ("a*b?c*x", "abxbbxdbxebxczzy", False, False),
    ("ab[c]", "abc", True, False),
    ("ab[b-d]", "abc", True, False),
    ("ab[e-g]", "abc", False, False),
    ("ab[^c]", "abc", False, False),
    ("ab[^b-d]", "abc", False, False),
    ("ab[^e-g]", "abc", True, False),
    ("a\\*b", "a*b", True, False),
    ("a\\*b", "ab", False, False),
    ("a?b", "a☺b", True, False),
    ("a[^a]b", "a☺b", True, False),
    ("a???b", "a☺b", False, False),
    ("a[^a][^a][^a]b", "a☺b", False, False),
    ("[a-ζ]*", "α", True, False),  # noqa: RUF001 (Greek on purpose)
    ("*[a-ζ]", "A", False, False),
    ("a?b", "a/b", False, False),
    ("a*b", "a/b", False, False),
    ("[\\]a]", "]", True, False),
    ("[\\-]", "-", True, False),
    ("[x\\-]", "x", True, False),
    ("[x\\-]", "-", True, False),
    ("[x\\-]", "z", False, False),
    ("[\\-x]", "x", True, False),
    ("[\\-x]", "-", True, False),
    ("[\\-x]", "a", False, False),
    ("[]a]", "]", False, True),
    ("[-]", "-", False, True),
    ("[x-]", "x", False, True),
    ("[x-]", "-", False, True),
    ("[x-]", "z", False, True),
    ("[-x]", "x", False, True),
    ("[-x]", "-", False, True),
    ("[-x]", "a", False, True),
    ("\\", "a", False, True),
    ("[a-b-c]", "a", False, True),
    ("[", "a", False, True),
    ("[^", "a", False, True),
    ("[^bc", "a", False, True),
    ("a[", "a", False, True),
    ("a[", "ab", False, True),
    ("a[", "x", False, True),
    ("a/b[", "x", False, True),
    ("*x", "xxx", True, False),
]


@pytest.mark.parametrize(("pattern", "name", "matched", "bad"), GO_MATCH_TESTS)
def test_go_filepath_match_table(pattern: str, name: str, matched: bool, bad: bool) -> None:
    if bad:
        with pytest.raises(BadPattern):
            filepath_match(pattern, name)
    else:
        assert filepath_match(pattern, name) is matched


@pytest.mark.parametrize(
    ("pattern", "name", "matched"),
    [
        # pkg.go.dev/path/filepath#Match: '*' is any sequence of non-Separator characters,
        # '?' any single non-Separator character, '[' '^' ... ']' a negated class, '\\' c is c.
        ("*", "", True),
        ("*", ".hidden", True),  # no special case for dot files
        ("**", "a/b", False),  # two stars are one star: never across "/"
        ("**", "ab", True),
        ("?", "/", False),
        ("[a-z]", "q", True),
        ("[a-z]", "Q", False),
        ("[^a]", "b", True),
        ("[^a]", "a", False),
        ("\\[x]", "[x]", True),
        ("\\?", "?", True),
        ("\\?", "x", False),
        # Match requires the pattern to match all of name, not just a substring.
        ("ab", "abc", False),
        ("bc", "abc", False),
    ],
)
def test_documented_match_syntax(pattern: str, name: str, matched: bool) -> None:
    assert filepath_match(pattern, name) is matched


def test_malformed_part_is_reported_only_where_matching_reaches_it() -> None:
    # Go's Match returns (false, nil) as soon as a chunk fails, before it reads the rest of the
    # pattern; `[` after the first star is only examined when "a" matched.
    assert filepath_match("b*[", "a") is False
    with pytest.raises(BadPattern):
        filepath_match("a*[", "ab")


@pytest.mark.parametrize(
    ("source", "cleaned", "escapes"),
    [
        # Dockerfile reference, COPY: "COPY ../something /something ... parent directory paths
        # are stripped out automatically. The effective source path ... becomes something".
        ("../something", "something", True),
        ("../../lib/x", "lib/x", True),
        ("a/../../x", "x", True),
        ("..", ".", True),  # moby/buildkit#2131: `COPY .. .` copies the context root
        ("/../x", "x", True),
        ("./a/../b", "b", False),
        ("/abs/path", "abs/path", False),  # a leading "/" is the context root
        ("a/..", ".", False),
        (".", ".", False),
        ("", ".", False),
        ("dir/", "dir", False),
        ("a//b/./c", "a/b/c", False),
        ("a/b/../../..", ".", True),
    ],
)
def test_clean_context_path(source: str, cleaned: str, escapes: bool) -> None:
    assert clean_context_path(source) == (cleaned, escapes)


@given(st.lists(st.sampled_from(["a", "b", ".", "..", ""]), max_size=8))
@settings(max_examples=300, deadline=None)
def test_cleaned_path_is_what_buildkit_reads(parts: list[str]) -> None:
    # BuildKit's NormalizePath joins the source to "/" and cleans it: the clamped result.
    source = "/".join(parts)
    cleaned, escapes = clean_context_path(source)
    assert cleaned == (go_clean("/" + source).lstrip("/") or ".")
    if not escapes:
        # Lexically inside the root: cleaning without the "/" anchor gives the same path.
        assert go_clean(source.lstrip("/") or ".") == cleaned
    # Climbing out, by definition: some `..` is met where no name is left to go back over.
    depth, climbs = 0, False
    for part in parts:
        if part == "..":
            climbs = climbs or depth == 0
            depth = max(depth - 1, 0)
        elif part not in ("", "."):
            depth += 1
    assert escapes == climbs, source


@pytest.mark.parametrize(
    ("path", "cleaned"),
    [
        # pkg.go.dev/path#Clean examples.
        ("a/c", "a/c"),
        ("a//c", "a/c"),
        ("a/c/.", "a/c"),
        ("a/c/b/..", "a/c"),
        ("/../a/c", "/a/c"),
        ("/../a/b/../././/c", "/a/c"),
        ("", "."),
    ],
)
def test_go_clean_documented_examples(path: str, cleaned: str) -> None:
    assert go_clean(path) == cleaned


@pytest.mark.parametrize(
    ("source", "wildcard", "split"),
    [
        ("hom*", True, ("", "hom*")),  # Dockerfile reference: COPY hom* /mydir/
        ("hom?.txt", True, ("", "hom?.txt")),
        ("arr[[]0].txt", True, ("", "arr[[]0].txt")),  # the reference's escape for "arr[0].txt"
        ("src/*/main.go", True, ("src", "*/main.go")),
        ("a/b/c", False, ("a/b/c", "")),
        ("a\\*b", False, ("a\\*b", "")),  # containsWildcards skips the escaped character
        ("x/[ab]/y/*", True, ("x", "[ab]/y/*")),
    ],
)
def test_wildcard_split(source: str, wildcard: bool, split: tuple[str, str]) -> None:
    assert has_wildcard(source) is wildcard
    assert split_wildcard(source) == split


def _tree(root: Path, files: list[str], dirs: tuple[str, ...] = ()) -> Path:
    for directory in dirs:
        (root / directory).mkdir(parents=True, exist_ok=True)
    for file in files:
        (root / file).parent.mkdir(parents=True, exist_ok=True)
        (root / file).write_text("")
    return root


def test_match_context_documented_examples(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        ["home.txt", "homer", "hom", "hommage/inner.txt", "other/home.txt", "index.js", "index.ts",
         "index.css", "arr[0].txt", "a.png", "b.png", "img/c.png", ".hidden.png"],
    )
    # Dockerfile reference: "COPY hom* /mydir/" adds all files starting with "hom" in the root; a
    # matched directory is copied whole, and nothing below the root is searched for "hom*".
    assert match_context(root, "hom*") == ["hom", "home.txt", "homer", "hommage"]
    # "? is replaced with any single character, e.g., home.txt".
    assert match_context(root, "hom?.txt") == ["home.txt"]
    # ADD "index.?s": "? is a single-character wildcard, matching e.g. index.js and index.ts".
    assert match_context(root, "index.?s") == ["index.js", "index.ts"]
    # "to add a file named arr[0].txt, use ... arr[[]0].txt".
    assert match_context(root, "arr[[]0].txt") == ["arr[0].txt"]
    # ADD "*.png": all files in the root ending with .png; filepath.Match has no dot-file rule.
    assert match_context(root, "*.png") == [".hidden.png", "a.png", "b.png"]


def test_match_context_directories_and_depth(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        ["src/a/main.go", "src/b/main.go", "src/b/deep/main.go", "src/main.go", "lib/x.go"],
        dirs=("empty",),
    )
    assert match_context(root, "src/*/main.go") == ["src/a/main.go", "src/b/main.go"]
    assert match_context(root, "**/*.go") == ["lib/x.go", "src/main.go"]  # `**` is `*`
    assert match_context(root, "*") == ["empty", "lib", "src"]
    assert match_context(root, "src/*") == ["src/a", "src/b", "src/main.go"]
    assert match_context(root, "s[r]c") == ["src"]
    assert match_context(root, "empty/*") == []  # existing base, nothing matched: no error in BuildKit
    assert match_context(root, "missing/*") == []  # missing base: BuildKit fails (moby/buildkit#2933)
    assert match_context(root, "src/[") == []  # ErrBadPattern: fsutil ignores it, nothing matches


def test_match_context_without_wildcards(tmp_path: Path) -> None:
    root = _tree(tmp_path, ["a/b.txt", "a\\*b"])
    assert match_context(root, "a/b.txt") == ["a/b.txt"]
    assert match_context(root, "a") == ["a"]
    assert match_context(root, "a/c.txt") == []
    assert match_context(root, "a/b.txt/x") == []
    assert match_context(root, "a\\*b") == ["a\\*b"]  # no wildcard: used as written
    assert match_context(root, ".") == ["."]
    assert match_context(root, "/a/./b.txt") == ["a/b.txt"]
    assert match_context(root, "../a/b.txt") == ["a/b.txt"]  # clamped to the root like BuildKit


def test_match_context_symlinks_and_unreadable(tmp_path: Path) -> None:
    root = _tree(tmp_path, ["real/file.txt"])
    (root / "loop").symlink_to(root, target_is_directory=True)
    (root / "link").symlink_to(root / "real", target_is_directory=True)
    # filepath.Walk neither follows nor descends symlinks: they match by name only.
    assert match_context(root, "*/file.txt") == ["real/file.txt"]
    assert match_context(root, "l*") == ["link", "loop"]
    # The fixed base is followed (BuildKit resolves it with FollowSymlinks inside the context).
    assert match_context(root, "link/*.txt") == ["link/file.txt"]
    if os.geteuid() != 0:  # root reads every directory
        locked = root / "locked"
        locked.mkdir()
        (locked / "x").write_text("")
        locked.chmod(0)
        try:
            assert match_context(root, "locked/*") == []
        finally:
            locked.chmod(0o755)


def test_match_context_with_the_workspace_lister_does_not_descend_symlinked_directories(tmp_path: Path) -> None:
    root = _tree(tmp_path, ["real/file.txt", "real/deeper/x.txt"])
    (root / "link").symlink_to("real", target_is_directory=True)
    lister = Workspace().list_dir
    # fsutil's walk (filepath.Walk) matches a symlink by its name and never descends it.
    assert match_context(root, "*/file.txt", lister) == ["real/file.txt"]
    assert match_context(root, "*/*/x.txt", lister) == ["real/deeper/x.txt"]
    assert match_context(root, "l*", lister) == ["link"]
    # The fixed base is resolved with symlinks followed, so a walk may start inside the link.
    assert match_context(root, "link/*.txt", lister) == ["link/file.txt"]


def test_match_context_uses_the_injected_lister(tmp_path: Path) -> None:
    listing = {
        tmp_path: [DirEntry("a", True, False), DirEntry("b.txt", False, False)],
        tmp_path / "a": [DirEntry("c.txt", False, False)],
    }
    calls: list[Path] = []

    def lister(directory: Path) -> list[DirEntry]:
        calls.append(directory)
        return listing.get(directory, [])

    assert match_context(tmp_path, "*/*.txt", lister) == ["a/c.txt"]
    assert match_context(tmp_path, "a/c.txt", lister) == ["a/c.txt"]
    assert set(calls) == {tmp_path, tmp_path / "a"}  # nothing was read from the (empty) disk


# ----------------------------------------------------------------- Go itself as the oracle

_GO_ORACLE = r"""
package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

type matchCase struct{ Pattern, Name string }
type matchResult struct{ Matched, Bad bool }
type resolveCase struct{ Root, Source string }
type request struct {
	Match   []matchCase
	Resolve []resolveCase
}
type response struct {
	Match   []matchResult
	Resolve [][]string
}

// The next three functions follow tonistiigi/fsutil copy.ResolveWildcards.
func containsWildcards(name string) bool {
	for i := 0; i < len(name); i++ {
		if name[i] == '\\' {
			i++
		} else if name[i] == '*' || name[i] == '?' || name[i] == '[' {
			return true
		}
	}
	return false
}

func splitWildcards(p string) (string, string) {
	var p1, p2 []string
	found := false
	for _, part := range strings.Split(p, "/") {
		if !found && containsWildcards(part) {
			found = true
		}
		if found {
			p2 = append(p2, part)
		} else {
			p1 = append(p1, part)
		}
	}
	return filepath.Join(p1...), filepath.Join(p2...)
}

func resolve(root, src string) []string {
	d1, d2 := splitWildcards(src)
	if d2 == "" {
		if _, err := os.Lstat(filepath.Join(root, d1)); err != nil {
			return []string{}
		}
		return []string{d1}
	}
	base := filepath.Join(root, d1)
	out := []string{}
	err := filepath.Walk(base, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(base, path)
		if rel == "." {
			return nil
		}
		if ok, _ := filepath.Match(d2, rel); !ok {
			return nil
		}
		full, _ := filepath.Rel(root, path)
		out = append(out, full)
		if info.IsDir() {
			return filepath.SkipDir
		}
		return nil
	})
	if err != nil {
		return []string{}
	}
	sort.Strings(out)
	return out
}

func main() {
	var req request
	if err := json.NewDecoder(os.Stdin).Decode(&req); err != nil {
		panic(err)
	}
	var resp response
	for _, c := range req.Match {
		ok, err := filepath.Match(c.Pattern, c.Name)
		resp.Match = append(resp.Match, matchResult{ok, err != nil})
	}
	for _, c := range req.Resolve {
		resp.Resolve = append(resp.Resolve, resolve(c.Root, c.Source))
	}
	json.NewEncoder(os.Stdout).Encode(resp)
}
"""


_NEEDS_GO = requires_go(
    "Go's filepath.Match is the oracle here: no Go toolchain (set MCPLINT_GO or put `go` on PATH)"
)


@pytest.fixture(scope="module")
def go_oracle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_program(tmp_path_factory.mktemp("go-filepath-oracle"), _GO_ORACLE)


_PATTERN_ALPHABET = st.sampled_from(list("ab/*?[]^-\\.x☺"))
_NAME_ALPHABET = st.sampled_from(list("ab/x.-]^\\*☺"))


@_NEEDS_GO
@given(
    st.lists(
        st.tuples(st.text(_PATTERN_ALPHABET, max_size=8), st.text(_NAME_ALPHABET, max_size=6)),
        min_size=1,
        max_size=200,
    )
)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_filepath_match_agrees_with_go(go_oracle: Path, cases: list[tuple[str, str]]) -> None:
    answer = ask(go_oracle, {"Match": [{"Pattern": p, "Name": n} for p, n in cases]})
    for (pattern, name), go_result in zip(cases, answer["Match"], strict=True):
        assert isinstance(go_result, dict)
        try:
            ours = {"Matched": filepath_match(pattern, name), "Bad": False}
        except BadPattern:
            ours = {"Matched": False, "Bad": True}
        assert ours == go_result, (pattern, name)


@_NEEDS_GO
def test_match_context_agrees_with_go_walk(go_oracle: Path, tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        ["a.txt", "ab.txt", ".env", "src/x.go", "src/y/z.go", "src/y/w.txt", "docs/a[1].md",
         "docs/sub/b.md", "b/a/c", "c/a/b/d"],
        dirs=("empty",),
    )
    sources = ["*", "*.txt", "a?.txt", ".*", "src/*", "src/*/*.go", "*/*", "*/*/*", "docs/a[[]1].md",
               "docs/*/*.md", "[ab]*", "[^a]*", "*/a/*", "empty/*", "missing/*", "src/[", "src/x.go",
               "src/none", "**/*.go", "s\\rc/*", "?/?/?"]
    answer = ask(go_oracle, {"Resolve": [{"Root": str(root), "Source": s} for s in sources]})
    for source, go_paths in zip(sources, answer["Resolve"], strict=True):
        assert match_context(root, source) == go_paths, source


@_NEEDS_GO
def test_match_context_agrees_with_go_walk_around_symlinks(go_oracle: Path, tmp_path: Path) -> None:
    root = _tree(tmp_path, ["a.txt", "real/file.txt", "real/deeper/x.txt"])
    (root / "link").symlink_to("real", target_is_directory=True)
    (root / "loop").symlink_to(".", target_is_directory=True)
    (root / "file-link").symlink_to("a.txt")
    # Every wildcard starts at the root: the oracle's Walk does not resolve a symlinked base as fsutil does.
    sources = ["*", "*/*", "*/file.txt", "*/*/x.txt", "l*", "l*/*", "?oop/*/*", "[fl]*", "*-link"]
    answer = ask(go_oracle, {"Resolve": [{"Root": str(root), "Source": s} for s in sources]})
    for source, go_paths in zip(sources, answer["Resolve"], strict=True):
        assert match_context(root, source) == go_paths, source
        assert match_context(root, source, Workspace().list_dir) == go_paths, source
