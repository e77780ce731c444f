// One catalog: the Swift catalog (GobenchKit's Catalog) is the source, and the Go peer's
// `-list` must agree with it (names, order, parameters, defaults, bounds or choices, and
// which workloads the go engine has); docs/PROTOCOL.md must describe every workload and
// parameter with its default.
import Foundation
import GobenchKit
import XCTest

final class CatalogAgreementTests: XCTestCase {

    struct Listing: Decodable {
        struct Workload: Decodable { var name: String; var params: [Param] }
        struct Param: Decodable {
            var name: String
            var kind: String
            var `default`: String
            var choices: [String]?
            var min: Int?
            var max: Int?
        }
        var engine: String
        var workloads: [Workload]
    }

    private func goListing() throws -> Listing {
        let (data, _, status) = try WorkloadsTestSupport.run(try WorkloadsTestSupport.goPeer(), ["-list"])
        XCTAssertEqual(status, 0)
        return try JSONDecoder().decode(Listing.self, from: data)
    }

    func testGoPeerListAgreesWithTheSwiftCatalog() throws {
        let listing = try goListing()
        XCTAssertEqual(listing.engine, "go")
        let expected = Catalog.workloads.filter { $0.applies(to: .go) }
        XCTAssertEqual(listing.workloads.map(\.name), expected.map(\.name),
                       "the go engine's workloads, in catalog order")
        for spec in expected {
            guard let go = listing.workloads.first(where: { $0.name == spec.name }) else { continue }
            XCTAssertEqual(go.params.map(\.name), spec.parameters.map(\.name), "\(spec.name): parameter names and order")
            for parameter in spec.parameters {
                guard let p = go.params.first(where: { $0.name == parameter.name }) else { continue }
                let what = "\(spec.name).\(parameter.name)"
                XCTAssertEqual(p.default, parameter.defaultValue, "\(what): default")
                switch parameter.kind {
                case .integer(let minimum, let maximum):
                    XCTAssertEqual(p.kind, "int", "\(what): kind")
                    XCTAssertEqual(p.min, minimum, "\(what): minimum")
                    XCTAssertEqual(p.max, maximum, "\(what): maximum")
                case .choice(let words):
                    XCTAssertEqual(p.kind, "choice", "\(what): kind")
                    XCTAssertEqual(p.choices, words, "\(what): choices")
                }
            }
        }
    }

    /// PROTOCOL.md section 1's table has a row per workload naming every parameter with
    /// its default (`key=default`), and only the catalog's workloads.
    func testProtocolDescribesEveryWorkloadAndParameter() throws {
        let text = try String(contentsOf: WorkloadsTestSupport.root.appendingPathComponent("docs/PROTOCOL.md"), encoding: .utf8)
        let rows = text.split(separator: "\n").filter { $0.hasPrefix("| `") }
        var described: [String: String] = [:]
        for row in rows {
            let cells = row.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count > 2, cells[1].hasPrefix("`"), cells[1].hasSuffix("`") else { continue }
            let name = String(cells[1].dropFirst().dropLast())
            if Catalog.names.contains(name) { described[name] = cells[2] }
        }
        for spec in Catalog.workloads {
            guard let params = described[spec.name] else {
                XCTFail("PROTOCOL.md has no catalog row for \(spec.name)")
                continue
            }
            for parameter in spec.parameters {
                XCTAssertTrue(params.contains("`\(parameter.name)=\(parameter.defaultValue)`"),
                              "PROTOCOL.md: \(spec.name) must give `\(parameter.name)=\(parameter.defaultValue)`: \(params)")
                if case .choice(let words) = parameter.kind {
                    for word in words {
                        XCTAssertTrue(params.contains("`\(word)`"), "PROTOCOL.md: \(spec.name).\(parameter.name) choice `\(word)`")
                    }
                }
            }
        }
    }
}
