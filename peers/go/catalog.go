// The workload catalog of docs/PROTOCOL.md section 1: names, parameters, defaults and
// their validation, shared by every workload family file.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// paramSpec describes one KEY=VALUE parameter of a workload. A parameter is an integer
// in [Min, Max] unless Choices lists the strings it may take.
type paramSpec struct {
	Name        string
	Default     string
	Choices     []string
	Min, Max    int64
	Description string
}

// workloadSpec is one catalog entry: its parameters and the function that runs it.
type workloadSpec struct {
	Name        string
	Description string
	Params      []paramSpec
	Run         func(ctx *runContext) (measurement, error)
}

// runContext is what a workload receives: the effective settings and its parameters.
type runContext struct {
	procs  int         // GOMAXPROCS in force
	params paramValues // validated parameters, defaults filled in
	out    io.Writer   // standard output, for the sink line printed before the result
}

// paramValues holds a workload's validated parameters.
type paramValues struct {
	integers map[string]int64
	choices  map[string]string
}

func (p paramValues) int(name string) int { return int(p.integers[name]) }

func (p paramValues) choice(name string) string { return p.choices[name] }

// measurement is what a workload measured over its measured section only.
type measurement struct {
	ops             int64
	wallNanoseconds int64
	cpuNanoseconds  int64    // process CPU time (user+system, all threads) over the same section
	latencies       []int64  // per-op latency samples in ns; nil when the workload has none
	extra           []metric // workload-specific metrics, in output order
}

const (
	maxCount = 1 << 40 // a bound for counts, far above anything that fits in memory
)

// catalog lists the workloads in the order of PROTOCOL.md section 1.
var catalog = []workloadSpec{
	spawnStormSpec,
	liveGoroutinesSpec,
	stealImbalanceSpec,
	goschedPingPongSpec,
	chanPingPongSpec,
	chanProdConsSpec,
	pingPongHogSpec,
	syscallHeavySpec,
	lockedThreadSpec,
	deepRecursionSpec,
	mutexContentionSpec,
	timerStormSpec,
	parallelComputeSpec,
	scavengerBurstSpec,
	selectSpec,
}

func lookupWorkload(name string) (workloadSpec, bool) {
	for _, spec := range catalog {
		if spec.Name == name {
			return spec, true
		}
	}
	return workloadSpec{}, false
}

// resolve validates the parameters given on the command line against the spec and
// fills in the defaults.
func (w workloadSpec) resolve(given map[string]string) (paramValues, error) {
	values := paramValues{integers: map[string]int64{}, choices: map[string]string{}}
	for key := range given {
		if !slices.ContainsFunc(w.Params, func(p paramSpec) bool { return p.Name == key }) {
			names := make([]string, len(w.Params))
			for i, p := range w.Params {
				names[i] = p.Name
			}
			return values, fmt.Errorf("unknown parameter %q for %s (known: %s)", key, w.Name, strings.Join(names, ", "))
		}
	}
	for _, p := range w.Params {
		text, ok := given[p.Name]
		if !ok {
			text = p.Default
		}
		if p.Choices != nil {
			if !slices.Contains(p.Choices, text) {
				return values, fmt.Errorf("parameter %s=%q: must be one of %s", p.Name, text, strings.Join(p.Choices, ", "))
			}
			values.choices[p.Name] = text
			continue
		}
		n, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			return values, fmt.Errorf("parameter %s=%q: not an integer", p.Name, text)
		}
		if n < p.Min || n > p.Max {
			return values, fmt.Errorf("parameter %s=%d: must be between %d and %d", p.Name, n, p.Min, p.Max)
		}
		values.integers[p.Name] = n
	}
	return values, nil
}

// intParam and choiceParam build parameter specs tersely.
func intParam(name string, def, min, max int64, description string) paramSpec {
	return paramSpec{Name: name, Default: strconv.FormatInt(def, 10), Min: min, Max: max, Description: description}
}

func choiceParam(name, def string, choices []string, description string) paramSpec {
	return paramSpec{Name: name, Default: def, Choices: choices, Description: description}
}

// catalogListing is the JSON that -list prints: one line,
// {"engine":"go","workloads":[{"name":..,"description":..,"params":[{"name":..,"kind":"int"|"choice","default":..,...}]}]}.
type catalogListing struct {
	Engine    string            `json:"engine"`
	Workloads []workloadListing `json:"workloads"`
}

type workloadListing struct {
	Name        string         `json:"name"`
	Description string         `json:"description"`
	Params      []paramListing `json:"params"`
}

type paramListing struct {
	Name        string   `json:"name"`
	Kind        string   `json:"kind"` // "int" or "choice"
	Default     string   `json:"default"`
	Choices     []string `json:"choices,omitempty"`
	Min         *int64   `json:"min,omitempty"`
	Max         *int64   `json:"max,omitempty"`
	Description string   `json:"description"`
}

func writeCatalog(w io.Writer) error {
	listing := catalogListing{Engine: "go", Workloads: []workloadListing{}}
	for _, spec := range catalog {
		entry := workloadListing{Name: spec.Name, Description: spec.Description, Params: []paramListing{}}
		for _, p := range spec.Params {
			param := paramListing{Name: p.Name, Kind: "choice", Default: p.Default, Choices: p.Choices, Description: p.Description}
			if p.Choices == nil {
				param.Kind = "int"
				param.Min, param.Max = &p.Min, &p.Max
			}
			entry.Params = append(entry.Params, param)
		}
		listing.Workloads = append(listing.Workloads, entry)
	}
	line, err := json.Marshal(listing)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", line)
	return err
}
