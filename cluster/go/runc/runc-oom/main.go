// runc-oom runs runc, first raising a negative oom_score_adj in the container's spec to 0 when
// this process may not lower its own score (no CAP_SYS_RESOURCE, as in these machines'
// sandbox). The kubelet asks for -998 for every pod sandbox and -997 for Guaranteed pods, and
// runc's nsexec refuses to start a process it cannot give that score. Nothing else changes:
// with the capability, or without a negative score, runc gets the spec as written.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

const capSysResource = 24

func mayLowerScore() bool {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return true
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "CapEff:"); ok {
			caps, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			return err != nil || caps&(1<<capSysResource) != 0
		}
	}
	return true
}

// clamp rewrites `path` (a spec or a process JSON) with oomScoreAdj raised to 0. `process`
// says where the field is: the spec keeps it under "process".
func clamp(path string, process bool) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(data, &doc); err != nil {
		return err
	}
	target := doc
	var proc map[string]json.RawMessage
	if process {
		if err := json.Unmarshal(doc["process"], &proc); err != nil || proc == nil {
			return nil
		}
		target = proc
	}
	var score int
	if raw, ok := target["oomScoreAdj"]; !ok || json.Unmarshal(raw, &score) != nil || score >= 0 {
		return nil
	}
	target["oomScoreAdj"] = json.RawMessage("0")
	if process {
		if doc["process"], err = json.Marshal(proc); err != nil {
			return err
		}
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	return os.WriteFile(path, out, 0o600)
}

func main() {
	runc := filepath.Join(filepath.Dir(os.Args[0]), "runc")
	args := os.Args[1:]
	if !mayLowerScore() {
		for i := 0; i+1 < len(args); i++ {
			var err error
			switch args[i] {
			case "--bundle", "-b":
				err = clamp(filepath.Join(args[i+1], "config.json"), true)
			case "--process", "-p":
				err = clamp(args[i+1], false)
			}
			if err != nil {
				fmt.Fprintf(os.Stderr, "runc-oom: %v\n", err)
				os.Exit(1)
			}
		}
	}
	err := syscall.Exec(runc, append([]string{runc}, args...), os.Environ())
	fmt.Fprintf(os.Stderr, "runc-oom: exec %s: %v\n", runc, err)
	os.Exit(1)
}
