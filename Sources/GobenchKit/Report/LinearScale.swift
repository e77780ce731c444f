// A linear scale with "nice" round ticks (steps of 1, 2 or 5 times a power of ten).
import Foundation

/// A linear mapping from a value domain to a pixel range.
public struct LinearScale: ChartScale, Equatable {
    public private(set) var domain: (lower: Double, upper: Double)
    public var range: (start: Double, end: Double)
    /// About how many ticks the axis wants; the nice step decides the exact number.
    public var tickCountHint: Int
    /// Ticks are round multiples of this unit: 1 for decimal values, 1024^k for bytes
    /// (so that a memory axis reads 8, 16, 24 MiB rather than 9.54, 19.1 MiB).
    public var tickUnit: Double

    public init(domain: (Double, Double), range: (Double, Double), tickCountHint: Int = 6,
                tickUnit: Double = 1) {
        var (lower, upper) = domain.0 <= domain.1 ? domain : (domain.1, domain.0)
        if !lower.isFinite || !upper.isFinite { (lower, upper) = (0, 1) }
        if lower == upper {
            // A flat series still needs an axis: widen around the value, keeping zero
            // as the floor for a positive value.
            if lower == 0 { upper = 1 } else if lower > 0 { lower = 0; upper *= 2 } else {
                upper = 0; lower *= 2
            }
        }
        self.domain = (lower, upper)
        self.range = range
        self.tickCountHint = max(1, tickCountHint)
        self.tickUnit = tickUnit > 0 && tickUnit.isFinite ? tickUnit : 1
    }

    /// The binary unit (1, KiB, MiB, GiB, TiB) for byte values up to `largest`.
    public static func binaryTickUnit(forLargest largest: Double) -> Double {
        var unit = 1.0
        while unit < 1_099_511_627_776, abs(largest) >= unit * 1024 { unit *= 1024 }
        return unit
    }

    public static func == (a: LinearScale, b: LinearScale) -> Bool {
        a.domain == b.domain && a.range == b.range && a.tickCountHint == b.tickCountHint
            && a.tickUnit == b.tickUnit
    }

    public func position(of value: Double) -> Double {
        let t = (value - domain.lower) / (domain.upper - domain.lower)
        return range.start + t * (range.end - range.start)
    }

    public func accepts(_ value: Double) -> Bool { value.isFinite }

    /// The round step for about `count` intervals over `span`: 1, 2 or 5 times 10^k.
    public static func tickStep(span: Double, count: Int) -> Double {
        let raw = span / Double(max(1, count))
        guard raw > 0, raw.isFinite else { return 1 }
        let power = pow(10, floor(log10(raw)))
        let error = raw / power
        // The thresholds are the geometric means of 1-2, 2-5 and 5-10, so the chosen step
        // is the nearest on a log scale (the same rule as d3's ticks).
        let factor: Double = error >= 50.0.squareRoot() ? 10 : error >= 10.0.squareRoot() ? 5
            : error >= 2.0.squareRoot() ? 2 : 1
        return factor * power
    }

    /// The nice step in units of `tickUnit`.
    var unitStep: Double {
        LinearScale.tickStep(span: (domain.upper - domain.lower) / tickUnit, count: tickCountHint)
    }

    public func ticks() -> [Double] {
        let step = unitStep
        // The epsilon absorbs division error: 0.3 / 0.1 is 2.9999999999999996.
        let first = (domain.lower / tickUnit / step - 1e-9).rounded(.up)
        let last = (domain.upper / tickUnit / step + 1e-9).rounded(.down)
        guard first <= last, last - first < 1000 else { return [] }
        return stride(from: first, through: last, by: 1).map { index in
            // Multiplying an integer index (rather than adding steps) avoids drift such as
            // 0.30000000000000004; dividing by the inverse step keeps 0.1 exact.
            (step < 1 ? index / (1 / step).rounded() : index * step) * tickUnit
        }
    }

    /// The same scale with its domain widened outwards to whole tick steps, so that the
    /// axis starts and ends on a labelled gridline.
    public func niced() -> LinearScale {
        let step = unitStep * tickUnit
        var copy = self
        copy.domain = ((domain.lower / step + 1e-9).rounded(.down) * step,
                       (domain.upper / step - 1e-9).rounded(.up) * step)
        return copy
    }
}
