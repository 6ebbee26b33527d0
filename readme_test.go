package ghl_test

import (
	"bufio"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The Go code in README.md and docs/*.md is never written in the page alone:
// each ```go block is preceded by a marker naming the function it is taken
// from,
//
//	<!-- snippet: ExampleContactsService_Upsert -->
//	<!-- snippet: redisstore TestTwoReplicasShareTokensThroughRedis -->
//
// (the directory, relative to the repository, when the name alone is
// ambiguous), and its lines appear, in order and one after another, in that
// function's body, indentation and alignment aside. The function is an Example with an
// Output comment or a Test, so go test compiles and runs every snippet
// readers copy.

// docPages are the pages whose snippets and links are checked.
func docPages(t *testing.T) []string {
	t.Helper()
	pages := []string{"README.md", "CHANGELOG.md"}
	more, err := filepath.Glob("docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	return append(pages, more...)
}

// snippet is one ```go block of a page.
type snippet struct {
	page   string
	line   int // of the opening fence
	marker string
	lines  []string
}

var markerRE = regexp.MustCompile(`^<!-- snippet: (?:([\w./-]+) )?(\w+) -->$`)

func readSnippets(t *testing.T, page string) []snippet {
	t.Helper()
	f, err := os.Open(page)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []snippet
	var cur *snippet
	prev, n := "", 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		n++
		line := sc.Text()
		switch {
		case cur != nil && strings.TrimSpace(line) == "```":
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			cur.lines = append(cur.lines, line)
		case strings.TrimSpace(line) == "```go":
			cur = &snippet{page: page, line: n, marker: strings.TrimSpace(prev)}
		}
		if strings.TrimSpace(line) != "" {
			prev = line
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if cur != nil {
		t.Fatalf("%s:%d: a ```go block is not closed", page, cur.line)
	}
	return out
}

// testFunc is a Test or Example function of the repository.
type testFunc struct {
	dir, name string
	runs      bool     // a Test, or an Example with an Output comment
	body      []string // its body's lines, trimmed
}

// repoTestFuncs parses every _test.go file of the repository (its nested
// modules too) for Test and Example functions.
func repoTestFuncs(t *testing.T) []testFunc {
	t.Helper()
	var out []testFunc
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && path != "." || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		file, err := parser.ParseFile(fset, path, src, parser.ParseComments)
		if err != nil {
			return err
		}
		for _, decl := range file.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Recv != nil || fn.Body == nil {
				continue
			}
			name := fn.Name.Name
			isTest, isExample := strings.HasPrefix(name, "Test"), strings.HasPrefix(name, "Example")
			if !isTest && !isExample {
				continue
			}
			from, to := fset.Position(fn.Body.Lbrace).Offset+1, fset.Position(fn.Body.Rbrace).Offset
			body := strings.Split(string(src[from:to]), "\n")
			for i := range body {
				body[i] = normalize(body[i])
			}
			runs := isTest
			for _, cg := range file.Comments {
				if cg.Pos() > fn.Body.Lbrace && cg.End() < fn.Body.Rbrace && strings.Contains(cg.Text(), "Output:") {
					runs = true
				}
			}
			out = append(out, testFunc{dir: filepath.ToSlash(filepath.Dir(path)), name: name, runs: runs, body: body})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// normalize drops a line's indentation and gofmt's alignment: runs of
// white space count as one space.
func normalize(line string) string { return strings.Join(strings.Fields(line), " ") }

// containsRun says whether want appears in body as consecutive lines.
func containsRun(body, want []string) bool {
	for i := 0; i+len(want) <= len(body); i++ {
		if slices.Equal(body[i:i+len(want)], want) {
			return true
		}
	}
	return false
}

func TestDocSnippets(t *testing.T) {
	funcs := repoTestFuncs(t)
	checked := 0
	for _, page := range docPages(t) {
		for _, s := range readSnippets(t, page) {
			where := fmt.Sprintf("%s:%d", s.page, s.line)
			m := markerRE.FindStringSubmatch(s.marker)
			if m == nil {
				t.Errorf("%s: a ```go block without <!-- snippet: Name --> before it (the Example or Test it is taken from)", where)
				continue
			}
			dir, name := m[1], m[2]
			var found []testFunc
			for _, f := range funcs {
				if f.name == name && (dir == "" || f.dir == dir) {
					found = append(found, f)
				}
			}
			switch {
			case len(found) == 0:
				t.Errorf("%s: no Test or Example named %s %s", where, dir, name)
				continue
			case len(found) > 1:
				t.Errorf("%s: %s is in several directories; name one: <!-- snippet: DIR %s -->", where, name, name)
				continue
			}
			f := found[0]
			if !f.runs {
				t.Errorf("%s: %s/%s has no Output comment, so go test would not run it", where, f.dir, name)
			}
			want := make([]string, len(s.lines))
			for i, l := range s.lines {
				want[i] = normalize(l)
			}
			if !containsRun(f.body, want) {
				t.Errorf("%s: the block is not, line for line, part of %s/%s:\n%s", where, f.dir, name, strings.Join(s.lines, "\n"))
			}
			checked++
		}
	}
	t.Logf("%d snippets checked", checked)
}

var linkRE = regexp.MustCompile(`\]\(([^)#\s]+)(#[^)\s]*)?\)`)

// TestDocLinks: every relative link of the pages leads to a file or
// directory of the repository, and every #anchor to a heading of its page.
func TestDocLinks(t *testing.T) {
	for _, page := range docPages(t) {
		text, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range linkRE.FindAllStringSubmatch(string(text), -1) {
			target, anchor := m[1], m[2]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			path := filepath.Join(filepath.Dir(page), target)
			if _, err := os.Stat(path); err != nil {
				t.Errorf("%s: link to %s: %v", page, target, err)
				continue
			}
			if anchor != "" && strings.HasSuffix(path, ".md") && !slices.Contains(anchors(t, path), anchor[1:]) {
				t.Errorf("%s: link to %s%s: no such heading", page, target, anchor)
			}
		}
		for _, m := range regexp.MustCompile(`\]\((#[^)\s]+)\)`).FindAllStringSubmatch(string(text), -1) {
			if !slices.Contains(anchors(t, page), m[1][1:]) {
				t.Errorf("%s: link to %s: no such heading", page, m[1])
			}
		}
	}
}

// anchors returns the GitHub anchors of a page's headings.
func anchors(t *testing.T, page string) []string {
	t.Helper()
	text, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	inCode := false
	for _, line := range strings.Split(string(text), "\n") {
		if strings.HasPrefix(line, "```") {
			inCode = !inCode
		}
		if inCode || !strings.HasPrefix(line, "#") {
			continue
		}
		h := strings.ToLower(strings.TrimSpace(strings.TrimLeft(line, "#")))
		var b strings.Builder
		for _, r := range h {
			switch {
			case r == ' ':
				b.WriteRune('-')
			case r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127:
				b.WriteRune(r)
			}
		}
		out = append(out, b.String())
	}
	return out
}
