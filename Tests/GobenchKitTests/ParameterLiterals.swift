// Test shorthand: the parameters of a canonical text (`n=5;pairs=2`), failing the test
// process on a text that does not parse (a mistake in the test itself).
import GobenchKit

func params(_ canonical: String) -> WorkloadParameters {
    do { return try WorkloadParameters(canonical: canonical) } catch { fatalError("test parameters '\(canonical)': \(error)") }
}
