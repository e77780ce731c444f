// Sweep progress on standard error: a bar with an ETA on a terminal, one line per run otherwise
// (CI logs, files), and every failed run on its own line either way.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

public final class ProgressReporter {
    public let total: Int
    private let isTerminal: Bool
    private let write: (String) -> Void
    private var finished = 0
    private let start = ProcessExecution.monotonicSeconds()
    private var barShown = false
    /// Seconds of the finished runs, for the ETA.
    private var runSeconds = 0.0

    /// - Parameters:
    ///   - total: the runs this sweep will make.
    ///   - isTerminal: draw a bar (default: whether stderr is a terminal).
    ///   - write: where text goes (default: stderr, unbuffered).
    public init(total: Int, isTerminal: Bool = isatty(STDERR_FILENO) != 0,
                write: @escaping (String) -> Void = ProgressReporter.standardError) {
        self.total = total; self.isTerminal = isTerminal; self.write = write
    }

    public static func standardError(_ text: String) {
        FileHandle.standardError.write(text.data(using: .utf8)!)
    }

    /// Seconds left, from the mean duration of the runs so far; nil before the first.
    public var estimatedSecondsLeft: Double? {
        finished == 0 ? nil : runSeconds / Double(finished) * Double(total - finished)
    }

    public func willStart(_ run: PlannedRun) {
        guard isTerminal else { return }
        drawBar(current: "\(run.settings.workload) \(run.settings.engine.rawValue) procs=\(run.settings.procs) rep \(run.rep)")
    }

    public func didFinish(_ run: PlannedRun, outcome: ChildOutcome) {
        finished += 1
        runSeconds += outcome.wallSeconds
        let status = outcome.status == .ok ? "ok" : "\(outcome.status.rawValue): \(outcome.error)"
        let line = "[\(finished)/\(total)] \(run) \(String(format: "%.2fs", outcome.wallSeconds)) \(status)"
        if isTerminal {
            if outcome.status != .ok && outcome.status != .notApplicable {
                write("\r\u{1B}[K" + line + "\n")
            }
            drawBar(current: nil)
        } else {
            write(line + "\n")
        }
    }

    public func finish() {
        if isTerminal && barShown { write("\r\u{1B}[K") }
        barShown = false
    }

    private func drawBar(current: String?) {
        let width = 24
        let fraction = total == 0 ? 1 : Double(finished) / Double(total)
        let filled = Int((fraction * Double(width)).rounded(.down))
        let bar = String(repeating: "=", count: filled) + String(repeating: " ", count: width - filled)
        let eta = estimatedSecondsLeft.map { "ETA \(DurationText.humanSeconds($0))" } ?? "ETA --"
        let elapsed = DurationText.humanSeconds(ProcessExecution.monotonicSeconds() - start)
        var text = "[\(bar)] \(finished)/\(total) \(Int(fraction * 100))% \(elapsed) \(eta)"
        if let current { text += "  " + current }
        var size = winsize()
        let columns = ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 20 ? Int(size.ws_col) - 1 : 100
        if text.count > columns { text = String(text.prefix(columns)) }
        write("\r\u{1B}[K" + text)
        barShown = true
    }
}
