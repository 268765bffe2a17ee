// A Helm-like renderer for test/chart-gotemplate.test.ts: Go's text/template with Sprig and Helm's own
// include, required, fail and toYaml, over a chart's templates/ directory. Values (already coalesced),
// Release and Chart come as JSON on stdin; the rendered files go to stdout as JSON ({"ERROR": ...} on failure).
// Built against Debian's golang-go, golang-github-masterminds-sprig-dev and golang-gopkg-yaml.v2-dev.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig/v3"
	yaml "gopkg.in/yaml.v2"
)

func toYaml(v interface{}) string {
	b, err := yaml.Marshal(v)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(string(b), "\n")
}

func main() {
	chartDir := os.Args[1]
	var input map[string]interface{}
	dec := json.NewDecoder(os.Stdin)
	if err := dec.Decode(&input); err != nil {
		panic(err)
	}
	t := template.New("gotpl").Option("missingkey=zero")
	funcs := sprig.TxtFuncMap()
	funcs["toYaml"] = toYaml
	funcs["required"] = func(msg string, v interface{}) (interface{}, error) {
		if v == nil {
			return nil, errors.New(msg)
		}
		if s, ok := v.(string); ok && s == "" {
			return nil, errors.New(msg)
		}
		return v, nil
	}
	funcs["fail"] = func(msg string) (string, error) { return "", errors.New(msg) }
	funcs["include"] = func(name string, data interface{}) (string, error) {
		var buf bytes.Buffer
		if err := t.ExecuteTemplate(&buf, name, data); err != nil {
			return "", err
		}
		return buf.String(), nil
	}
	t.Funcs(funcs)
	files, _ := filepath.Glob(filepath.Join(chartDir, "templates", "*"))
	sort.Strings(files)
	for _, f := range files {
		b, _ := os.ReadFile(f)
		name := "templates/" + filepath.Base(f)
		if _, err := t.New(name).Parse(string(b)); err != nil {
			fmt.Fprintln(os.Stderr, "parse", name, err)
			os.Exit(1)
		}
	}
	out := map[string]string{}
	for _, f := range files {
		base := filepath.Base(f)
		if strings.HasPrefix(base, "_") {
			continue
		}
		var buf bytes.Buffer
		if err := t.ExecuteTemplate(&buf, "templates/"+base, input); err != nil {
			out["ERROR"] = err.Error()
			break
		}
		out["templates/"+base] = strings.ReplaceAll(buf.String(), "<no value>", "")
	}
	json.NewEncoder(os.Stdout).Encode(out)
}
