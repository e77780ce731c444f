// `gobench compare BASE NEW`: benchstat-style comparison of two results CSVs, with exit
// codes that let CI tell regressions from errors.
import ArgumentParser
import Foundation
import GobenchKit

struct CompareCommand: ParsableCommand {
    /// The exit statuses, as the help documents them.
    enum Status: Int32 {
        case noRegression = 0
        case usageOrInputError = 1
        case regression = 2
        case incomparable = 3
    }

    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare two results CSVs cell by cell: medians, confidence intervals, Mann-Whitney p, verdicts.",
        discussion: """
        A cell is (workload, engine, procs, scavenge, placement, params, env, metric); its \
        samples are the values of the `ok` runs. For every cell in both files compare prints \
        both medians with 95% confidence intervals, the change, a p-value and a verdict.

        The gate (what exit status 2 means): only each workload's primary metric gates (the \
        catalog's, ns_per_op unless the workload is about memory; --gate all gates every \
        metric). A gating cell's q is the p of Welch's t-test on the logarithms of its \
        samples, adjusted over all gating cells (--correction: bh = Benjamini-Hochberg, the \
        default; holm; none). Two files are measured at different times, so cells also move \
        for reasons no rep inside a file sees (the machine's load): with 8 or more gating \
        cells, the spread of their changes beyond their own noise (robust: 1.4826 x the \
        median absolute deviation) is added to each cell's variance (--drift-term off: not). \
        A gating cell is a regression when q < alpha, its change is beyond its \
        threshold and beyond --min-effect (default 10%), in the metric's bad direction, and \
        neither side's samples are bimodal (then it is a warning, BIMODAL, not a regression). \
        Other cells show the two-sided Mann-Whitney U p (exact for small samples) and never \
        gate: `~` when p >= alpha, "worse, not gating", improvement, "within threshold", or \
        "changed" for metrics with direction `none`. A configuration that fails (error, \
        crashed, timeout, garbage) in NEW but ran cleanly in BASE also counts as a regression. \
        Warnings: too few samples, different machines, different recorded settings (env) or \
        toolchains (swift_version, go_version), cells in one file only, failed runs, bimodal \
        cells.

        Thresholds (--thresholds, e.g. results/thresholds.csv): `workload,metric,relative_percent,absolute`, \
        `*` matches any, the most specific row wins; without a matching row: 5% for times and \
        rates, 10% for bytes, counts and ratios.

        Exit status:
          0  no regression
          1  usage or input error (unreadable or malformed file: one line naming file and line)
          2  at least one regression
          3  incomparable inputs: no cell in common, or a different schema version
        (An option given without its value is caught by the argument parser, which exits 64.)
        """
    )

    @Argument(help: "The base results CSV (before the change).")
    var base: String?

    @Argument(help: "The new results CSV (after the change).")
    var new: String?

    @Option(help: "A thresholds CSV: workload,metric,relative_percent,absolute.")
    var thresholds: String?

    @Option(help: "Output format: text, markdown or csv.")
    var format: CompareFormat = .text

    @Option(help: "Significance level (of the gate's adjusted q, and of each reported cell's p), between 0 and 1.")
    var alpha = Alpha(argument: "0.05")!

    @Option(name: .customLong("min-effect"), help: "No change smaller than this percentage gates.")
    var minEffect = MinEffect(argument: "10")!

    @Option(help: "Which metrics gate: primary (each workload's primary metric) or all.")
    var gate: Gate = .primary

    @Option(help: "Multiple-testing correction over the gating cells: bh (Benjamini-Hochberg), holm or none.")
    var correction: GateOptions.Correction = .benjaminiHochberg

    @Option(name: .customLong("drift-term"), help: "on: add the between-files spread of the gating cells' changes to each cell's variance; off: each cell's own noise only.")
    var driftTerm: DriftTerm = .on

    @Option(name: .shortAndLong, help: "Write the comparison to this file (replaced atomically) instead of standard output.")
    var output: String?

    @Flag(help: "Allow --output to be one of the inputs (BASE, NEW or the thresholds file).")
    var force = false

    // Anything argument-parser does not recognise lands here, so that a usage mistake exits
    // with status 1 as documented rather than argument-parser's 64.
    @Argument(parsing: .allUnrecognized, help: .hidden)
    var unrecognized: [String] = []

    func validate() throws {
        guard unrecognized.isEmpty else {
            throw SettingsError("unexpected argument '\(unrecognized[0])' (usage: gobench compare BASE NEW [--thresholds FILE] [--format text|markdown|csv] [--alpha 0.05] [--min-effect 10] [--gate primary|all] [--correction bh|holm|none] [--drift-term on|off] [--output FILE])")
        }
        guard base != nil, new != nil else {
            throw SettingsError("two results files are needed (usage: gobench compare BASE NEW)")
        }
    }

    func run() throws {
        guard let basePath = base, let newPath = new else {
            fail(.usageOrInputError, "two results files are needed (usage: gobench compare BASE NEW)")
        }
        let outputFormat = format
        let alphaValue = alpha.value
        let gateOptions = GateOptions(minEffectPercent: minEffect.percent, gateAllMetrics: gate == .all,
                                      correction: correction, accountForDrift: driftTerm == .on)

        if let path = output {
            do {
                try SafeFile.refuseOutputEqualToInput(path, inputs: [basePath, newPath] + (thresholds.map { [$0] } ?? []), force: force)
            } catch {
                fail(.usageOrInputError, "\(error)")
            }
        }
        let baseRows = readResults(basePath)
        let newRows = readResults(newPath)  // read row by row: memory grows with cells, not rows
        var table = ThresholdTable()
        if let path = thresholds {
            do {
                table = try ThresholdTable.read(path: path)
            } catch {
                fail(.usageOrInputError, "\(error)")
            }
        }

        let report = compare(base: baseRows, new: newRows, thresholds: table, alpha: alphaValue, gate: gateOptions)
        guard report.isComparable else {
            var reason = "no cell in common between \(basePath) (\(cellCount(baseRows)) cells) and \(newPath) (\(cellCount(newRows)) cells)"
            if let w = report.warnings.first(where: { if case .differentMachines = $0 { return true } else { return false } }) {
                reason += "; \(w)"
            }
            fail(.incomparable, reason)
        }
        let text = CompareRender.render(report, format: outputFormat, baseLabel: basePath, newLabel: newPath)
        if let path = output {
            do {
                try ResultsCSV.writeAtomically(text, toPath: path)
            } catch {
                fail(.usageOrInputError, "\(error)")
            }
            FileHandle.standardError.write(Data("gobench compare: \(report.summaryLine); wrote \(path)\n".utf8))
        } else {
            print(text, terminator: "")
        }
        // CSV has no room for warnings: they go to standard error.
        if outputFormat == .csv {
            for w in report.warnings {
                FileHandle.standardError.write(Data("gobench compare: warning: \(w)\n".utf8))
            }
        }
        if report.hasRegression {
            throw ExitCode(Status.regression.rawValue)
        }
    }

    /// A results file read for comparing, or exit 1 (malformed, unreadable) or 3 (other schema).
    private func readResults(_ path: String) -> ComparisonSide {
        do {
            return try ComparisonSide(path: path)
        } catch let error as ResultsCSVError {
            fail(error.kind == .unsupportedSchema ? .incomparable : .usageOrInputError, error.description)
        } catch {
            fail(.usageOrInputError, "\(path): \(error)")
        }
    }

    private func cellCount(_ side: ComparisonSide) -> Int { side.cellCount }

    /// `--alpha`: strictly between 0 and 1.
    struct Alpha: ExpressibleByArgument {
        var text: String
        var value: Double

        init?(argument: String) {
            guard let value = OptionRefusal.parse(argument, { text -> Double in
                guard let value = Double(text), value > 0, value < 1 else {
                    throw SettingsError("--alpha is '\(text)', expected a number between 0 and 1")
                }
                return value
            }) else { return nil }
            self.text = argument
            self.value = value
        }

        var defaultValueDescription: String { text }
    }

    /// `--min-effect`: a finite percentage, 0 or more.
    struct MinEffect: ExpressibleByArgument {
        var text: String
        var percent: Double

        init?(argument: String) {
            guard let percent = OptionRefusal.parse(argument, { text -> Double in
                guard let value = Double(text), value.isFinite, value >= 0 else {
                    throw SettingsError("--min-effect is '\(text)', expected a percentage >= 0")
                }
                return value
            }) else { return nil }
            self.text = argument
            self.percent = percent
        }

        var defaultValueDescription: String { text }
    }

    enum Gate: String, CaseIterable, ExpressibleByArgument {
        case primary, all
        init?(argument: String) {
            guard let gate: Gate = OptionRefusal.choice(argument, option: "--gate") else { return nil }
            self = gate
        }
        static var allValueStrings: [String] { [] }
    }

    enum DriftTerm: String, CaseIterable, ExpressibleByArgument {
        case on, off
        init?(argument: String) {
            guard let drift: DriftTerm = OptionRefusal.choice(argument, option: "--drift-term") else { return nil }
            self = drift
        }
        static var allValueStrings: [String] { [] }
    }

    /// One error line on standard error and the exit status.
    private func fail(_ status: Status, _ message: String) -> Never {
        CommandErrors.fail("compare", message, status: status.rawValue)
    }
}

extension CompareFormat: ExpressibleByArgument {
    public init?(argument: String) {
        guard let format: CompareFormat = OptionRefusal.choice(argument, option: "--format") else { return nil }
        self = format
    }
    public static var allValueStrings: [String] { [] }
}

extension GateOptions.Correction: ExpressibleByArgument {
    public init?(argument: String) {
        guard let correction: GateOptions.Correction = OptionRefusal.choice(argument, option: "--correction") else { return nil }
        self = correction
    }
    public static var allValueStrings: [String] { [] }
}
