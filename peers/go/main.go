// Command gobench-go runs one gobench workload on the real Go runtime and prints the
// result line of docs/PROTOCOL.md section 2 as its last line of standard output.
//
// Usage:
//
//	gobench-go -workload W [-engine go] [-procs N] [-scavenge off|DURATION] [-placement none|compact|spread|nodes=0,1] [-param K=V ...]
//	gobench-go -list
//	gobench-go -parse-setting scavenge=DURATION|placement=POLICY
//
// gobench passes the flags as --name value, which the flag package reads as -name value.
//
// See README.md for how the settings map onto the Go runtime.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"sync"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == overflowChildFlag {
		os.Exit(runOverflowChild(os.Args[2:]))
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// paramFlags collects repeated -param KEY=VALUE flags.
type paramFlags map[string]string

func (p paramFlags) String() string {
	parts := make([]string, 0, len(p))
	for k, v := range p {
		parts = append(parts, k+"="+v)
	}
	return strings.Join(parts, ",")
}

func (p paramFlags) Set(value string) error {
	key, val, ok := strings.Cut(value, "=")
	if !ok || key == "" {
		return fmt.Errorf("parameter %q is not KEY=VALUE", value)
	}
	if _, dup := p[key]; dup {
		return fmt.Errorf("parameter %q given twice", key)
	}
	p[key] = val
	return nil
}

// run parses the command line, applies the settings, runs the workload and writes the
// result line to stdout. It returns the process exit status: 0 for ok and
// not_applicable, 1 for error. It restores GOMAXPROCS and the CPU affinity it changed,
// so that tests can call it in-process.
func run(args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("gobench-go", flag.ContinueOnError)
	flags.SetOutput(io.Discard)
	workloadName := flags.String("workload", "", "workload `name` from the catalog (see -list)")
	engine := flags.String("engine", "go", "the engine: go (gobench passes every engine's runs the same flags)")
	parseSettingRequest := flags.String("parse-setting", "", "print the value of `KIND=TEXT` (scavenge or placement) as this peer reads it, and exit")
	procs := flags.Int("procs", 0, "GOMAXPROCS; 0 leaves the runtime's default")
	scavenge := flags.String("scavenge", "off", "off, or an interval such as 10ms or 2m between debug.FreeOSMemory calls")
	placement := flags.String("placement", "none", "none, compact, spread or nodes=0,1: the CPU affinity of the process")
	list := flags.Bool("list", false, "print the catalog as JSON and exit")
	params := paramFlags{}
	flags.Var(params, "param", "workload parameter `KEY=VALUE` (repeatable)")

	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			flags.SetOutput(stderr)
			flags.Usage()
			return 0
		}
		return writeError(stdout, *workloadName, err.Error())
	}
	if flags.NArg() > 0 {
		return writeError(stdout, *workloadName, fmt.Sprintf("unexpected argument %q", flags.Arg(0)))
	}
	if *parseSettingRequest != "" {
		value, err := parseSetting(*parseSettingRequest)
		if err != nil {
			fmt.Fprintln(stdout, "error:", err)
			return 1
		}
		fmt.Fprintln(stdout, value)
		return 0
	}
	if *engine != "go" {
		return writeError(stdout, *workloadName, fmt.Sprintf("-engine %q: this peer runs only the go engine", *engine))
	}
	if *list {
		if err := writeCatalog(stdout); err != nil {
			fmt.Fprintln(stderr, "gobench-go:", err)
			return 1
		}
		return 0
	}
	if *workloadName == "" {
		return writeError(stdout, "", "missing -workload (see -list)")
	}
	spec, ok := lookupWorkload(*workloadName)
	if !ok {
		return writeError(stdout, *workloadName, fmt.Sprintf("unknown workload %q (see -list)", *workloadName))
	}
	values, err := spec.resolve(params)
	if err != nil {
		return writeError(stdout, spec.Name, err.Error())
	}
	if *procs < 0 {
		return writeError(stdout, spec.Name, fmt.Sprintf("-procs must be 0 or more, got %d", *procs))
	}
	scavengeSetting, err := parseScavenge(*scavenge)
	if err != nil {
		return writeError(stdout, spec.Name, err.Error())
	}
	placementSetting, err := parsePlacement(*placement)
	if err != nil {
		return writeError(stdout, spec.Name, err.Error())
	}

	// Settings, in the order the protocol fixes: GOMAXPROCS first, then placement (which
	// needs the number of Ps), then the scavenging goroutine.
	previousProcs := runtime.GOMAXPROCS(0)
	if *procs > 0 {
		runtime.GOMAXPROCS(*procs)
	}
	defer runtime.GOMAXPROCS(previousProcs)

	restoreAffinity, err := applyPlacement(placementSetting, runtime.GOMAXPROCS(0))
	if err != nil {
		return writeError(stdout, spec.Name, err.Error())
	}
	defer restoreAffinity()

	stopScavenger := startScavenger(scavengeSetting)
	ctx := &runContext{procs: runtime.GOMAXPROCS(0), params: values, out: stdout}
	warmUp()
	measured, err := spec.Run(ctx)
	stopScavenger()
	if err != nil {
		return writeError(stdout, spec.Name, err.Error())
	}
	return writeResult(stdout, spec.Name, measured)
}

// warmUp spawns one goroutine and waits for it before any workload (docs/PROTOCOL.md, the
// measured section), as the swift child does: both runtimes have then run their spawn, park
// and ready paths once in the process before a clock starts.
func warmUp() {
	var wg sync.WaitGroup
	wg.Add(1)
	go wg.Done()
	wg.Wait()
}
