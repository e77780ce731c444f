// WorkloadParameters: the one typed form of a run's parameters, its canonical text (the
// CSV's params column) and what it refuses.
import GobenchKit
import XCTest

final class WorkloadParametersTests: XCTestCase {
    func testCanonicalTextSortsKeysAndReadsBack() throws {
        let p = try WorkloadParameters(["n": "5", "buffer": "10", "mode": "a,b", "expr": "x=y=z", "text": " sp ace ü🚀"])
        XCTAssertEqual(p.canonical, "buffer=10;expr=x=y=z;mode=a,b;n=5;text= sp ace ü🚀")
        XCTAssertEqual(p.description, p.canonical)
        XCTAssertEqual(try WorkloadParameters(canonical: p.canonical), p)
        XCTAssertEqual(try WorkloadParameters(canonical: "n=5;buffer=10;mode=a,b;text= sp ace ü🚀;expr=x=y=z"), p,
                       "any order reads as the same parameters")
        XCTAssertEqual(p["expr"], "x=y=z")
        XCTAssertEqual(p.integer("n"), 5)
        XCTAssertNil(p.integer("mode"))
        XCTAssertNil(p["absent"])
        XCTAssertEqual(try WorkloadParameters(canonical: ""), WorkloadParameters())
        XCTAssertTrue(WorkloadParameters().isEmpty)
        XCTAssertEqual(WorkloadParameters().canonical, "")
        XCTAssertEqual(try WorkloadParameters(canonical: "k="), try WorkloadParameters(["k": ""]), "an empty value is a value")
    }

    /// A combining mark right after `;` or `=` joins it into one Character; the separators
    /// are found as scalars all the same (found by fuzz-settings).
    func testSeparatorsAreScalarsEvenBeforeACombiningMark() throws {
        let mark = "\u{36F}"
        let p = try WorkloadParameters(canonical: "a=1;\(mark)n=5;k=\(mark)v")
        XCTAssertEqual(p["\(mark)n"], "5")
        XCTAssertEqual(p["k"], "\(mark)v")
        XCTAssertEqual(try WorkloadParameters(canonical: p.canonical), p)
        let settings = RunSettings(workload: "w", engine: .swift, procs: 1, scavenge: .off, placement: .none, params: p)
        XCTAssertEqual(try RunSettings(childArguments: try settings.childArguments()), settings)
        XCTAssertEqual(try ParameterAssignments.parse(["k=\(mark)v"]), ["k": "\(mark)v"])
        XCTAssertThrowsError(try WorkloadParameters(["a=\(mark)": "1"]), "a key holding '=' before a mark")
    }

    func testSettingAndRemovingKeepTheRest() throws {
        let p = try WorkloadParameters(canonical: "a=1;b=2")
        let set = try p.setting("c", to: "3")
        XCTAssertEqual(set.canonical, "a=1;b=2;c=3")
        XCTAssertEqual(try p.setting("a", to: "9").canonical, "a=9;b=2")
        let (value, rest) = set.removing("b")
        XCTAssertEqual(value, "2")
        XCTAssertEqual(rest.canonical, "a=1;c=3")
        XCTAssertNil(p.removing("zz").value)
        XCTAssertEqual(p.removing("zz").rest, p)
        XCTAssertThrowsError(try p.setting("c", to: "x;y"))
    }

    func testWhatTheColumnAndTheCommandLineCannotCarryIsRefused() {
        let refusedPairs: [[String: String]] = [
            ["": "1"], ["a=b": "1"], ["a;b": "1"], ["n": "1;2"], ["n": "1\n2"], ["n": "1\r\n2"], ["n\r": "1"], ["n": "a\0b"],
        ]
        for pairs in refusedPairs {
            XCTAssertThrowsError(try WorkloadParameters(pairs), "\(pairs)") { error in
                let text = "\(error)"
                XCTAssertFalse(text.contains("\n") || text.contains("\r") || text.contains("\0"), "one line: \(text)")
            }
        }
        for text in ["n", "=1", "n=1;;m=2", ";n=1", "n=1;", "n=1;n=2", "n=1\n"] {
            XCTAssertThrowsError(try WorkloadParameters(canonical: text), text)
        }
    }

    func testNamesFromElsewhereAreMadeCarriable() {
        let p = WorkloadParameters(replacingForbidden: ["a;b": "x;y\nz", "": "v", "k=": "w"])
        XCTAssertEqual(p["a_b"], "x_y_z")
        XCTAssertEqual(p["_"], "v")
        XCTAssertEqual(p["k_"], "w")
        XCTAssertEqual(try WorkloadParameters(canonical: p.canonical), p)
    }

    func testOrderIsTheColumnsOrder() throws {
        let a = try WorkloadParameters(canonical: "buffer=0;n=5"), b = try WorkloadParameters(canonical: "buffer=10;n=5")
        XCTAssertLessThan(a, b)
        XCTAssertEqual(a < b, a.canonical < b.canonical)
    }
}
