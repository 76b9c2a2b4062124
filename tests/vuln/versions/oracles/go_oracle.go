// Reference for the Go differential test: golang.org/x/mod/semver (Debian's
// golang-golang-x-mod-dev) judges every case of the file given as argument, one
// "C<TAB>a<TAB>b" line each, in this one process: -1, 0 or 1, or E when either version is
// invalid. Versions without the "v" (as OSV writes them) get one.
package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"golang.org/x/mod/semver"
)

func withV(v string) string {
	if strings.HasPrefix(v, "v") {
		return v
	}
	return "v" + v
}

func main() {
	in, err := os.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	scanner := bufio.NewScanner(in)
	for scanner.Scan() {
		f := strings.Split(scanner.Text(), "\t")
		a, b := withV(f[1]), withV(f[2])
		if !semver.IsValid(a) || !semver.IsValid(b) {
			fmt.Fprintln(out, "E")
			continue
		}
		fmt.Fprintln(out, semver.Compare(a, b))
	}
}
