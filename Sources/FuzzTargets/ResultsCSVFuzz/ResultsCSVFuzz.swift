// Fuzzes the results CSV reader: parse, render, parse again gives the same rows; errors are
// one line that names the source.
import FuzzSupport
import GobenchKit

@main
enum ResultsCSVFuzz {
    static let source = "fuzz.csv"

    static func main() {
        FuzzDriver.run(name: "results-csv", check: check)
    }

    static func check(_ bytes: UnsafeRawBufferPointer) {
        let input = decodedText(bytes)
        let rows: [ResultRow]
        do {
            rows = try ResultsCSV.parse(input, source: source)
        } catch let error as ResultsCSVError {
            require(isOneLine(error.description), "the error is one line: \(error.description)")
            require(error.description.hasPrefix(source + ":"), "the error names the source first: \(error.description)")
            return
        } catch {
            require(false, "parse throws only ResultsCSVError, threw \(error)")
            return
        }
        for row in rows {
            require(ResultRow.statuses.contains(row.status), "status \(row.status) is one of the statuses")
            require(row.procs >= 0 && row.rep >= 0, "procs and rep are >= 0")
            require(row.value.map(\.isFinite) ?? true, "a value is finite")
            if row.status == "ok" {
                require(row.isSample, "an ok row is a sample")
                require(!row.metric.isEmpty && !row.direction.isEmpty, "an ok row has a metric and a direction")
            }
        }
        // What the writer makes of the rows reads back to the same rows.
        let rendered = ResultsCSV.render(rows)
        do {
            let again = try ResultsCSV.parse(rendered, source: source)
            require(again == rows, "render then parse gives the same \(rows.count) rows (got \(again.count) rows)")
        } catch {
            require(false, "render then parse succeeds; failed with \(error); rendered: \(rendered.debugDescription)")
        }
        // Rendering is stable: the second rendering is the first.
        require(ResultsCSV.render(rows) == rendered, "render is deterministic")
    }
}
