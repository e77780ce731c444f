// The mapping from data values to chart coordinates, shared by the linear and log scales.

/// Maps values of a domain onto a pixel range and proposes tick values for an axis.
public protocol ChartScale {
    var domain: (lower: Double, upper: Double) { get }
    /// The pixel coordinate of `value`; the range may run backwards (y grows downwards).
    func position(of value: Double) -> Double
    /// Round values inside the domain for gridlines and labels, in increasing order.
    func ticks() -> [Double]
    /// True when the scale can place `value` (a log scale cannot place zero or less).
    func accepts(_ value: Double) -> Bool
}
