// swift-tools-version: 6.0
// gobench: Go's G-M-P goroutine runtime reimplemented in Swift, and a benchmark and
// GOMAXPROCS-tuning suite built on it. See README.md and docs/.
import PackageDescription

let package = Package(
    name: "gobench",
    products: [
        .executable(name: "gobench", targets: ["gobench"]),
        .library(name: "Runtime", targets: ["Runtime"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
    ],
    targets: [
        // C and assembly: context switch per ABI, stack mapping, signals, futex,
        // affinity, libnuma shims. The only unsafe-by-nature code.
        // -O2 in every configuration: the atomics and futex calls are on every scheduling
        // step, and the tests run debug builds. -fno-omit-frame-pointer: the sanitizers'
        // and perf's frame-pointer unwinders walk through the C frames (a goroutine's
        // chain ends at its first frame, gb_context.c).
        .target(
            name: "CRuntime",
            cSettings: [.unsafeFlags(["-O2", "-fno-omit-frame-pointer"])],
            linkerSettings: [.linkedLibrary("numa"), .linkedLibrary("pthread")]
        ),
        // The settings the runtime and the harness both read (durations, sizes, scavenge,
        // placement, CPU sets, topology overrides): one parser and one canonical text each.
        .target(name: "GobenchSettings"),
        // The G-M-P runtime in Swift.
        // -enforce-exclusivity=unchecked: no dynamic exclusivity check (a runtime call) on
        // the class properties of Gs, Ms and Ps that every switch reads and writes; each is
        // owned by one thread at a time, as its status says, which the checker cannot see.
        // -cross-module-optimization: the workloads and programs call go, send, receive and
        // Gosched across the module boundary; this makes them inlinable there (the
        // compiler's default, conservative CMO does not: without the flag a channel round
        // trip takes 3-12 times as long).
        // Unsafe flags: a package may depend on this product by path, branch or revision,
        // not by version (README, "Using the Runtime library").
        .target(
            name: "Runtime",
            dependencies: ["CRuntime", "GobenchSettings"],
            swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked", "-cross-module-optimization"])]
        ),
        // The workload catalog (swift and swift-concurrency engines).
        .target(
            name: "Workloads",
            dependencies: ["Runtime", "GobenchKit", .product(name: "Histogram", package: "hdrhistogram-swift")]
        ),
        // Starting children: fork and exec with a parent-death signal, the subreaper bit.
        .target(name: "CProcess"),
        // CSV schema, statistics, compare, sweep planning, tune, report: no runtime inside.
        .target(
            name: "GobenchKit",
            dependencies: ["CProcess", "GobenchSettings"]
        ),
        .executableTarget(
            name: "gobench",
            dependencies: [
                "Runtime", "Workloads", "GobenchKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Scenarios that end the process (deadlock, panic, overflow), run by RuntimeTests.
        .executableTarget(name: "runtime-scenarios", dependencies: ["Runtime"], path: "Sources/RuntimeScenarios"),
        .testTarget(name: "RuntimeTests", dependencies: ["Runtime", "CRuntime", "runtime-scenarios"], exclude: ["Fixtures"]),
        .testTarget(name: "WorkloadsTests", dependencies: ["Workloads", "GobenchKit"]),
        .testTarget(name: "GobenchKitTests", dependencies: ["GobenchKit"], exclude: ["Fixtures"]),
    ],
    swiftLanguageModes: [.v5]
)

// libFuzzer harnesses, one per group of parsers of outside input (Sources/FuzzTargets).
// A plain build makes them replayers of saved inputs; scripts/fuzz.sh builds them with
// `-sanitize=fuzzer,address -DGOBENCH_FUZZ` and runs the fuzzer.
package.targets.append(.target(name: "FuzzSupport", path: "Sources/FuzzTargets/FuzzSupport"))
for (name, folder, parsers) in [
    ("fuzz-results-csv", "ResultsCSVFuzz", ["GobenchKit"]), ("fuzz-thresholds", "ThresholdsFuzz", ["GobenchKit"]),
    ("fuzz-settings", "SettingsFuzz", ["GobenchKit"]), ("fuzz-child-result", "ChildResultFuzz", ["GobenchKit"]),
    ("fuzz-topology", "TopologyFuzz", ["Runtime"]), ("fuzz-runtime-environment", "RuntimeEnvironmentFuzz", ["Runtime", "GobenchSettings"]),
    ("fuzz-placement", "PlacementFuzz", ["GobenchSettings"]), ("fuzz-duration", "DurationFuzz", ["GobenchSettings"]),
] {
    package.targets.append(.executableTarget(
        name: name, dependencies: ["FuzzSupport"] + parsers.map { .target(name: $0) }, path: "Sources/FuzzTargets/\(folder)"))
}
